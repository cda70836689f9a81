import { lstatSync, type Stats } from "node:fs";
import path from "node:path";
import { splitNul } from "./parse.js";
import { CHECK_IGNORE_ARGS, CURRENT_BRANCH_ARGS, checkIgnoreInput, IGNORED_LIST_ARGS } from "./refs.js";
import { GIT_VERSION_ARGS, REMOTES_ARGS, REPO_FACTS_ARGS } from "./repo.js";
import { type Env, startEarlyGit } from "./run.js";

/**
 * What a verb reads first: `repository`, the git version and where the repository is (every
 * verb); `create`, also the main worktree's remotes, branch and ignored files (the default
 * base, `.worktreeinclude`'s candidates).
 */
export type EarlyScope = "repository" | "create";

/**
 * Starts the read-only git runs a verb started in `cwd` makes first, while its modules still
 * load (issue 12: they ran one after another after ~30 ms of loading). Each is the very
 * command line, folder and environment the verb's own call will use, which takes it
 * (`startEarlyGit`); one that no call takes is wasted work, never a wrong answer. The main
 * worktree's reads start only when `cwd` is a main worktree's top (`cwd/.git` is a folder),
 * where the verb runs them; the ignored files only when `cwd/.worktreeinclude` exists (a
 * create lists them only then), and their `check-ignore` as soon as the listing ends.
 * Only for reads of what wt's repository lock does not guard: `git worktree list` and the
 * refs are read under the lock, fresh.
 * @param cwd absolute, as the verb's `ctx.cwd`; `env` the very object of its `ctx.env`
 * @returns when every run it started has ended (never rejects); the CLI does not wait for it
 */
export async function startEarlyReads(cwd: string, env: Env, scope: EarlyScope): Promise<void> {
  const ends: Promise<unknown>[] = [
    startEarlyGit(GIT_VERSION_ARGS, { cwd, env, discover: true }),
    startEarlyGit(REPO_FACTS_ARGS, { cwd, env, discover: true }),
  ];
  if (scope === "create" && isDirectory(path.join(cwd, ".git"))) {
    const main = { cwd, env };
    ends.push(startEarlyGit(REMOTES_ARGS, main), startEarlyGit(CURRENT_BRANCH_ARGS, main));
    if (isFile(path.join(cwd, ".worktreeinclude"))) {
      const listed = await startEarlyGit(IGNORED_LIST_ARGS, main);
      if (listed.exitCode === 0) {
        ends.push(startEarlyGit(CHECK_IGNORE_ARGS, { ...main, input: checkIgnoreInput(splitNul(listed.stdout)) }));
      }
    }
  }
  await Promise.all(ends);
}

function isDirectory(p: string): boolean {
  return kind(p)?.isDirectory() === true;
}

function isFile(p: string): boolean {
  return kind(p)?.isFile() === true;
}

/** lstat, or null whatever stops it (a head start is never worth an error). */
function kind(p: string): Stats | null {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
