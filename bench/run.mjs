#!/usr/bin/env node
// `npm run bench`: times `wt` against its floor (the raw commands doing the same work) in
// the same run, alternating the two sides, and prints medians, ratios and PASS/FAIL against
// the targets of the performance issue. Not part of `npm test`.
//
//   node bench/run.mjs [<repo>] [--runs N] [--quick] [--keep]
//
// Without <repo> it generates a fixture in a temp folder: a git repository of ~3,000 tracked
// files, a generated node_modules of ~15,000 files in 1,500 packages, an untracked .env, a
// `.worktreeinclude` and a 100 MB SQLite template. With <repo> it works on a `git clone
// --no-local` of it in a temp folder (its node_modules and .env are copied in when present,
// generated otherwise), so nothing of the given repository changes. Every temp folder is
// removed at the end, on failure and on Ctrl-C too (unless --keep).
//
// Every command gets the same cleaned environment: NODE_EXTRA_CA_CERTS (which adds ~90 ms to
// every Node start) and WT_* variables removed, NO_COLOR=1.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gate, verdict } from "./gate.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WT = path.join(ROOT, "bin", "wt.js");
const SQLITE_HELPER = path.join(ROOT, "bench", "sqlite-copy.mjs");
const RESULTS = path.join(ROOT, "bench", "results.md");
const NODE = process.execPath;
const T_START = performance.now();

// ---------------------------------------------------------------------------------------
// Arguments

function usage(code) {
  process.stdout.write(
    [
      "usage: node bench/run.mjs [<repo>] [--runs N] [--quick] [--only SECTIONS] [--keep]",
      "  <repo>     benchmark a temp clone of this repository instead of the generated fixture",
      "  --runs N   timed runs per side and row (default 10; one extra warm-up run is discarded)",
      "  --quick    3 runs per side (smoke test)",
      `  --only S   only these sections, comma-separated (${SECTIONS.join(", ")}); prints the`,
      "             table without rewriting bench/results.md",
      "  --keep     keep the temp folder and print its path",
      "",
    ].join("\n"),
  );
  process.exit(code);
}

const SECTIONS = ["startup", "create", "copy", "sqlite", "status", "merge", "pool"];
const opts = { repo: null, runs: 10, keep: false, quick: false, only: null };
{
  const argv = process.argv.slice(2);
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") usage(0);
    else if (a === "--quick") opts.quick = true;
    else if (a === "--keep") opts.keep = true;
    else if (a === "--only" || a.startsWith("--only=")) {
      const v = (a === "--only" ? argv[++i] : a.slice("--only=".length)) ?? "";
      opts.only = v.split(",").filter(Boolean);
      const unknown = opts.only.filter((x) => !SECTIONS.includes(x));
      if (opts.only.length === 0 || unknown.length > 0) {
        process.stderr.write(`bench: --only takes sections among ${SECTIONS.join(", ")}, got ${v}\n`);
        usage(2);
      }
    } else if (a === "--runs" || a.startsWith("--runs=")) {
      const v = a === "--runs" ? argv[++i] : a.slice("--runs=".length);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) {
        process.stderr.write(`bench: --runs needs a positive integer, got ${v}\n`);
        usage(2);
      }
      opts.runs = n;
      runsGiven = true;
    } else if (a.startsWith("-")) {
      process.stderr.write(`bench: unknown option ${a}\n`);
      usage(2);
    } else if (opts.repo === null) opts.repo = path.resolve(a);
    else {
      process.stderr.write(`bench: only one repository path, got ${a} too\n`);
      usage(2);
    }
  }
  if (opts.quick && !runsGiven) opts.runs = 3;
}
const RUNS = opts.runs;
const WARMUP = 1;

// ---------------------------------------------------------------------------------------
// Environment and process helpers

const hadExtraCa = Boolean(process.env.NODE_EXTRA_CA_CERTS);
const ENV = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith("WT_")) delete env[k];
  env.NO_COLOR = "1";
  delete env.FORCE_COLOR;
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_AUTHOR_NAME = env.GIT_COMMITTER_NAME = "wt bench";
  env.GIT_AUTHOR_EMAIL = env.GIT_COMMITTER_EMAIL = "bench@example.invalid";
  return env;
})();

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

/**
 * Spawns `cmd args` with the cleaned env, drains stdout/stderr, and resolves with its exit
 * code, output and wall time in ms (from spawn to exit, output drained).
 */
function run(cmd, args, { cwd, input, env = ENV } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", (e) => resolve({ code: -1, stdout: "", stderr: String(e), ms: performance.now() - t0 }));
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - t0,
      }),
    );
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** run(), but a non-zero exit throws with the command and its stderr. */
async function must(cmd, args, o = {}) {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    throw new Error(
      `command failed (exit ${r.code}): ${[cmd, ...args].join(" ")}\n${(r.stderr || r.stdout).trim().slice(-2000)}`,
    );
  }
  return r;
}

function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { env: ENV, encoding: "utf8", ...o });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The trash `wt cleanup` moves worktree folders into, to delete them in the background. */
let trashDir = null;

/**
 * Before every timed sample: waits until wt's background deleter has emptied its trash (so
 * the next sample, of either side, does not share the disk with it), then flushes dirty
 * pages so neither side pays the other's writeback.
 */
async function settle() {
  if (trashDir) {
    const until = performance.now() + 120_000;
    while (performance.now() < until) {
      let left;
      try {
        left = readdirSync(trashDir).length;
      } catch {
        left = 0;
      }
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await run("sync", []);
}

// ---------------------------------------------------------------------------------------
// Statistics and formatting

function median(xs) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const fmtMs = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");
const fmtRatio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : "—");
const fmtDelta = (a, b) => (Number.isFinite(a - b) ? `${a - b >= 0 ? "+" : ""}${(a - b).toFixed(1)} ms` : "—");
const spread = (xs) =>
  xs.length ? `${fmtMs(Math.min(...xs))} / ${fmtMs(median(xs))} / ${fmtMs(Math.max(...xs))}` : "—";

/** Rows of the result table; `pass` is true/false, or null for information rows. */
const rows = [];
const details = [];
const memory = [];

function addRow({ name, a, b, kind, limit, extraLimitMs, note, info = false }) {
  const wa = median(a);
  const fb = b ? median(b) : Number.NaN;
  let cmp = "—";
  let target = "—";
  let pass = null;
  if (kind === "ratio") {
    cmp = fmtRatio(wa, fb);
    if (!info) {
      target = `≤ ${limit.toFixed(2)}x`;
      pass = wa / fb <= limit;
      if (extraLimitMs !== undefined) {
        target += ` and ≤ ${extraLimitMs} ms`;
        pass = pass && wa <= extraLimitMs;
      }
    }
  } else if (kind === "abs") {
    // An absolute wall-time target; the floor, when given, is shown for comparison.
    cmp = b ? fmtRatio(wa, fb) : "—";
    if (!info) {
      target = `≤ ${limit} ms`;
      pass = wa <= limit;
    }
  } else if (kind === "delta") {
    cmp = fmtDelta(wa, fb);
    if (!info) {
      target = `≤ +${limit} ms`;
      pass = wa - fb <= limit;
    }
  }
  rows.push({
    name,
    wt: fmtMs(wa),
    floor: b ? `${fmtMs(fb)} (${note ?? ""})`.replace(" ()", "") : "—",
    cmp,
    target,
    pass,
  });
  details.push({ name, a, b });
}

function table(headers, body) {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------
// Temp folder, removed on every way out

const TMP = mkdtempSync(path.join(os.tmpdir(), "wt-bench-"));
let cleaned = false;
function cleanupTmp() {
  if (cleaned) return;
  cleaned = true;
  if (opts.keep) {
    process.stderr.write(`bench: kept ${TMP}\n`);
    return;
  }
  try {
    rmSync(TMP, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    process.stderr.write(`bench: could not remove ${TMP}: ${e.message}\n`);
  }
}
process.on("exit", cleanupTmp);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, removing ${TMP}\n`);
    cleanupTmp();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------
// Tools: GNU time (peak memory) and the sqlite3 CLI (database floor)

// Neither is installed by the bench (it changes nothing outside its temp folder): a tool the
// machine lacks turns its row into a skipped one, with a note saying what to install.

function gnuTimeWorks() {
  return existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M", "true"], { env: ENV }).status === 0;
}
const hasGnuTime = gnuTimeWorks();
if (!hasGnuTime) log("GNU time (/usr/bin/time) not found: the peak memory row is skipped (install the `time` package)");
const SQLITE3 = sh("sh", ["-c", "command -v sqlite3"]);
if (!SQLITE3) log("the sqlite3 CLI is not installed: the SQLite rows are skipped (install the `sqlite3` package)");

// ---------------------------------------------------------------------------------------
// Machine facts

function machineFacts() {
  const fsType = sh("stat", ["-f", "-c", "%T", TMP]) ?? "unknown";
  const mount = sh("findmnt", ["-no", "FSTYPE,OPTIONS", "-T", TMP])?.replace(/\s+/g, " ");
  const probe = path.join(TMP, ".reflink-probe");
  writeFileSync(probe, "x".repeat(65536));
  const reflink = spawnSync("cp", ["--reflink=always", probe, `${probe}.2`], { env: ENV }).status === 0;
  rmSync(probe, { force: true });
  rmSync(`${probe}.2`, { force: true });
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: sh("nproc", []) ?? String(os.cpus().length),
    cpu,
    mem: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    git: (sh("git", ["--version"]) ?? "git ?").replace(/^git version /, ""),
    sqlite3: SQLITE3 ? (sh(SQLITE3, ["--version"]) ?? "").split(" ")[0] : "not installed",
    fsType,
    mount: mount ?? "",
    reflink,
    load: os.loadavg()[0],
  };
}

// ---------------------------------------------------------------------------------------
// Fixture

/** Small deterministic PRNG (mulberry32), so every run writes the same fixture. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const WORDS =
  "const let value result item index count total name path config state worker queue buffer token session user order event handler request response cache parse render update remove create fetch store table record field query limit offset".split(
    " ",
  );
function sourceText(rand, bytes) {
  const lines = [];
  let len = 0;
  let n = 0;
  while (len < bytes) {
    const w = () => WORDS[Math.floor(rand() * WORDS.length)];
    const line =
      n % 7 === 0
        ? `export function ${w()}${n}(${w()}: number, ${w()}: string): number {`
        : n % 7 === 6
          ? "}"
          : `  const ${w()}${n} = ${w()}.${w()}(${Math.floor(rand() * 10000)}, "${w()}-${w()}");`;
    lines.push(line);
    len += line.length + 1;
    n++;
  }
  return `${lines.join("\n")}\n`;
}

function writeFile(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** ~3,000 tracked files of 1-5 KB in nested folders. */
function generateSources(repo) {
  const rand = prng(1);
  let files = 0;
  for (let p = 0; p < 15; p++) {
    for (let m = 0; m < 10; m++) {
      for (let f = 0; f < 20; f++) {
        const dir = path.join(repo, "packages", `pkg-${String(p).padStart(2, "0")}`, "src", `mod-${m}`);
        writeFile(path.join(dir, `file-${f}.ts`), sourceText(rand, 1000 + Math.floor(rand() * 4000)));
        files++;
      }
    }
  }
  writeFile(path.join(repo, "README.md"), "# bench fixture\n\nGenerated by wt's bench/run.mjs.\n");
  writeFile(path.join(repo, "package.json"), `${JSON.stringify({ name: "bench-fixture", private: true }, null, 2)}\n`);
  return files + 2;
}

/** ~15,000 small files in 1,500 packages (every 10th scoped), with .bin symlinks. */
function generateNodeModules(dir) {
  const rand = prng(2);
  let files = 0;
  for (let i = 0; i < 1500; i++) {
    const name = i % 10 === 0 ? `@scope-${i % 37}/pkg-${i}` : `pkg-${i}`;
    const pkg = path.join(dir, name);
    const small = () => sourceText(rand, 100 + Math.floor(rand() * 1400));
    writeFile(
      path.join(pkg, "package.json"),
      `${JSON.stringify({ name, version: `1.${i % 17}.${i % 5}`, main: "index.js", license: "MIT" }, null, 2)}\n`,
    );
    writeFile(path.join(pkg, "index.js"), small());
    writeFile(path.join(pkg, "README.md"), small());
    writeFile(path.join(pkg, "LICENSE"), "MIT License\n\nPermission is hereby granted, free of charge...\n");
    writeFile(path.join(pkg, "CHANGELOG.md"), small());
    for (const f of ["index.js", "util.js", "core.js", "helpers.js"]) writeFile(path.join(pkg, "lib", f), small());
    writeFile(path.join(pkg, "types", "index.d.ts"), small());
    files += 10;
    if (i % 20 === 0) {
      mkdirSync(path.join(dir, ".bin"), { recursive: true });
      symlinkSync(`../${name}/index.js`, path.join(dir, ".bin", `cli-${i}`));
    }
  }
  return files;
}

const ENV_FILE_TEXT = "API_KEY=bench-secret\nDATABASE_URL=postgres://localhost/bench\nLOG_LEVEL=debug\n";
const INCLUDE_TEXT = "# bench: what a worktree needs from the main checkout\n.env\nnode_modules/\n";
const CONFIG_SYMLINK = { include: { symlink: ["node_modules"] } };
const CONFIG_COPY = {};

function writeConfig(repo, config) {
  writeFileSync(path.join(repo, "wt.config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

const git = (repo, args) => must("git", ["-C", repo, ...args]);

async function buildFixture() {
  const repo = path.join(TMP, "repo");
  let tracked;
  let modules;
  if (opts.repo) {
    const top = sh("git", ["-C", opts.repo, "rev-parse", "--show-toplevel"]);
    if (!top) throw new Error(`not a git repository: ${opts.repo}`);
    log(`cloning ${top} (git clone --no-local) into ${repo}`);
    await must("git", ["clone", "--no-local", "--quiet", top, repo]);
    await git(repo, ["remote", "remove", "origin"]);
    if ((await run("git", ["-C", repo, "symbolic-ref", "-q", "HEAD"])).code !== 0) {
      await git(repo, ["checkout", "-q", "-b", "bench-base"]);
    }
    // Everything the benchmark adds stays out of git through info/exclude (nothing is committed).
    writeFileSync(path.join(repo, ".git", "info", "exclude"), "node_modules/\n.env\ndata/\nwt.config.json\n", {
      flag: "a",
    });
    if (existsSync(path.join(top, "node_modules"))) {
      log("copying its node_modules");
      await must("cp", ["-a", "--reflink=auto", path.join(top, "node_modules"), path.join(repo, "node_modules")]);
      modules = Number(sh("sh", ["-c", "find node_modules -type f | wc -l"], { cwd: repo }));
    } else {
      log("it has no node_modules: generating one");
      modules = generateNodeModules(path.join(repo, "node_modules"));
    }
    if (existsSync(path.join(top, ".env"))) cpSync(path.join(top, ".env"), path.join(repo, ".env"));
    else writeFileSync(path.join(repo, ".env"), ENV_FILE_TEXT);
    writeFileSync(path.join(repo, ".worktreeinclude"), INCLUDE_TEXT);
    writeConfig(repo, CONFIG_SYMLINK);
    tracked = Number(sh("sh", ["-c", "git ls-files | wc -l"], { cwd: repo }));
  } else {
    log(`generating the fixture in ${repo}`);
    mkdirSync(repo);
    await git(repo, ["init", "-q", "-b", "main"]);
    await git(repo, ["config", "commit.gpgsign", "false"]);
    tracked = generateSources(repo);
    writeFileSync(path.join(repo, ".gitignore"), "node_modules/\n.env\ndata/\n");
    writeFileSync(path.join(repo, ".worktreeinclude"), INCLUDE_TEXT);
    writeConfig(repo, CONFIG_SYMLINK);
    tracked += 3;
    await git(repo, ["add", "-A"]);
    await git(repo, ["commit", "-q", "-m", "bench fixture"]);
    await git(repo, ["repack", "-adq"]);
    await git(repo, ["prune"]);
    writeFileSync(path.join(repo, ".env"), ENV_FILE_TEXT);
    modules = generateNodeModules(path.join(repo, "node_modules"));
  }
  const base = sh("git", ["-C", repo, "symbolic-ref", "--short", "HEAD"]);
  const commonDir = sh("git", ["-C", repo, "rev-parse", "--path-format=absolute", "--git-common-dir"]);
  trashDir = path.join(commonDir ?? path.join(repo, ".git"), "wt", "trash");
  return { repo, base, tracked, modules };
}

// ---------------------------------------------------------------------------------------
// Measurements

const wt = (fx, args) => must(NODE, [WT, ...args], { cwd: fx.repo });

/** ABAB…: `warmup` discarded pairs, then RUNS timed pairs; the side that goes first alternates. */
async function alternate(a, b) {
  const A = [];
  const B = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const timed = i >= WARMUP;
    for (const side of i % 2 === 0 ? ["A", "B"] : ["B", "A"]) {
      await settle();
      const ms = side === "A" ? await a(i, timed) : await b(i, timed);
      if (timed) (side === "A" ? A : B).push(ms);
    }
  }
  return { A, B };
}

/**
 * Create and remove one worktree per side and iteration (distinct folder and branch names).
 * Order per iteration is create X, create Y, remove X, remove Y, and X/Y swap every
 * iteration, so each side's first create follows a removal equally often: a freshly deleted
 * tree slows the next checkout of that size (ext4 with online discard).
 */
async function createCleanupPairs(sides) {
  const out = { createA: [], createB: [], cleanupA: [], cleanupB: [] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const timed = i >= WARMUP;
    const order = i % 2 === 0 ? ["A", "B"] : ["B", "A"];
    for (const s of order) {
      await settle();
      const ms = await sides[`create${s}`](i, timed);
      if (timed) out[`create${s}`].push(ms);
    }
    for (const s of order) {
      await settle();
      const ms = await sides[`cleanup${s}`](i, timed);
      if (timed) out[`cleanup${s}`].push(ms);
    }
  }
  return out;
}

/** One run of `wt args` under GNU time: peak RSS (MB) and wall time. */
async function measureMemory(fx, label, args) {
  if (!hasGnuTime) {
    await wt(fx, args);
    return;
  }
  const file = path.join(TMP, "time.out");
  await settle();
  const r = await must("/usr/bin/time", ["-f", "%M", "-o", file, NODE, WT, ...args], { cwd: fx.repo });
  const kb = Number(readFileSync(file, "utf8").trim().split("\n").pop());
  memory.push({ label, mb: kb / 1024, ms: r.ms });
  return r;
}

async function benchStartup(fx) {
  log("startup: wt --version / --help / path vs node -e 0");
  const nodeFloor = () => must(NODE, ["-e", "0"]).then((r) => r.ms);
  const v = await alternate(() => wt(fx, ["--version"]).then((r) => r.ms), nodeFloor);
  addRow({ name: "`wt --version`", a: v.A, b: v.B, kind: "ratio", limit: 1.8, note: "`node -e 0`" });
  const h = await alternate(() => wt(fx, ["--help"]).then((r) => r.ms), nodeFloor);
  addRow({ name: "`wt --help`", a: h.A, b: h.B, kind: "ratio", limit: 1.8, note: "`node -e 0`" });
  await wt(fx, ["create", "p1", "--no-fetch"]);
  const p = await alternate(() => wt(fx, ["path", "p1"]).then((r) => r.ms), nodeFloor);
  addRow({ name: "`wt path <id>`", a: p.A, b: p.B, kind: "ratio", limit: 1.8, note: "`node -e 0`" });
  await measureMemory(fx, "wt --version", ["--version"]);
  await measureMemory(fx, "wt --help", ["--help"]);
  await measureMemory(fx, "wt path p1", ["path", "p1"]);
  await wt(fx, ["cleanup", "p1"]);
}

const gitDir = (name) => path.join(TMP, "git-worktrees", name);

async function gitWorktreeAdd(fx, name) {
  return (await git(fx.repo, ["worktree", "add", "-q", "-b", `feature/${name}`, gitDir(name), fx.base])).ms;
}
async function gitWorktreeRemove(fx, name) {
  const a = await git(fx.repo, ["worktree", "remove", gitDir(name)]);
  const b = await git(fx.repo, ["branch", "-q", "-d", `feature/${name}`]);
  return a.ms + b.ms;
}

async function benchCreateCleanup(fx) {
  log("create/cleanup (node_modules symlinked, .env copied) vs git worktree add / remove + branch -d");
  writeConfig(fx.repo, CONFIG_SYMLINK);
  let checked = false;
  const r = await createCleanupPairs({
    createA: async (i) => {
      const res = await wt(fx, ["create", `a${i}`, "--no-fetch", "--json"]);
      if (!checked) {
        checked = true;
        const j = JSON.parse(res.stdout);
        const modes = Object.fromEntries(j.included.map((e) => [e.path, e.mode]));
        if (modes.node_modules !== "symlink" || modes[".env"] !== "copy") {
          throw new Error(`unexpected includes for the symlink config: ${JSON.stringify(j.included)}`);
        }
      }
      return res.ms;
    },
    createB: (i) => gitWorktreeAdd(fx, `b${i}`),
    cleanupA: async (i) => (await wt(fx, ["cleanup", `a${i}`])).ms,
    cleanupB: (i) => gitWorktreeRemove(fx, `b${i}`),
  });
  addRow({
    name: "`wt create` (.env copied, node_modules symlinked)",
    a: r.createA,
    b: r.createB,
    kind: "delta",
    limit: 100,
    note: "`git worktree add -b`",
  });
  addRow({
    name: "`wt cleanup` (same worktree)",
    a: r.cleanupA,
    b: r.cleanupB,
    kind: "delta",
    limit: 100,
    note: "`git worktree remove` + `git branch -d`",
  });
  await measureMemory(fx, "wt create (symlink mode)", ["create", "m1", "--no-fetch"]);
  await measureMemory(fx, "wt cleanup (symlink mode)", ["cleanup", "m1"]);
  return r;
}

async function benchCopyMode(fx, symlinkRun) {
  log("copy mode: wt create copying node_modules vs git worktree add + cp -a --reflink=auto");
  writeConfig(fx.repo, CONFIG_COPY);
  const cpOnly = [];
  let checked = false;
  const r = await createCleanupPairs({
    createA: async (i) => {
      const res = await wt(fx, ["create", `k${i}`, "--no-fetch", "--json"]);
      if (!checked) {
        checked = true;
        const j = JSON.parse(res.stdout);
        if (!j.included.some((e) => e.path === "node_modules" && e.mode === "copy")) {
          throw new Error(`node_modules was not copied in copy mode: ${JSON.stringify(j.included)}`);
        }
      }
      return res.ms;
    },
    createB: async (i, timed) => {
      const name = `c${i}`;
      const dir = gitDir(name);
      const add = await gitWorktreeAdd(fx, name);
      const nm = await must("cp", [
        "-a",
        "--reflink=auto",
        path.join(fx.repo, "node_modules"),
        path.join(dir, "node_modules"),
      ]);
      const env = await must("cp", ["-a", "--reflink=auto", path.join(fx.repo, ".env"), path.join(dir, ".env")]);
      if (timed) cpOnly.push(nm.ms + env.ms);
      return add + nm.ms + env.ms;
    },
    cleanupA: async (i) => (await wt(fx, ["cleanup", `k${i}`])).ms,
    cleanupB: (i) => gitWorktreeRemove(fx, `c${i}`),
  });
  addRow({
    name: "copy-mode include: `wt create` copying node_modules + .env",
    a: r.createA,
    b: r.createB,
    kind: "ratio",
    limit: 1.15,
    note: "`git worktree add -b` + `cp -a --reflink=auto` node_modules, .env",
  });
  // The include step alone, derived: wt's copy-mode create minus its symlink-mode create.
  const derived = [symlinkRun ? median(r.createA) - median(symlinkRun.createA) : Number.NaN];
  rows.push({
    name: "include step alone (derived: copy-mode minus symlink-mode create medians)",
    wt: fmtMs(derived[0]),
    floor: `${fmtMs(median(cpOnly))} (\`cp -a --reflink=auto\` node_modules, .env)`,
    cmp: fmtRatio(derived[0], median(cpOnly)),
    target: "info",
    pass: null,
  });
  details.push({ name: "cp -a --reflink=auto node_modules + .env (floor of the include step)", a: cpOnly, b: null });
  addRow({
    name: "`wt cleanup`, copied node_modules (15k files)",
    a: r.cleanupA,
    b: r.cleanupB,
    kind: "delta",
    limit: 100,
    info: true,
    note: "`git worktree remove` + `git branch -d`",
  });
  await measureMemory(fx, "wt create (copy mode)", ["create", "m2", "--no-fetch"]);
  await measureMemory(fx, "wt cleanup (copy mode)", ["cleanup", "m2"]);
  writeConfig(fx.repo, CONFIG_SYMLINK);
}

function generateSqlite(file, targetBytes) {
  const require = createRequire(path.join(ROOT, "package.json"));
  const Database = require("better-sqlite3");
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = DELETE");
  db.pragma("synchronous = OFF");
  db.exec(
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, n INTEGER NOT NULL);" +
      "CREATE INDEX items_name ON items(name);",
  );
  const insert = db.prepare("INSERT INTO items (name, body, n) VALUES (?, ?, ?)");
  const batch = db.transaction((start) => {
    for (let i = start; i < start + 10000; i++) {
      insert.run(`item-${i}-${randomBytes(6).toString("hex")}`, randomBytes(450).toString("hex"), i);
    }
  });
  let rowsDone = 0;
  const size = () => db.pragma("page_count", { simple: true }) * db.pragma("page_size", { simple: true });
  while (size() < targetBytes) {
    batch(rowsDone);
    rowsDone += 10000;
  }
  db.close();
  return statSync(file).size;
}

async function benchSqlite(fx) {
  const template = path.join(fx.repo, "data", "app.db");
  log("SQLite: generating a 100 MB template");
  const bytes = generateSqlite(template, 100 * 1024 * 1024);
  const sizeMb = (bytes / 1024 / 1024).toFixed(0);
  if (!SQLITE3) {
    rows.push({
      name: `SQLite template copy (${sizeMb} MB)`,
      wt: "—",
      floor: "—",
      cmp: "—",
      target: "≤ 1.10x",
      pass: "skipped: sqlite3 CLI not installed (install the `sqlite3` package)",
    });
  } else {
    // The same database in WAL mode: committed pages may sit in a -wal, so wt copies it
    // through the engine (VACUUM INTO) instead of cloning the file.
    const walTemplate = path.join(fx.repo, "data", "app-wal.db");
    copyFileSync(template, walTemplate);
    {
      const require = createRequire(path.join(ROOT, "package.json"));
      const Database = require("better-sqlite3");
      const db = new Database(walTemplate);
      db.pragma("journal_mode = WAL");
      db.close();
    }
    const modes = [
      { file: template, label: "rollback-journal template, cloned under a shared lock", info: false },
      { file: walTemplate, label: "WAL template, through VACUUM INTO", info: true },
    ];
    for (const mode of modes) {
      log(`SQLite (${mode.label}): provisionDatabase (what wt create runs) vs sqlite3 .backup`);
      const dir = path.join(TMP, "db");
      mkdirSync(dir, { recursive: true });
      const inProcess = [];
      const r = await alternate(
        async (i, timed) => {
          const dst = path.join(dir, `a${i}.db`);
          const res = await must(NODE, [SQLITE_HELPER, mode.file, dst], { cwd: fx.repo });
          if (timed) inProcess.push(JSON.parse(res.stdout).ms);
          rmSync(dst, { force: true });
          return res.ms;
        },
        async (i) => {
          const dst = path.join(dir, `b${i}.db`);
          const res = await must(SQLITE3, [mode.file, `.backup "${dst}"`], { cwd: fx.repo });
          if (!existsSync(dst)) throw new Error(`sqlite3 .backup wrote no file: ${res.stderr}`);
          rmSync(dst, { force: true });
          return res.ms;
        },
      );
      addRow({
        name: `SQLite copy (${sizeMb} MB, ${mode.label}): \`provisionDatabase\` in process`,
        a: inProcess,
        b: r.B,
        kind: "ratio",
        limit: 1.1,
        info: mode.info,
        note: '`sqlite3 src ".backup dst"`',
      });
      if (!mode.info) {
        addRow({
          name: "SQLite copy above, whole Node process (start + import + copy)",
          a: r.A,
          b: r.B,
          kind: "ratio",
          info: true,
          note: '`sqlite3 src ".backup dst"`',
        });
      }
    }
    rmSync(walTemplate, { force: true });
  }
  writeConfig(fx.repo, { ...CONFIG_SYMLINK, databases: [{ path: "data/{name}.db", template: "data/app.db" }] });
  await measureMemory(fx, `wt create (symlink mode + ${sizeMb} MB SQLite template)`, ["create", "d1", "--no-fetch"]);
  await measureMemory(fx, "wt cleanup (with the SQLite copy)", ["cleanup", "d1"]);
  writeConfig(fx.repo, CONFIG_SYMLINK);
}

async function benchStatus(fx) {
  log("status: creating 50 worktrees with wt create");
  writeConfig(fx.repo, CONFIG_SYMLINK);
  const lateCreates = [];
  let made = 0;
  const worktreePaths = async () => {
    const out = (await git(fx.repo, ["worktree", "list", "--porcelain", "-z"])).stdout;
    return out
      .split("\0")
      .filter((l) => l.startsWith("worktree "))
      .map((l) => l.slice("worktree ".length));
  };
  for (const n of [1, 10, 50]) {
    while (made < n) {
      made++;
      const r = await wt(fx, ["create", `s${made}`, "--no-fetch"]);
      if (made > 40) lateCreates.push(r.ms);
    }
    const paths = await worktreePaths();
    if (paths.length !== n + 1) throw new Error(`expected ${n + 1} worktrees, git lists ${paths.length}`);
    log(`status: ${n} worktree(s) + main`);
    const input = paths.map((p) => `${p}\0`).join("");
    let checked = false;
    const r = await alternate(
      async () => {
        const res = await wt(fx, ["status", "--json"]);
        if (!checked) {
          checked = true;
          const rowsSeen = JSON.parse(res.stdout).worktrees.length;
          if (rowsSeen !== n + 1) throw new Error(`wt status lists ${rowsSeen} worktrees, expected ${n + 1}`);
        }
        return res.ms;
      },
      async () =>
        (
          await must("xargs", ["-0", "-P", "4", "-I", "{}", "git", "-C", "{}", "status", "--porcelain=v2", "-z"], {
            input,
          })
        ).ms,
    );
    addRow({
      name: `\`wt status --json\`, ${n} worktree${n > 1 ? "s" : ""} + main`,
      a: r.A,
      b: r.B,
      kind: "ratio",
      limit: 1.35,
      extraLimitMs: 1000,
      info: n !== 50,
      note: `\`git status --porcelain=v2\` ×${n + 1}, 4 at a time`,
    });
  }
  rows.push({
    name: "`wt create` with 40-49 worktrees present",
    wt: fmtMs(median(lateCreates)),
    floor: "—",
    cmp: "—",
    target: "info",
    pass: null,
  });
  details.push({
    name: "`wt create` with 40-49 worktrees present (not settled, not alternated)",
    a: lateCreates,
    b: null,
  });
  await measureMemory(fx, "wt status --json (50 worktrees + main)", ["status", "--json"]);
  await measureMemory(fx, "wt status (table, 50 worktrees + main)", ["status"]);
}

/**
 * `wt merge` of 20 branches (one new file each) into the fixture's branch, against the plain
 * `git merge --no-ff` loop in the main worktree that seeds 000/001 run. Before every sample
 * (untimed) the branch goes back to where it was with `reset --keep`. Gated: ≤ 2 s.
 */
async function benchMerge(fx) {
  const n = 20;
  log(`merge: ${n} worktrees with one commit each`);
  writeConfig(fx.repo, CONFIG_SYMLINK);
  const ids = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const branches = [];
  for (const id of ids) {
    const made = JSON.parse((await wt(fx, ["create", id, "--no-fetch", "--json"])).stdout);
    writeFileSync(path.join(made.path, `merge-${id}.txt`), `${id}\n`);
    await git(made.path, ["add", "--", `merge-${id}.txt`]);
    await git(made.path, ["commit", "-q", "-m", `work of ${id}`]);
    branches.push(made.branch);
  }
  const start = sh("git", ["-C", fx.repo, "rev-parse", "HEAD"]);
  const reset = () => git(fx.repo, ["reset", "-q", "--keep", start]);
  let checked = false;
  const r = await alternate(
    async () => {
      await reset();
      const res = await wt(fx, ["merge", ...ids, "--json"]);
      if (!checked) {
        checked = true;
        const merged = JSON.parse(res.stdout).merged.length;
        if (merged !== n) throw new Error(`wt merge merged ${merged} branches, expected ${n}`);
      }
      return res.ms;
    },
    async () => {
      await reset();
      let ms = 0;
      for (const b of branches) ms += (await git(fx.repo, ["merge", "-q", "--no-ff", "-m", `Merge ${b}`, b])).ms;
      return ms;
    },
  );
  await reset();
  const ms = median(r.A);
  rows.push({
    name: `\`wt merge\` of ${n} branches (one commit each) into ${fx.base}`,
    wt: fmtMs(ms),
    floor: `${fmtMs(median(r.B))} (\`git merge --no-ff\` ×${n} in the main worktree)`,
    cmp: fmtRatio(ms, median(r.B)),
    target: "≤ 2000 ms",
    pass: ms <= 2000,
  });
  details.push({ name: `\`wt merge\` of ${n} branches`, a: r.A, b: r.B });
  for (const id of ids) await wt(fx, ["cleanup", id, "--delete-branch"]);
}

// ---------------------------------------------------------------------------------------
// Main

/**
 * The pool (issue 12): `wt create --pool` (a claim: `git worktree move` + `git switch -c`, no
 * checkout) against `git worktree add -b` in the same iteration, and `wt release` of that
 * worktree (teardown, `git switch --detach`, move back, lock). Two slots, filled untimed.
 */
async function benchPool(fx) {
  log("pool: wt create --pool / wt release vs git worktree add -b");
  writeConfig(fx.repo, { ...CONFIG_SYMLINK, pool: { size: 2 } });
  await wt(fx, ["pool", "fill"]);
  const claim = [];
  const release = [];
  const floor = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const timed = i >= WARMUP;
    await settle();
    const c = await wt(fx, ["create", `q${i}`, "--pool", "--no-fetch", "--json"]);
    if (!JSON.parse(c.stdout).pool?.hit) throw new Error(`wt create --pool missed: ${c.stdout}`);
    await settle();
    const r = await wt(fx, ["release", `q${i}`]);
    await settle();
    const g = await gitWorktreeAdd(fx, `g${i}`);
    await gitWorktreeRemove(fx, `g${i}`);
    if (timed) {
      claim.push(c.ms);
      release.push(r.ms);
      floor.push(g);
    }
  }
  addRow({
    name: "`wt create --pool` (a claim)",
    a: claim,
    b: floor,
    kind: "abs",
    limit: 150,
    note: "`git worktree add -b`",
  });
  addRow({ name: "`wt release` (back into the pool)", a: release, kind: "abs", limit: 250 });
  await measureMemory(fx, "wt create --pool", ["create", "qm", "--pool", "--no-fetch"]);
  await measureMemory(fx, "wt release", ["release", "qm"]);
  await wt(fx, ["pool", "drain"]);
  writeConfig(fx.repo, CONFIG_SYMLINK);
}

async function main() {
  if (!existsSync(path.join(ROOT, "dist", "cli", "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm run bench does)");
  }
  const facts = machineFacts();
  const tFix = performance.now();
  const fx = await buildFixture();
  if (!fx.base) throw new Error("the fixture's HEAD is not on a branch");
  log(
    `fixture ready in ${((performance.now() - tFix) / 1000).toFixed(1)} s: ${fx.tracked} tracked files, ${fx.modules} files in node_modules`,
  );
  const want = (section) => opts.only === null || opts.only.includes(section);
  if (want("startup")) await benchStartup(fx);
  const symlinkRun = want("create") ? await benchCreateCleanup(fx) : null;
  if (want("copy")) await benchCopyMode(fx, symlinkRun);
  if (want("sqlite")) await benchSqlite(fx);
  if (want("status")) await benchStatus(fx);
  if (want("merge")) await benchMerge(fx);
  if (want("pool")) await benchPool(fx);

  if (hasGnuTime && memory.length === 0) {
    // --only without a section that measures memory.
  } else if (hasGnuTime) {
    const peak = memory.reduce((m, x) => (x.mb > m.mb ? x : m), memory[0]);
    rows.push({
      name: `peak memory (max RSS of any wt command: ${peak.label})`,
      wt: `${peak.mb.toFixed(1)} MB`,
      floor: "—",
      cmp: "—",
      target: "≤ 100 MB",
      pass: peak.mb <= 100,
    });
  } else {
    rows.push({
      name: "peak memory",
      wt: "—",
      floor: "—",
      cmp: "—",
      target: "≤ 100 MB",
      pass: "skipped: GNU time not installed (install the `time` package)",
    });
  }

  const elapsed = (performance.now() - T_START) / 1000;
  const loadEnd = os.loadavg()[0];
  const busy = facts.load > Number(facts.nproc) * 0.5;
  const mainTable = table(
    ["benchmark", "wt median (ms)", "floor median (ms)", "ratio / delta", "target", "result"],
    rows.map((r) => [r.name, r.wt, r.floor, r.cmp, r.target, verdict(r.pass)]),
  );
  const memTable = hasGnuTime
    ? table(
        ["wt command (one run)", "max RSS (MB)", "wall (ms)"],
        memory.map((m) => [m.label, m.mb.toFixed(1), fmtMs(m.ms)]),
      )
    : "GNU time not installed: no memory figures (install the `time` package).";
  const detailTable = table(
    ["samples: min / median / max (ms)", "wt", "floor"],
    details.map((d) => [d.name, spread(d.a), d.b ? spread(d.b) : "—"]),
  );
  const result = gate(rows);
  const fixtureLine = opts.repo
    ? `temp clone of ${opts.repo} (${fx.tracked} tracked files, ${fx.modules} files in node_modules)`
    : `generated: ${fx.tracked} tracked files (1-5 KB), node_modules of ${fx.modules} files in 1,500 packages, untracked .env, 100 MB SQLite template`;
  const report = [
    "## `npm run bench` results",
    "",
    `- date: ${facts.date}; ${RUNS} timed runs per side (+${WARMUP} warm-up), A and B alternating; total ${elapsed.toFixed(0)} s`,
    `- machine: ${facts.nproc} CPUs (${facts.cpu}), ${facts.mem} RAM, ${facts.kernel}`,
    `- node ${facts.node}, git ${facts.git}, sqlite3 ${facts.sqlite3}`,
    `- temp dir filesystem: ${facts.fsType}${facts.mount ? ` (${facts.mount})` : ""}; reflink: ${facts.reflink ? "yes" : "no (cp --reflink=auto copies bytes)"}`,
    `- fixture: ${fixtureLine}`,
    `- load average (1 min) before the run ${facts.load.toFixed(2)}, at its end ${loadEnd.toFixed(2)} (the benchmark's own load included)${busy ? " — WARNING: the machine was busy with other work before the run, figures are noisy and slow" : ""}`,
    `- environment: NODE_EXTRA_CA_CERTS ${hadExtraCa ? "was set and is" : "is"} unset for both sides (it adds ~90 ms to every Node start); WT_* unset; NO_COLOR=1`,
    "",
    mainTable,
    "",
    `${result.passed} PASS, ${result.failed} FAIL${result.skipped ? `, ${result.skipped} skipped` : ""}.`,
    "",
    "Peak memory, one run of each command under GNU time (`/usr/bin/time -f %M`):",
    "",
    memTable,
    "",
    "Spread of the samples:",
    "",
    detailTable,
    "",
    "Notes:",
    "",
    "- Floors are the raw commands doing the same work, timed in the same run, alternating with `wt` (ABAB…, the side going first swaps every iteration); `sync` runs (untimed) before every sample so neither side pays the other's writeback.",
    "- A freshly deleted tree makes the next checkout of that size up to 9× slower on ext4 without a journal (online `discard`): every create/cleanup iteration makes its own worktree with a distinct folder and branch, and the two sides swap order every iteration so each one follows a removal equally often.",
    "- `wt cleanup` may move the folder into `<git-common-dir>/wt/trash/` and delete it in the background: its figure is the time until the command returns; the benchmark then waits (untimed) for the trash to be empty before the next sample of either side, so the background deletion never overlaps a measurement.",
    "- `NODE_EXTRA_CA_CERTS` (set in some sandboxes) adds ~90 ms to every Node start; it is removed from the environment of every command, both sides.",
    "- `wt create` runs with `--no-fetch` (the fixture has no remote); its base is the main worktree's branch, the same one `git worktree add` gets.",
    "- Copy-mode row: wt's whole `create` (config without `include.symlink`, so node_modules and .env are copied) against `git worktree add -b` + `cp -a --reflink=auto` of node_modules and .env; the derived row below it subtracts the symlink-mode create median to estimate the include step alone.",
    "- SQLite row: `bench/sqlite-copy.mjs` calls the `provisionDatabase` that `wt create` uses (dist/core/databases.js); the gated figure is the time inside that call, the info row the whole Node process; the floor is the whole `sqlite3` CLI process.",
    "- Status rows: `wt status --json` against `git status --porcelain=v2 -z` in every worktree git lists (main included), run by `xargs -P 4` (no Node start in the floor).",
    "",
  ].join("\n");
  process.stdout.write(`\n${report}`);
  if (opts.only === null) {
    writeFileSync(RESULTS, report);
    process.stdout.write(`\nwritten to ${RESULTS}\n`);
  } else {
    process.stdout.write(`\n--only ${opts.only.join(",")}: ${RESULTS} left as it was\n`);
  }
  return result;
}

// Exit 1 when a gated row FAILs (CI and scripts can gate on `npm run bench`), 1 too when the
// bench itself broke (the message says which), 2 for bad arguments, 130 on Ctrl-C.
main()
  .then((result) => {
    if (result.exitCode !== 0) log(`${result.failed} gated row(s) FAIL: ${result.failedNames.join("; ")}`);
    cleanupTmp();
    process.exit(result.exitCode);
  })
  .catch((e) => {
    process.stderr.write(`bench: ${e.stack ?? e}\n`);
    cleanupTmp();
    process.exit(1);
  });
