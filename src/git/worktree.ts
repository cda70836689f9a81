import { readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { type GitAt, git } from "./run.js";
import { worktreeAdminDir } from "./worktree-link.js";

export type { GitAt } from "./run.js";

/** How `addWorktree` gets its branch (git-worktree(1), `add`). */
export type AddWorktreeBranch =
  /** Check out a local branch that exists already. */
  | { kind: "existing"; branch: string }
  /** Make `branch` tracking `origin/<branch>`. */
  | { kind: "track"; branch: string }
  /** Make `branch` at `commit`, tracking nothing. */
  | { kind: "new"; branch: string; commit: string };

/**
 * `git worktree add --lock --reason <lockReason>` of `folder` (absolute). The lock keeps a
 * half-made worktree from `git worktree prune` until create unlocks it; `checkout.workers=0`
 * makes the checkout parallel (git-config(1)), and user values come after `--`.
 * @throws GitError (exit 6); InterruptedError when `at.signal` aborts (git is stopped mid-checkout).
 */
export async function addWorktree(
  at: GitAt,
  folder: string,
  how: AddWorktreeBranch,
  lockReason: string,
): Promise<void> {
  const args = ["-c", "checkout.workers=0", "worktree", "add", "--lock", "--reason", lockReason];
  if (how.kind === "existing") args.push("--", folder, how.branch);
  else if (how.kind === "track") args.push("--track", "-b", how.branch, "--", folder, `origin/${how.branch}`);
  else args.push("--no-track", "-b", how.branch, "--", folder, how.commit);
  await git(args, at);
}

/**
 * `git worktree remove --force [--force] -- <folder>`: unregisters the worktree (also one whose
 * folder is gone) and deletes its folder; the second `--force` overrides a lock (git-worktree(1)).
 * With `onlyClean`, no `--force` at all: git itself then refuses, as it removes, a worktree with
 * modified or untracked files (ignored ones go) or with submodules ("Only clean worktrees (no
 * untracked files and no modification in tracked files) can be removed", git-worktree(1)).
 * @param options.tolerant resolve on exit 128 (rollback of a half-made worktree git may not know).
 * @throws GitError (exit 6).
 */
export async function removeWorktree(
  at: GitAt,
  folder: string,
  options: { locked: boolean; tolerant?: boolean; onlyClean?: boolean },
): Promise<void> {
  const force = options.onlyClean ? [] : ["--force", ...(options.locked ? ["--force"] : [])];
  // git's check runs `git status --porcelain` (builtin/worktree.c, `check_clean_worktree`): an
  // untracked file counts whatever `status.showUntrackedFiles` the user set.
  const shown = options.onlyClean ? ["-c", "status.showUntrackedFiles=normal"] : [];
  await git([...shown, "worktree", "remove", ...force, "--", folder], {
    ...at,
    okCodes: options.tolerant ? [128] : [],
  });
}

/** `git worktree unlock -- <folder>`. @throws GitError (exit 6), e.g. when it is not locked. */
export async function unlockWorktree(at: GitAt, folder: string): Promise<void> {
  await git(["worktree", "unlock", "--", folder], at);
}

/**
 * Removes the lock with `reason` from the linked worktree at `folder`, as `git worktree unlock`
 * does: git deletes `worktrees/<id>/locked` in the common dir (gitrepository-layout(5)), after
 * reading every worktree of the repository to find `<id>` (about 1 ms per worktree). Here the
 * id comes from the folder's own tie to its admin dir, checked both ways (`worktreeAdminDir`),
 * and the file is deleted in process only when it holds exactly `reason` (git trims it as it
 * reads it). In every other case (no tie, no lock, another reason, the file unreadable)
 * `git worktree unlock` runs as before, with its refusals.
 * @throws GitError (exit 6) as `unlockWorktree`.
 */
export async function unlockOwnLock(at: GitAt, commonDir: string, folder: string, reason: string): Promise<void> {
  const admin = worktreeAdminDir(commonDir, folder);
  const locked = admin === null ? null : path.join(admin, "locked");
  const held = locked === null ? null : await readFile(locked, "utf8").catch(() => null);
  if (locked !== null && held !== null && held.trim() === reason.trim()) {
    try {
      await unlink(locked);
      return;
    } catch {
      // Fall through: git says why.
    }
  }
  await unlockWorktree(at, folder);
}

/**
 * Locks the linked worktree at `folder` with `reason`, as `git worktree lock --reason` does:
 * git writes `reason` and a newline to `worktrees/<id>/locked` in the common dir
 * (gitrepository-layout(5)) after reading every worktree of the repository to find `<id>`.
 * Here the id comes from the folder's own tie to its admin dir, checked both ways
 * (`worktreeAdminDir`), and the file is created in process only when none exists (exclusive
 * create: a lock that is there, anyone's, is never overwritten). In every other case (no tie,
 * already locked, the file not writable) `git worktree lock` runs as before, with its refusals.
 * @throws GitError (exit 6) as `git worktree lock` (e.g. already locked).
 */
export async function lockOwnWorktree(at: GitAt, commonDir: string, folder: string, reason: string): Promise<void> {
  const admin = worktreeAdminDir(commonDir, folder);
  if (admin !== null) {
    try {
      await writeFile(path.join(admin, "locked"), `${reason}\n`, { flag: "wx" });
      return;
    } catch {
      // Fall through: git says why.
    }
  }
  await git(["worktree", "lock", "--reason", reason, "--", folder], at);
}

/**
 * Deregisters the linked worktree git lists at `folder`, whose folder is gone (`wt doctor
 * --fix`): `git worktree remove <path>` touches that one entry only, where `git worktree prune`
 * would prune every prunable entry of the repository at once. Without `--force` git refuses a
 * locked entry (a user's lock stays) and a folder that exists with changes (git-worktree(1)).
 * @throws GitError (exit 6) when git refuses.
 */
export async function removeMissingWorktree(at: GitAt, folder: string): Promise<void> {
  await git(["worktree", "remove", "--", folder], at);
}
