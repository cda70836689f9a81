import { type GitAt, git } from "./run.js";

/**
 * The git verbs of the worktree pool (git-worktree(1), git-switch(1)). Each
 * takes a `GitAt` and throws `GitError` (exit 6) on failure.
 */

/**
 * `git worktree add --detach --lock --reason <reason> -- <folder> <commit>`: a pool slot, checked
 * out at `commit` with no branch, locked so `git worktree prune` leaves it alone.
 */
export async function addDetachedWorktree(at: GitAt, folder: string, commit: string, reason: string): Promise<void> {
  await git(
    ["-c", "checkout.workers=0", "worktree", "add", "--detach", "--lock", "--reason", reason, "--", folder, commit],
    at,
  );
}

/**
 * `git worktree move -- <from> <to>`: renames the folder and rewrites both halves of git's tie
 * (the `.git` file and the admin dir's `gitdir`). git refuses a locked worktree and an
 * existing `<to>`; the parent of `<to>` must exist (git renames, it does not make folders).
 */
export async function moveWorktree(at: GitAt, from: string, to: string): Promise<void> {
  await git(["worktree", "move", "--", from, to], at);
}

/** `git worktree lock --reason <reason> -- <folder>`. */
export async function lockWorktree(at: GitAt, folder: string, reason: string): Promise<void> {
  await git(["worktree", "lock", "--reason", reason, "--", folder], at);
}

/**
 * `git switch --no-track -c <branch>` in the worktree at `at.cwd`: a new branch at HEAD. When
 * HEAD is already the commit the branch starts at, git touches no file (the index and tree
 * already match), so a claim costs the same on any repository size.
 */
export async function switchNewBranch(at: GitAt, branch: string): Promise<void> {
  await git(["switch", "--no-track", "-c", branch], at);
}

/**
 * `git switch --detach <commit>` in the worktree at `at.cwd`: leaves the branch, updating only
 * the files that differ between HEAD and `commit`. git refuses (and changes nothing) when a
 * local change would be overwritten.
 */
export async function switchDetach(at: GitAt, commit: string): Promise<void> {
  await git([...LOG_HEAD, "switch", "--detach", "--end-of-options", commit], at);
}

/**
 * HEAD's reflog is written by a slot's switch even where `core.logAllRefUpdates` is off
 * (git-config(1)): `headAndPrevious` reads the commit the switch moved from in it.
 */
const LOG_HEAD = ["-c", "core.logAllRefUpdates=true"] as const;

/**
 * HEAD's commit and the one before it in HEAD's reflog (`git rev-parse HEAD HEAD@{1}`,
 * gitrevisions(7): `@{1}` is the newest entry's old value) in the worktree at `at.cwd`;
 * `previous` null when the reflog has no such entry, `head` null when HEAD names no commit.
 */
export async function headAndPrevious(at: GitAt): Promise<{ head: string | null; previous: string | null }> {
  const r = await git(["rev-parse", "HEAD", "HEAD@{1}"], { ...at, okCodes: [128] });
  const [head, previous] = r.stdout.split("\n").map((l) => (/^[0-9a-f]{40,64}$/.test(l) ? l : null));
  return { head: head ?? null, previous: r.exitCode === 0 ? (previous ?? null) : null };
}

/**
 * Detaches HEAD of the worktree at `at.cwd` where it already points: `git update-ref --no-deref
 * -m <message> HEAD <commit> <commit>` (git-update-ref(1): the old value is verified against what
 * HEAD resolves to, under git's ref lock). What `git switch --detach <commit>` does when HEAD is
 * at `commit`, without reading the index or a file of the tree (their cost grows with the
 * repository), and with no file changed.
 * @returns false, changing nothing, when HEAD is not at `commit` (git's exit 128).
 */
export async function detachInPlace(at: GitAt, commit: string, message: string): Promise<boolean> {
  const r = await git(["update-ref", "--no-deref", "-m", message, "HEAD", commit, commit], { ...at, okCodes: [128] });
  return r.exitCode === 0;
}

/**
 * Puts HEAD of the worktree at `at.cwd` back on `branch` (`git symbolic-ref -m <message> HEAD
 * refs/heads/<branch>`, git-symbolic-ref(1)): the undo of a `detachInPlace` made where the
 * branch points, which changes no file either.
 * @throws GitError (exit 6).
 */
export async function attachHead(at: GitAt, branch: string, message: string): Promise<void> {
  await git(["symbolic-ref", "-m", message, "HEAD", `refs/heads/${branch}`], at);
}

/**
 * `git update-index -q --refresh` in the worktree at `at.cwd`: compares every file with its index
 * entry, re-reading the content of those whose stat data no longer matches, and writes the
 * index with fresh stat data (git-update-index(1), `--refresh`; `-q`: files that differ do not
 * make it fail). Afterwards `git status` there reads only the stat data of unchanged files.
 *
 * Racy git (git's Documentation/technical/racy-git.txt): an entry whose file was modified in
 * the same second as the index file was written (to the nanosecond when git is built with
 * USE_NSEC) cannot be trusted from stat data, so git writes it "smudged" and every later status
 * re-reads that file's content. A refresh meant to last runs after the second in which the
 * files were last written has ended (`afterSecondOf`).
 */
export async function refreshIndex(at: GitAt): Promise<void> {
  await git(["update-index", "-q", "--refresh"], { ...at, okCodes: [1] });
}

/**
 * Resolves once the wall-clock second of `ms` (a `Date.now()` value) has ended, plus 20 ms for
 * the kernel's coarse clock that file timestamps come from (it may lag `Date.now()` by a tick).
 * Resolves at once when that time has passed; rejects with the signal's reason on abort.
 */
export function afterSecondOf(ms: number, signal?: AbortSignal): Promise<void> {
  const wait = Math.floor(ms / 1000) * 1000 + 1000 + 20 - Date.now();
  if (wait <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, wait);
    function done() {
      signal?.removeEventListener("abort", stop);
      resolve();
    }
    function stop() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop, { once: true });
  });
}
