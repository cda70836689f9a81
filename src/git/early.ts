import { lstatSync } from "node:fs";
import path from "node:path";
import { CURRENT_BRANCH_ARGS, originCandidates, originRefsArgs } from "./refs.js";
import { GIT_VERSION_ARGS, REMOTES_ARGS, REPO_FACTS_ARGS } from "./repo.js";
import { type EarlyEnd, type Env, startEarlyGit } from "./run.js";

/**
 * What a verb reads first: `repository`, the git version and where the repository is (every
 * verb); `create`, also the main worktree's remotes and branch, then origin's refs (its default base).
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
    const remotes = startEarlyGit(REMOTES_ARGS, { cwd, env });
    const branch = startEarlyGit(CURRENT_BRANCH_ARGS, { cwd, env });
    ends.push(
      remotes,
      branch,
      Promise.all([remotes, branch]).then(([r, b]) => startOriginRefs(r, b, cwd, env)),
    );
  }
  await Promise.all(ends);
}

/**
 * Once the remotes and the branch are known, the one read of origin's refs the default base
 * makes (`originRefs`, from `defaultBase`), started with the very argv it will use: it waited
 * for the modules of the verb otherwise. Nothing when there is no `origin`.
 */
function startOriginRefs(remotes: EarlyEnd, branch: EarlyEnd, cwd: string, env: Env): Promise<unknown> | undefined {
  if (remotes.exitCode !== 0 || !remotes.stdout.split("\n").includes("origin")) return undefined;
  const name = branch.exitCode === 0 && branch.stdout.trim() ? branch.stdout.trim() : null;
  return startEarlyGit(originRefsArgs(originCandidates(name)), { cwd, env });
}

function isDirectory(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    // A head start is never worth an error.
    return false;
  }
}
