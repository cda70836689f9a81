// What every section of the bench shares: the cleaned environment, process helpers, the
// settle-before-sample rule, the alternation of the two sides, statistics and the result rows.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const WT = path.join(ROOT, "bin", "wt.js");
export const NODE = process.execPath;

/**
 * The run's shared state, set once by run.mjs: `runs` timed runs per side (+`warmup`
 * discarded), the temp folder, the trash folders of the fixtures (wt cleanup's background deleter),
 * whether GNU time works. Sections read it; only run.mjs and the fixture builders write it.
 */
export const S = { runs: 10, warmup: 1, tmp: "", trashDirs: [], hasGnuTime: false, quick: false };

export const hadExtraCa = Boolean(process.env.NODE_EXTRA_CA_CERTS);

/**
 * The environment of every command: NODE_EXTRA_CA_CERTS (which adds ~90 ms to every Node
 * start), NODE_OPTIONS and WT_* removed, NO_COLOR=1, a fixed git identity. run.mjs adds
 * XDG_STATE_HOME (a folder of the temp dir, so wt's user state, slots and trust, is the bench's).
 */
export const ENV = (() => {
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

export function log(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

/**
 * Spawns `cmd args` with the cleaned env, drains stdout/stderr, and resolves with its exit
 * code, output and wall time in ms (from spawn to exit, output drained). `timeoutMs` kills it.
 */
export function run(cmd, args, { cwd, input, env = ENV, timeoutMs } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    const timer = timeoutMs ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : null;
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", (e) => resolve({ code: -1, stdout: "", stderr: String(e), ms: performance.now() - t0 }));
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - t0,
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** run(), but a non-zero exit throws with the command and its stderr. */
export async function must(cmd, args, o = {}) {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    throw new Error(
      `command failed (exit ${r.code}): ${[cmd, ...args].join(" ")}\n${(r.stderr || r.stdout).trim().slice(-2000)}`,
    );
  }
  return r;
}

export function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { env: ENV, encoding: "utf8", ...o });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const git = (repo, args) => must("git", ["-C", repo, ...args]);
/** `wt args` in the fixture's main worktree; `env` adds variables (WT_TRUST for the pool). */
export const wt = (fx, args, env) => must(NODE, [WT, ...args], { cwd: fx.repo, env: env ? { ...ENV, ...env } : ENV });

/**
 * Before every timed sample: waits until wt's background deleter has emptied its trash (so
 * the next sample, of either side, does not share the disk with it), then flushes dirty
 * pages so neither side pays the other's writeback.
 */
export async function settle() {
  const until = performance.now() + 120_000;
  for (const dir of S.trashDirs) {
    while (performance.now() < until) {
      let left;
      try {
        left = readdirSync(dir).length;
      } catch {
        left = 0;
      }
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await run("sync", []);
}

/** ABAB…: `warmup` discarded pairs, then `runs` timed pairs; the side that goes first alternates. */
export async function alternate(a, b) {
  const A = [];
  const B = [];
  for (let i = 0; i < S.warmup + S.runs; i++) {
    const timed = i >= S.warmup;
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
 * iteration, so each side's first create follows a removal equally often. Used where both
 * sides pay the same deletion (copy mode); the create rows use fresh folders (create.mjs).
 */
export async function createCleanupPairs(sides) {
  const out = { createA: [], createB: [], cleanupA: [], cleanupB: [] };
  for (let i = 0; i < S.warmup + S.runs; i++) {
    const timed = i >= S.warmup;
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

// ---------------------------------------------------------------------------------------
// Statistics, rows and tables

export function median(xs) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export const fmtMs = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");
export const fmtRatio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : "—");
export const fmtDelta = (a, b) => (Number.isFinite(a - b) ? `${a - b >= 0 ? "+" : ""}${(a - b).toFixed(1)} ms` : "—");
export const spread = (xs) =>
  xs.length ? `${fmtMs(Math.min(...xs))} / ${fmtMs(median(xs))} / ${fmtMs(Math.max(...xs))}` : "—";

/** Rows of the result table; `pass` is true/false, null for information rows, a string when skipped. */
export const rows = [];
/** The samples behind the rows (min / median / max table). */
export const details = [];
/** One GNU time run per command: `{label, mb, ms}`. */
export const memory = [];

/**
 * Adds a row comparing the samples `a` (wt) with `b` (the floor, optional). `kind`: "ratio"
 * (gate `a/b ≤ limit`, and `a ≤ extraLimitMs` when given), "abs" (gate `a ≤ limit` ms; with
 * `minSpeedup`, also `b/a ≥ minSpeedup`), "delta" (gate `a − b ≤ limit` ms), "faster" (gate
 * `a < b`). `info: true` shows it ungated (`infoTarget`: what the target column says then).
 * @param {{ name: string, a: number[], b?: number[] | null, kind: "ratio" | "abs" | "delta" | "faster",
 *   limit?: number, extraLimitMs?: number, minSpeedup?: number, note?: string, info?: boolean,
 *   infoTarget?: string }} row
 */
export function addRow({ name, a, b, kind, limit, extraLimitMs, minSpeedup, note, info = false, infoTarget }) {
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
    cmp = b ? (minSpeedup ? `${(fb / wa).toFixed(1)}x faster` : fmtRatio(wa, fb)) : "—";
    if (!info) {
      target = `≤ ${limit} ms`;
      pass = wa <= limit;
      if (minSpeedup !== undefined) {
        target += ` and ≥ ${minSpeedup}x faster`;
        pass = pass && fb / wa >= minSpeedup;
      }
    }
  } else if (kind === "delta") {
    cmp = fmtDelta(wa, fb);
    if (!info) {
      target = `≤ +${limit} ms`;
      pass = wa - fb <= limit;
    }
  } else if (kind === "faster") {
    cmp = fmtDelta(wa, fb);
    if (!info) {
      target = "faster (< +0 ms)";
      pass = wa < fb;
    }
  }
  if (info && infoTarget) target = infoTarget;
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

export function table(headers, body) {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** One run of `wt args` under GNU time: peak RSS (MB) and wall time (pushed onto `memory`). */
export async function measureMemory(fx, label, args, env) {
  if (!S.hasGnuTime) {
    await wt(fx, args, env);
    return;
  }
  const file = path.join(S.tmp, "time.out");
  await settle();
  const r = await must("/usr/bin/time", ["-f", "%M", "-o", file, NODE, WT, ...args], {
    cwd: fx.repo,
    env: env ? { ...ENV, ...env } : ENV,
  });
  const kb = Number(readFileSync(file, "utf8").trim().split("\n").pop());
  memory.push({ label: fx.label ? `${label} (${fx.label})` : label, mb: kb / 1024, ms: r.ms });
  return r;
}

export function gnuTimeWorks() {
  return existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M", "true"], { env: ENV }).status === 0;
}
