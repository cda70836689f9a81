import { readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

// The filesystem-only half of finding the repository, apart from ./repo.ts so that `wt path`
// and `wt status` load no git runner to start (each ES module costs start-up time; issue 5).

/** Where a command runs: the repository as git sees it from `cwd`. */
export interface RepoContext {
  /** The folder `wt` was asked to work from (absolute). */
  cwd: string;
  /** `git rev-parse --git-common-dir`, absolute and real. */
  commonDir: string;
  /** The main worktree (absolute, real). For a bare repository: the bare repository folder. */
  mainPath: string;
  /** True when the repository is bare (it then has only linked worktrees). */
  bare: boolean;
  /** Folder name of the main worktree (bare: without a trailing `.git`): `{repo}` in templates. */
  repoName: string;
  /** `<commonDir>/wt`: records, lock and trash of `wt`. */
  stateDir: string;
}

/**
 * Finds the repository around `cwd` from the filesystem alone (no git process), for the
 * commands that only read wt's records (`wt path`, `wt env`): a shell prompt calls them often.
 * Follows git's layout (gitrepository-layout(5)): a `.git` folder, or a `.git` file holding
 * `gitdir: <path>` whose folder has a `commondir` file. Returns null whenever the layout is
 * anything else (bare repositories, GIT_DIR set, separate git dirs): then use `resolveRepo`.
 */
export function discoverRepoFast(cwd: string, env: Readonly<Record<string, string | undefined>>): RepoContext | null {
  if (env.GIT_DIR || env.GIT_WORK_TREE || env.GIT_COMMON_DIR) return null;
  let dir = path.resolve(cwd);
  try {
    // A folder that does not exist (`-C typo`) is not inside the repository above it.
    if (!statSync(dir).isDirectory()) return null;
  } catch {
    return null;
  }
  for (;;) {
    const dotGit = path.join(dir, ".git");
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(dotGit);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) return fastContext(cwd, realpathSync(dotGit));
    if (st?.isFile()) {
      const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"));
      if (!m) return null;
      const gitDir = path.resolve(dir, (m[1] as string).trim());
      let common: string;
      try {
        common = path.resolve(gitDir, readFileSync(path.join(gitDir, "commondir"), "utf8").trim());
      } catch {
        return null;
      }
      return fastContext(cwd, realpathSync(common));
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function fastContext(cwd: string, commonDir: string): RepoContext | null {
  if (path.basename(commonDir) !== ".git") return null;
  const mainPath = path.dirname(commonDir);
  return {
    cwd: path.resolve(cwd),
    commonDir,
    mainPath,
    bare: false,
    repoName: path.basename(mainPath) || "repo",
    stateDir: path.join(commonDir, "wt"),
  };
}
