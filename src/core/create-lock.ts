import type { WorktreeEntry } from "../git/parse.js";
import { type GitAt, unlockWorktree } from "../git/worktree.js";
import { processAlive } from "./process.js";
import type { WorktreeRecord } from "./state.js";

/**
 * git's lock on a worktree `wt create` has not finished (`git worktree add --lock --reason`):
 * it keeps `git worktree prune` away from a half-made worktree until the create's last step
 * unlocks it.
 */
export const CREATE_LOCK_PREFIX = "wt create in progress";

/** The lock reason of a create run by process `pid`. */
export function createLockReason(pid: number): string {
  return `${CREATE_LOCK_PREFIX} (pid ${pid})`;
}

/** The pid in a lock reason wt wrote (`createLockReason`), or null for any other lock. */
export function createLockOwner(reason: string | null): number | null {
  if (reason === null) return null;
  const m = /^wt create in progress \(pid (\d+)\)$/.exec(reason);
  return m ? Number(m[1]) : null;
}

/**
 * Unlocks the worktrees whose lock wt's create left behind: the reason is wt's, its pid is dead,
 * and the record says the create got past the step that unlocks (`hooks-pending` or `ready`),
 * so a SIGKILL between writing that record and `git worktree unlock` does not leave the lock
 * for good (issue 9, item 17). A `creating` record keeps its lock (the half-made worktree
 * stays safe from `git worktree prune` until `wt cleanup` removes it); a lock a user set is
 * never touched. Runs under the repository lock.
 * @returns the folders unlocked.
 */
export async function releaseStaleCreateLocks(
  at: GitAt,
  entries: readonly WorktreeEntry[],
  records: readonly WorktreeRecord[],
): Promise<string[]> {
  const unlocked: string[] = [];
  for (const entry of entries) {
    const pid = createLockOwner(entry.locked);
    if (pid === null || pid === process.pid || processAlive(pid)) continue;
    const record = records.find((r) => r.path === entry.path);
    if (!record || record.state === "creating") continue;
    await unlockWorktree(at, entry.path);
    entry.locked = null;
    unlocked.push(entry.path);
  }
  return unlocked;
}
