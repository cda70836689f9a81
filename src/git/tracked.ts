import { type GitAt, gitOut } from "./run.js";

/**
 * Which of `paths` (relative to `at.cwd`, the main worktree) git tracks, as `git ls-files -z`
 * lists them. `:(literal)` pathspecs (gitglossary(7), "pathspec"): a path holding `*` or `?`
 * names only itself. A symlink is tracked as itself (mode 120000), and git never looks
 * through it, so a committed link `data -> ../elsewhere` is found by asking for `data`.
 * @returns the tracked ones, '/'-separated as git writes them
 * @throws GitError (exit 6) when git fails
 */
export async function trackedAmong(at: GitAt, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const out = await gitOut(["ls-files", "-z", "--", ...paths.map((p) => `:(literal)${p}`)], {
    cwd: at.cwd,
    env: at.env,
  });
  return out.split("\0").filter(Boolean);
}
