import { git } from "./run.js";

/**
 * git verbs `wt doctor --fix` uses on git's worktree registrations (git-worktree(1)).
 */

/**
 * Deregisters the linked worktree git lists at `worktreePath`, whose folder is gone:
 * `git worktree remove <path>` touches that one entry only, where `git worktree prune` would
 * prune every prunable entry of the repository at once. Without `--force` git refuses a
 * locked entry (a user's lock stays) and a folder that exists with changes.
 * @throws GitError (exit 6) when git refuses.
 */
export async function removeMissingWorktree(mainPath: string, worktreePath: string): Promise<void> {
  await git(["worktree", "remove", "--", worktreePath], { cwd: mainPath });
}

/**
 * `git worktree unlock <path>`: only ever called on a lock wt's own create left (its reason is
 * `wt create in progress (pid N)` and that process is gone), never on a user's lock.
 * @throws GitError (exit 6) when git refuses.
 */
export async function unlockWorktree(mainPath: string, worktreePath: string): Promise<void> {
  await git(["worktree", "unlock", "--", worktreePath], { cwd: mainPath });
}
