import { lstatSync } from "node:fs";
import path from "node:path";
import { CURRENT_BRANCH_ARGS } from "./refs.js";
import { GIT_VERSION_ARGS, REMOTES_ARGS, REPO_FACTS_ARGS } from "./repo.js";
import { type Env, startEarlyGit } from "./run.js";

/**
 * What a verb reads first: `repository`, the git version and where the repository is (every
 * verb); `create`, also the main worktree's remotes and branch (its default base).
 */
export type EarlyScope = "repository" | "create";

/**
 * Starts the read-only git runs a verb started in `cwd` makes first, before it takes the
 * repository lock, while its modules still load (issue 12: they ran one after another after
 * ~30 ms of loading). Each is the very command line, folder and environment the verb's own
 * call will use, which takes it (`startEarlyGit`); one that no call takes is stopped when the
 * lock is taken, never a wrong answer. The main worktree's reads start only when `cwd` is a
 * main worktree's top (`cwd/.git` is a folder), where a create runs them. Nothing read under
 * the lock (the worktree list, refs, the ignored files a create copies) is started here.
 * @param cwd absolute, as the verb's `ctx.cwd`; `env` the very object of its `ctx.env`
 * @returns when every run it started has ended (never rejects); the CLI does not wait for it
 */
export async function startEarlyReads(cwd: string, env: Env, scope: EarlyScope): Promise<void> {
  const ends: Promise<unknown>[] = [
    startEarlyGit(GIT_VERSION_ARGS, { cwd, env, discover: true }),
    startEarlyGit(REPO_FACTS_ARGS, { cwd, env, discover: true }),
  ];
  if (scope === "create" && isDirectory(path.join(cwd, ".git"))) {
    ends.push(startEarlyGit(REMOTES_ARGS, { cwd, env }), startEarlyGit(CURRENT_BRANCH_ARGS, { cwd, env }));
  }
  await Promise.all(ends);
}

function isDirectory(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    // A head start is never worth an error.
    return false;
  }
}
