import { lstatSync, type Stats } from "node:fs";
import { lstat, realpath, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { addedPaths, trackedAmong } from "../git/merge.js";
import type { GitAt } from "../git/run.js";
import { worktreeLinkProblem } from "../git/worktree-link.js";
import { SwappedWorktreeError, UnsafePathError } from "./errors.js";
import { trashedWorktree } from "./trash.js";

/**
 * Guards for "nothing is read or written outside the two worktrees, and nothing is written
 * through a symlink" (docs/contract.md, `.worktreeinclude`).
 */

/**
 * Joins `rel` to `root` and checks that the result stays inside `root`: `rel` must be
 * relative, have no `..` segment, and no folder between `root` and the file may be a
 * symlink (a branch could commit `config -> /etc` to redirect a write), nor `root` itself
 * (a worktree folder swapped for `ln -s <main worktree> <root>`) when it exists.
 * @returns the absolute path.
 * @throws UnsafePathError (exit 3) naming the offending path.
 */
export async function safeJoin(root: string, rel: string): Promise<string> {
  await refuseSwappedRoot(root);
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes("..")) {
    throw new UnsafePathError(`refusing path ${JSON.stringify(rel)}: it leaves ${root}`);
  }
  const target = path.resolve(root, rel);
  const fromRoot = path.relative(root, target);
  if (fromRoot.startsWith("..") || path.isAbsolute(fromRoot)) {
    throw new UnsafePathError(`refusing path ${JSON.stringify(rel)}: it leaves ${root}`);
  }
  const parts = fromRoot.split(path.sep).slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = path.join(at, part);
    const st = await lstatOrNull(at);
    if (st === null) break;
    if (st.isSymbolicLink()) {
      throw new UnsafePathError(
        `refusing to write ${target}: ${at} is a symlink, and wt never writes through one`,
        "remove the symlink from the branch, or drop the entry from .worktreeinclude",
      );
    }
    if (!st.isDirectory()) {
      throw new UnsafePathError(`refusing to write ${target}: ${at} is not a folder`);
    }
  }
  return target;
}

/** `lstat` that answers null for a missing path. */
export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
}

/** True when `child` is `parent` or lies inside it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel));
}

/**
 * Why wt may not write or delete `target` below `root` (a symlinked or non-folder component on
 * the way, or a path that leaves `root`: `safeJoin`'s refusal), or null when it may.
 * @param target absolute path inside `root`
 */
export async function refusalInside(root: string, target: string): Promise<string | null> {
  return safeJoin(root, path.relative(root, target)).then(
    () => null,
    (e: Error) => e.message,
  );
}

/**
 * Deletes `target` (recursively, never following a link: a link there is removed, not its
 * target) when it lies below `root` through real folders only. A path reached through a
 * symlinked folder (`data -> <main worktree>/data`, made by an agent or a warm command) is not
 * wt's file but the link target's: it is left, with a warning, and so is a path outside `root`.
 * @param root absolute worktree folder; `target` absolute
 * @returns whether it was deleted (or was not there)
 */
export async function removeBelow(root: string, target: string, warn: (m: string) => void): Promise<boolean> {
  const through = isInside(root, target) && target !== root ? await refusalInside(root, target) : "it is not inside";
  if (through !== null) {
    warn(`not deleting ${target}: ${through.replace(/^refusing to write [^:]*: /, "")}`);
    return false;
  }
  // A file or link: unlink(2) alone, so a refusal is its own (EPERM for `chattr +i`), not the
  // ENOTDIR of a recursive rm that tried the file as a folder next.
  const st = await lstatOrNull(target);
  if (st !== null && !st.isDirectory()) await unlink(target).catch(ignoreMissing);
  else await rm(target, { recursive: true, force: true });
  return true;
}

function ignoreMissing(e: NodeJS.ErrnoException): void {
  if (e.code !== "ENOENT") throw e;
}

/**
 * Refuses a `root` that is there but is not a real folder: a symlink (lstat, never followed)
 * or a file. A missing `root` is fine here (a create has not made it yet).
 * @throws SwappedWorktreeError (exit 3) naming `root` and where the link points.
 */
async function refuseSwappedRoot(root: string): Promise<Stats | null> {
  const st = await lstatOrNull(root);
  if (st === null || st.isDirectory()) return st;
  const what = st.isSymbolicLink()
    ? `a symlink (to ${await realpath(root).catch(() => "a missing path")})`
    : "not a folder";
  throw new SwappedWorktreeError(
    `refusing to use the worktree folder ${root}: it is ${what}, and wt never writes or deletes through one`,
    `put the worktree's real folder back at ${root} (remove the link first), or run \`git worktree repair <its folder>\` where it is now`,
  );
}

/**
 * Checks, before wt writes into a linked worktree or cleanup looks at it, that `root` is still
 * the worktree git registered there: a real folder (not a symlink: `mv W W.moved; ln -s <main> W`
 * would have wt write into the main worktree), whose `.git` is a regular file naming an admin
 * folder in `<commonDir>/worktrees/` whose `gitdir` file names `<root>/.git` back
 * (gitrepository-layout(5), "worktrees/<id>/gitdir"; both may be relative with
 * `worktree.useRelativePaths`: to the worktree and to the admin folder).
 * @param root absolute worktree folder
 * @param commonDir `git rev-parse --git-common-dir`, absolute
 * @param options.registered false when git no longer lists `root`: only the folder itself is checked
 * @returns false when nothing is at `root` (a folder deleted by hand), true when it is the worktree
 * @throws SwappedWorktreeError (exit 3) naming `root`, with how to put the worktree back
 */
export async function checkWorktreeRoot(
  root: string,
  commonDir: string,
  options: { registered?: boolean } = {},
): Promise<boolean> {
  if ((await refuseSwappedRoot(root)) === null) return false;
  if (options.registered === false) return true;
  const why = worktreeLinkProblem(commonDir, root);
  if (why !== null) {
    // Not `git worktree repair` when wt's trash holds the worktree: it would tie the folder now
    // at its path to the worktree's index, and the trash entry would look like a leftover.
    const trashed = trashedWorktree(path.join(commonDir, "wt"), commonDir, root);
    throw new SwappedWorktreeError(
      `refusing to use the worktree folder ${root}: it is not the worktree git registered there (${why}); nothing was written or deleted`,
      trashed !== null
        ? `the worktree is in wt's trash (${trashed}), left there by a stopped cleanup: move what is at ${root} aside, then \`wt doctor --fix\` puts it back`
        : `run \`git worktree repair ${root}\` in the main worktree if the worktree was moved (or move it back to ${root}); if another folder took its place, move that folder away`,
      "broken-worktree",
    );
  }
  return true;
}

/**
 * The paths of `rels` (relative, '/'-separated, as git writes them) that the folder `folder`
 * already has on disk, or whose parent is a file there: what a checkout that adds them (`git
 * read-tree -u`, `git switch`) would overwrite. Ignored files are among them, which git status
 * does not list and git overwrites without asking (git-checkout(1), `--overwrite-ignore`).
 * Synchronous lstat calls, one per path component until one is missing. Sorted, each once.
 */
export function presentOnDisk(folder: string, rels: readonly string[]): string[] {
  const found = new Set<string>();
  for (const rel of rels) {
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i).join("/");
      const st = lstatSync(path.join(folder, at), { throwIfNoEntry: false });
      if (st === undefined) break;
      if (i === parts.length || !st.isDirectory()) {
        found.add(at);
        break;
      }
    }
  }
  return [...found].sort();
}

/**
 * What a checkout of `worktree` from commit `from` to `to` (40 hex each) would overwrite that
 * is not tracked there: the paths `to` adds (`addedPaths`) that the folder has on disk
 * (`presentOnDisk`), less those its index tracks (a tracked file `a` where `to` has `a/b`: git
 * replaces it, and an edit of it is a change git status shows). Ignored files are among them:
 * git overwrites those without asking (git-checkout(1), "--overwrite-ignore").
 * @param main where `git diff-tree` runs; its environment is used in `worktree` too
 * @throws GitError (exit 6)
 */
export async function filesInTheWay(main: GitAt, worktree: string, from: string, to: string): Promise<string[]> {
  const found = presentOnDisk(worktree, await addedPaths(main, from, to));
  if (found.length === 0) return found;
  const tracked = await trackedAmong({ cwd: worktree, env: main.env }, found);
  return found.filter((p) => !tracked.has(p));
}
