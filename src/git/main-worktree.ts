import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

// Where the main worktree of a repository with a separate git dir is (`git init
// --separate-git-dir`, `git clone --separate-git-dir`, a submodule). git records it nowhere:
// `git worktree list` names the git dir itself as the main worktree (worktree.c's
// get_main_worktree strips only a trailing `/.git` from the common dir). From the main worktree
// git's top level is the answer; wt notes it here for the runs that start in a linked worktree.

/** The note's file name under `<commonDir>/wt/`. */
const NOTE = "main-worktree";

/**
 * True when `<folder>/.git` is a file whose `gitdir:` line leads (real path) to `commonDir`:
 * the folder is the main worktree of that git dir (gitrepository-layout(5), "gitdir: <path>").
 */
export function linksToGitDir(folder: string, commonDir: string): boolean {
  try {
    const m = /^gitdir: (.+)$/m.exec(readFileSync(path.join(folder, ".git"), "utf8"));
    if (!m) return false;
    return realpathSync(path.resolve(folder, (m[1] as string).trim())) === realpathSync(commonDir);
  } catch {
    return false;
  }
}

/** The noted main worktree of `commonDir` (absolute, real), or null when there is no valid note. */
export function readMainNote(commonDir: string): string | null {
  let noted: string;
  try {
    noted = readFileSync(path.join(commonDir, "wt", NOTE), "utf8").trim();
  } catch {
    return null;
  }
  return noted !== "" && linksToGitDir(noted, commonDir) ? noted : null;
}

/** Notes `main` (absolute, real) as the main worktree of `commonDir`, unless it already is. */
export function noteMainWorktree(commonDir: string, main: string): void {
  if (readMainNote(commonDir) === main) return;
  const dir = path.join(commonDir, "wt");
  mkdirSync(dir, { recursive: true });
  // Temp file and rename: a reader never sees half a path.
  const tmp = path.join(dir, `${NOTE}.${process.pid}.tmp`);
  writeFileSync(tmp, `${main}\n`);
  renameSync(tmp, path.join(dir, NOTE));
}
