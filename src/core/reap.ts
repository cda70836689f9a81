import { readFileSync } from "node:fs";
import type { Env } from "../git/run.js";
import { parseProcStat } from "./proc-parse.js";
import { protectedPids, snapshotProcesses } from "./processes.js";

/** What `reap` did. */
export interface ReapResult {
  /** Sent SIGTERM and gone within the grace period. */
  terminated: number[];
  /** Still there after the grace period: sent SIGKILL, and gone after it. */
  killed: number[];
  /** Still alive after SIGKILL (the caller refuses to go on: exit 4). */
  survivors: number[];
  /** Never signalled: wt itself, an ancestor, or another user's process; or already gone. */
  skipped: { pid: number; reason: "self" | "ancestor" | "other-user" | "gone" }[];
}

export interface ReapOptions {
  /** How long the processes get to exit after SIGTERM, in milliseconds (default 1500). */
  graceMs?: number;
  /** How long to wait for the kernel after SIGKILL, in milliseconds (default 2000). */
  killWaitMs?: number;
  /** How often to look whether they are gone, in milliseconds (default 50). */
  pollMs?: number;
}

/** pid -> start time (`/proc/<pid>/stat` field 22), or null where /proc is not there. */
function startOf(pid: number): string | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))?.start ?? null;
  } catch {
    return null;
  }
}

/**
 * True while `pid` is the same live process: a zombie (exited, waiting for its parent's
 * wait()) counts as gone, and so does a pid that now belongs to a process started later.
 */
function alive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    // No /proc (macOS): kill(pid, 0) is all there is.
    return process.platform !== "linux";
  }
  const stat = parseProcStat(text);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return start === null || stat.start === start;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already (ESRCH): the re-check tells.
  }
}

async function waitGone(pids: readonly number[], starts: Map<number, string | null>, ms: number, pollMs: number) {
  const deadline = Date.now() + ms;
  let left = pids.filter((p) => alive(p, starts.get(p) ?? null));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, pollMs));
    left = left.filter((p) => alive(p, starts.get(p) ?? null));
  }
  return left;
}

/**
 * Stops `pids`: SIGTERM to each, up to `graceMs` for them to exit, SIGKILL to the ones left,
 * then a re-check (worktrunk's `--reap`, treehouse's return; research round 2, §6). Never
 * signals wt itself, its ancestors or another user's process, whatever the caller passes.
 * A pid whose process was replaced by a newer one (same pid, later start time) is not touched.
 * @param env the caller's environment (`ctx.env`): `ps`/`lsof` run with it where there is no `/proc`
 * @returns what happened to each pid; `survivors` is non-empty when some outlived SIGKILL.
 */
export async function reap(pids: readonly number[], env: Env, options: ReapOptions = {}): Promise<ReapResult> {
  const graceMs = options.graceMs ?? 1500;
  const pollMs = options.pollMs ?? 50;
  const snapshot = await snapshotProcesses(env, false);
  const guard = protectedPids(snapshot);
  const uid = process.getuid?.() ?? null;
  const result: ReapResult = { terminated: [], killed: [], survivors: [], skipped: [] };
  const starts = new Map<number, string | null>();
  const targets: number[] = [];
  for (const pid of new Set(pids)) {
    const info = snapshot.processes.get(pid);
    if (pid === process.pid) result.skipped.push({ pid, reason: "self" });
    else if (guard.has(pid)) result.skipped.push({ pid, reason: "ancestor" });
    else if (!info) result.skipped.push({ pid, reason: "gone" });
    else if (uid !== null && info.uid !== null && info.uid !== uid) result.skipped.push({ pid, reason: "other-user" });
    else {
      starts.set(pid, info.start ?? startOf(pid));
      targets.push(pid);
    }
  }
  for (const pid of targets) signal(pid, "SIGTERM");
  const stubborn = await waitGone(targets, starts, graceMs, pollMs);
  result.terminated = targets.filter((p) => !stubborn.includes(p));
  for (const pid of stubborn) signal(pid, "SIGKILL");
  result.survivors = await waitGone(stubborn, starts, options.killWaitMs ?? 2000, pollMs);
  result.killed = stubborn.filter((p) => !result.survivors.includes(p));
  return result;
}
