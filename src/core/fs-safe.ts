import type { Stats } from "node:fs";
import { lstat } from "node:fs/promises";
import path from "node:path";
import { ConflictError } from "./errors.js";

/**
 * Guards for "nothing is read or written outside the two worktrees, and nothing is written
 * through a symlink" (docs/contract.md, `.worktreeinclude`).
 */

/**
 * Joins `rel` to `root` and checks that the result stays inside `root`: `rel` must be
 * relative, have no `..` segment, and no folder between `root` and the file may be a
 * symlink (a branch could commit `config -> /etc` to redirect a write).
 * @returns the absolute path.
 * @throws ConflictError (exit 3) naming the offending path.
 */
export async function safeJoin(root: string, rel: string): Promise<string> {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes("..")) {
    throw new ConflictError(`refusing path ${JSON.stringify(rel)}: it leaves ${root}`);
  }
  const target = path.resolve(root, rel);
  const fromRoot = path.relative(root, target);
  if (fromRoot.startsWith("..") || path.isAbsolute(fromRoot)) {
    throw new ConflictError(`refusing path ${JSON.stringify(rel)}: it leaves ${root}`);
  }
  const parts = fromRoot.split(path.sep).slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = path.join(at, part);
    const st = await lstatOrNull(at);
    if (st === null) break;
    if (st.isSymbolicLink()) {
      throw new ConflictError(
        `refusing to write ${target}: ${at} is a symlink, and wt never writes through one`,
        "remove the symlink from the branch, or drop the entry from .worktreeinclude",
      );
    }
    if (!st.isDirectory()) {
      throw new ConflictError(`refusing to write ${target}: ${at} is not a folder`);
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
