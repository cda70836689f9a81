#!/usr/bin/env node
// `npm run bench`: times `wt` against its floor (the raw commands doing the same work) in
// the same run, alternating the two sides, and prints medians, ratios and PASS/FAIL against
// the targets of the performance issues. Not part of `npm test`.
//
//   node bench/run.mjs [<repo>] [--runs N] [--quick] [--only SECTIONS] [--keep]
//
// Without <repo> it generates a fixture in a temp folder: a git repository of ~3,000 tracked
// files, a generated node_modules of ~15,000 files in 1,500 packages, an untracked .env, a
// `.worktreeinclude` and a 100 MB SQLite template. With <repo> it works on a `git clone
// --no-local` of it in a temp folder (its node_modules and .env are copied in when present,
// generated otherwise), so nothing of the given repository changes. The `large` section
// generates a second fixture of 25,000 tracked files. Every temp folder is removed at the
// end, on failure and on Ctrl-C too (unless --keep).
//
// Order: the fixtures are built, then every create row runs on fresh folders (all worktrees
// of every side made, nothing deleted: create, peers, pool, large), then the deletions (the
// cleanup rows, and creates right after them as information), then the other sections.
//
// Every command gets the same cleaned environment: NODE_EXTRA_CA_CERTS (which adds ~90 ms to
// every Node start) and WT_* variables removed, NO_COLOR=1, XDG_STATE_HOME in the temp folder.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createMemory, deleteAll, gitWorktreeRemove, makeWorktrees, skippedPeerRows } from "./create.mjs";
import { buildFixture } from "./fixture.mjs";
import { gate, verdict } from "./gate.mjs";
import {
  details,
  ENV,
  fmtMs,
  gnuTimeWorks,
  hadExtraCa,
  log,
  memory,
  ROOT,
  rows,
  S,
  sh,
  spread,
  table,
} from "./lib.mjs";
import { preparePeers } from "./peers.mjs";
import { benchPool } from "./pool.mjs";
import { benchCopyMode, benchMerge, benchSqlite, benchStartup, benchStatus, SQLITE3 } from "./sections.mjs";

const RESULTS = path.join(ROOT, "bench", "results.md");
const T_START = performance.now();

// ---------------------------------------------------------------------------------------
// Arguments

const SECTIONS = ["startup", "create", "peers", "pool", "large", "copy", "sqlite", "status", "merge"];

function usage(code) {
  process.stdout.write(
    [
      "usage: node bench/run.mjs [<repo>] [--runs N] [--quick] [--only SECTIONS] [--keep]",
      "  <repo>     benchmark a temp clone of this repository instead of the generated fixture",
      "  --runs N   timed runs per side and row (default 10; one extra warm-up run is discarded)",
      "  --quick    3 runs per side (smoke test)",
      `  --only S   only these sections, comma-separated (${SECTIONS.join(", ")}); prints the`,
      "             table without rewriting bench/results.md",
      "             create: wt create / cleanup vs git on the 3,000-file fixture; peers: branchlet,",
      "             agent-worktree (npm, into the temp folder) and git gtr beside them; pool:",
      "             wt create --pool / wt release; large: create, pool and release on 25,000 files",
      "  --keep     keep the temp folder and print its path",
      "",
    ].join("\n"),
  );
  process.exit(code);
}

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
S.runs = opts.runs;
S.quick = opts.quick;

// ---------------------------------------------------------------------------------------
// Temp folder, removed on every way out

const TMP = mkdtempSync(path.join(os.tmpdir(), "wt-bench-"));
S.tmp = TMP;
ENV.XDG_STATE_HOME = path.join(TMP, "state");
mkdirSync(ENV.XDG_STATE_HOME);
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
// machine lacks turns its row into a skipped one, with a note saying what to install. The
// peers are installed from the npm registry into the temp folder (peers.mjs).

S.hasGnuTime = gnuTimeWorks();
const hasGnuTime = S.hasGnuTime;
if (!hasGnuTime) log("GNU time (/usr/bin/time) not found: the peak memory row is skipped (install the `time` package)");
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
// Main

const want = (section) => opts.only === null || opts.only.includes(section);

/**
 * The create rows of every fixture, fresh folders first and every deletion after: the
 * 3,000-file fixture's creates (with the peers) and pool, the 25,000-file fixture's, then the
 * deletions of both (cleanup rows, creates right after a deletion).
 */
async function freshCreates(small) {
  const fixtures = [];
  if (small && (want("create") || want("peers") || want("pool"))) {
    let peers = [];
    if (want("peers")) {
      const p = await preparePeers();
      peers = p.peers;
      skippedPeerRows(p.skipped);
    }
    const made = want("create") || want("peers") ? await makeWorktrees(small, { gate: "delta", peers }) : null;
    const poolGit = want("pool") ? await benchPool(small) : [];
    fixtures.push({ fx: small, made, poolGit, info: false });
  }
  if (want("large")) {
    const tFix = performance.now();
    const large = await buildFixture("large");
    log(`${large.label} ready in ${((performance.now() - tFix) / 1000).toFixed(1)} s: ${large.tracked} tracked files`);
    const made = await makeWorktrees(large, { gate: "faster" });
    const poolGit = await benchPool(large, { minSpeedup: 10 });
    fixtures.push({ fx: large, made, poolGit, info: true });
  }
  for (const { fx, made, poolGit, info } of fixtures) {
    if (made) await deleteAll(made, { info, extraGit: poolGit });
    else for (const name of poolGit) await gitWorktreeRemove(fx, name);
  }
  return fixtures.find((f) => f.fx === small)?.made ?? null;
}

async function main() {
  if (!existsSync(path.join(ROOT, "dist", "cli", "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm run bench does)");
  }
  const facts = machineFacts();
  const needSmall = SECTIONS.filter((s) => s !== "large").some(want);
  let small = null;
  if (needSmall) {
    const tFix = performance.now();
    small = await buildFixture("small", opts.repo);
    log(
      `fixture ready in ${((performance.now() - tFix) / 1000).toFixed(1)} s: ${small.tracked} tracked files, ${small.modules} files in node_modules`,
    );
  }
  const made = await freshCreates(small);
  if (made) await createMemory(small);
  if (small) {
    if (want("startup")) await benchStartup(small);
    if (want("copy")) await benchCopyMode(small, made?.wt ?? null);
    if (want("sqlite")) await benchSqlite(small);
    if (want("status")) await benchStatus(small);
    if (want("merge")) await benchMerge(small);
  }
  return report(facts, small);
}

/** The report: the tables, the notes; written to bench/results.md on a full run. */
function report(facts, small) {
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
  const fixtures = [];
  if (small && opts.repo) {
    fixtures.push(
      `temp clone of ${opts.repo} (${small.tracked} tracked files, ${small.modules} files in node_modules)`,
    );
  } else if (small) {
    fixtures.push(
      `generated: ${small.tracked} tracked files (1-5 KB), node_modules of ${small.modules} files in 1,500 packages, untracked .env, 100 MB SQLite template`,
    );
  }
  if (want("large"))
    fixtures.push("generated (large): 25,003 tracked files (1-5 KB), node_modules of 2,000 files, untracked .env");
  const fixtureLine = fixtures.join("; ");
  const text = [
    "## `npm run bench` results",
    "",
    `- date: ${facts.date}; ${S.runs} timed runs per side (+${S.warmup} warm-up), A and B alternating; total ${elapsed.toFixed(0)} s`,
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
    '- Create rows: every worktree of every side (wt, git, the peers) is made first, on fresh folders and fresh branch names, the side going first rotating every iteration; nothing is deleted until all are made (ext4 slows file creation after a mass deletion: git\'s own `worktree add` ranged 333-2,140 ms in such samples). The deletions come after (the cleanup rows), and a few creates right after them form the information row "right after a mass deletion".',
    "- Peers: branchlet and `@nekocode/agent-worktree-linux-x64` are installed with `npm install --prefix` into the temp folder at the start of the run, `git gtr` is used when on PATH; a peer that is missing or fails to install is a skipped row. Their HOME is a temp folder. branchlet copies `.env*` (its default), agent-worktree copies `.env` (`copy_files`), gtr runs with `--no-copy`; none links node_modules. On a peer row the first figure is the peer's, against git; then wt against the fastest peer. Information rows; the issue's target is wt within 30 ms of the fastest. Peers run on the 3,000-file fixture only. The \"floor: Node start\" row is no peer: `node -e` spawning the same `git worktree add -b` and exiting with it, what any tool written in Node pays before its own work.",
    "- Pool rows: `wt pool fill` (untimed, `WT_TRUST=1` for its `pool.warm` command), then per iteration a claim (`wt create --pool`) and a `git worktree add -b` alternating, and the release of the claim; nothing is deleted during the loop. The release-after-commit row times the reset of 100 changed files by git alone (`git switch --detach <base>`) in the same worktree just before wt's release.",
    "- `wt cleanup` may move the folder into `<git-common-dir>/wt/trash/` and delete it in the background: its figure is the time until the command returns; the benchmark then waits (untimed) for the trash to be empty before the next sample of either side, so the background deletion never overlaps a measurement.",
    "- `NODE_EXTRA_CA_CERTS` (set in some sandboxes) adds ~90 ms to every Node start; it is removed from the environment of every command, both sides.",
    "- `wt create` runs with `--no-fetch` (the fixture has no remote); its base is the main worktree's branch, the same one `git worktree add` gets.",
    "- Copy-mode row: wt's whole `create` (config without `include.symlink`, so node_modules and .env are copied) against `git worktree add -b` + `cp -a --reflink=auto` of node_modules and .env, both after deletions (create and cleanup pairs); the derived row below it subtracts the fresh-folder symlink-mode create median to estimate the include step alone.",
    "- SQLite row: `bench/sqlite-copy.mjs` calls the `provisionDatabase` that `wt create` uses (dist/core/databases.js); the gated figure is the time inside that call, the info row the whole Node process; the floor is the whole `sqlite3` CLI process.",
    "- Status rows: `wt status --json` against `git status --porcelain=v2 -z` in every worktree git lists (main included), run by `xargs -P 4` (no Node start in the floor).",
    "",
  ].join("\n");
  process.stdout.write(`\n${text}`);
  if (opts.only === null) {
    writeFileSync(RESULTS, text);
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
