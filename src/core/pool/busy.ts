import type { Env } from "../../git/run.js";
import { matchProcesses, protectedPids, snapshotProcesses } from "../processes.js";

/**
 * One look at the machine's processes (`snapshotProcesses`: working directories only, no
 * socket tables), then, per folder, the ids of the processes standing in it (working directory inside; wt and its
 * ancestors never count): a claim skips such a slot, fill and drain leave it. Taken once per
 * run: reading every process costs more than the per-slot question.
 * @param main the main worktree (absolute, real), as `wt ps` matches `WT_MAIN`
 * @param env the caller's environment (`session.env`), for `ps`/`lsof` where there is no `/proc`
 */
export async function processProbe(main: string, env: Env): Promise<(folder: string) => number[]> {
  const snapshot = await snapshotProcesses(env, false, "cwd");
  const skip = protectedPids(snapshot);
  // An id no WT_ID can be: a slot has no id, so only the working directory counts.
  return (folder) =>
    matchProcesses(snapshot, { id: "\0pool-slot", path: folder, main, ports: {} }, skip).map((p) => p.pid);
}
