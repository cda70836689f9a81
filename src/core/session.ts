import { listRemotes, type RepoContext, refExists, resolveRepo } from "../git/repo.js";
import { git, gitOut } from "../git/run.js";
import { type ConfigFlags, loadConfig, type WtConfig } from "./config.js";
import type { WtContext } from "./context.js";

/** The repository and its effective configuration, as every verb starts. */
export interface Session {
  repo: RepoContext;
  config: WtConfig;
}

/**
 * Finds the repository around `ctx.cwd` and loads its configuration.
 * @throws UsageError / ConfigError (exit 2) as `resolveRepo` and `loadConfig` do.
 */
export async function openSession(ctx: WtContext, flags: ConfigFlags = {}): Promise<Session> {
  const repo = await resolveRepo(ctx.cwd);
  const config = await loadConfig(repo.mainPath, ctx.env, flags);
  return { repo, config };
}

/**
 * The base when the config names none (docs/contract.md, "Zero-config defaults"):
 * `origin/<default branch>` when `origin` exists (its `HEAD`, else the main worktree's
 * branch, `main` or `master` there), else the main worktree's current branch (or its commit
 * when detached).
 */
export async function defaultBase(repo: RepoContext): Promise<string> {
  const cwd = repo.mainPath;
  const [remotes, current] = await Promise.all([
    listRemotes(cwd),
    git(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd, okCodes: [1, 128] }),
  ]);
  const currentBranch = current.exitCode === 0 ? current.stdout.trim() : null;
  if (remotes.includes("origin")) {
    const head = await git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], {
      cwd,
      okCodes: [1, 128],
    });
    if (head.exitCode === 0 && head.stdout.trim()) return head.stdout.trim();
    for (const name of [currentBranch, "main", "master"]) {
      if (name && (await refExists(cwd, `refs/remotes/origin/${name}`))) return `origin/${name}`;
    }
  }
  if (currentBranch) return currentBranch;
  return (await gitOut(["rev-parse", "HEAD"], { cwd })).trim();
}

/**
 * Fetches the remote a base like `origin/main` lives on. A failed fetch is a warning: the
 * local copy of the remote branch is used, so `wt` works offline.
 * @returns a warning message, or null when the fetch worked or was not needed.
 */
export async function fetchBaseRemote(repo: RepoContext, base: string, signal?: AbortSignal): Promise<string | null> {
  const remotes = await listRemotes(repo.mainPath);
  const remote = remotes.filter((r) => base.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
  if (!remote) return null;
  try {
    await git(["fetch", "--quiet", "--no-write-fetch-head", "--end-of-options", remote], {
      cwd: repo.mainPath,
      signal,
    });
    return null;
  } catch (e) {
    if (signal?.aborted) throw e;
    const detail = (e as { stderrTail?: string }).stderrTail || (e as Error).message;
    return `could not fetch ${remote} (${detail.split("\n").pop()}); using the local ${base}`;
  }
}
