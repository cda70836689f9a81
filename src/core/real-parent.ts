import { realpathSync } from "node:fs";
import path from "node:path";

/**
 * `target` with the symlinks of its existing parent folders resolved: the deepest ancestor
 * that exists is replaced by its real path and the rest is joined back on. The last component
 * is kept as it is, so a worktree folder that is itself a symlink is still seen (and refused)
 * as one.
 *
 * Why: `git worktree add` records a worktree by its real path (`git worktree list` shows it
 * so), so a `worktreeDir` reached through a symlink (`~/wt` -> `/data/wt`, macOS `/tmp`)
 * gave a record that no longer matched git's entry — status said `missing`, cleanup refused as
 * "moved" — and a path Claude Code refuses (no symlinked component since 2.1.216).
 * @param target an absolute path.
 */
export function withRealParents(target: string): string {
  const rest: string[] = [path.basename(target)];
  let dir = path.dirname(target);
  for (;;) {
    try {
      return path.join(realpathSync(dir), ...rest);
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return target;
      rest.unshift(path.basename(dir));
      dir = up;
    }
  }
}

/** The real path of `target` when it exists (its own symlink resolved too), else `withRealParents(target)`. */
export function realOrRealParents(target: string): string {
  try {
    return realpathSync(target);
  } catch {
    return withRealParents(target);
  }
}
