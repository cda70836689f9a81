import { existsSync } from "node:fs";
import path from "node:path";
import { currentBranch, fetchRemote, originCandidates, originRefs, revParseHead } from "../git/refs.js";
import { listRemotes, type RepoContext, resolveRepo } from "../git/repo.js";
import type { Env, GitAt } from "../git/run.js";
import type { ConfigFlags, WtConfig } from "./config.js";
import type { WtContext } from "./context.js";

/** The repository and its effective configuration, as every verb starts. */
export interface Session {
  repo: RepoContext;
  config: WtConfig;
  /** The caller's environment (`ctx.env`): the base of every child process's. */
  env: Env;
}

/**
 * Where a git verb of this session runs: `cwd` (the main worktree unless given) with the
 * caller's environment, stopped by `signal`.
 */
export function gitAt(
  session: Pick<Session, "repo" | "env">,
  cwd = session.repo.mainPath,
  signal?: AbortSignal,
): GitAt {
  return { cwd, env: session.env, ...(signal ? { signal } : {}) };
}

/**
 * Finds the repository around `ctx.cwd` and loads its configuration.
 * @throws UsageError / ConfigError (exit 2) as `resolveRepo` and `loadConfig` do.
 */
export async function openSession(ctx: WtContext, flags: ConfigFlags = {}): Promise<Session> {
  // The config's modules (its validator, messages) load while git finds the repository; a verb
  // that only needs `defaultBase` (`wt status`) never loads them (about 13 ms, issue 12).
  const configModule = import("./config.js");
  configModule.catch(() => {}); // awaited below
  const repo = await resolveRepo(ctx.cwd, ctx.env);
  const { loadConfig, CONFIG_FILE } = await configModule;
  const config = await loadConfig(repo.mainPath, ctx.env, flags);
  if (ctx.onDetail) {
    const file = path.join(repo.mainPath, CONFIG_FILE);
    ctx.onDetail(
      `repository ${repo.mainPath} (git dir ${repo.commonDir}); config ${existsSync(file) ? file : `none (no ${CONFIG_FILE}: the defaults)`}`,
    );
  }
  return { repo, config, env: ctx.env };
}

/** Each session's remotes, listed once (`defaultBase` and `fetchBaseRemote` both need them). */
const remotesOf = new WeakMap<RepoContext, Promise<string[]>>();

/** `git remote` in the main worktree, run once per `repo` (a failure is not kept). */
export function sessionRemotes(repo: RepoContext, env: Env): Promise<string[]> {
  let p = remotesOf.get(repo);
  if (!p) {
    p = listRemotes({ cwd: repo.mainPath, env });
    p.catch(() => remotesOf.delete(repo));
    remotesOf.set(repo, p);
  }
  return p;
}

/**
 * The base when the config names none (docs/contract.md, "Zero-config defaults"):
 * `origin/<default branch>` when `origin` exists (its `HEAD`, else the main worktree's
 * branch, `main` or `master` there), else the main worktree's current branch (or its commit
 * when detached).
 */
export async function defaultBase(repo: RepoContext, env: Env): Promise<string> {
  const at = { cwd: repo.mainPath, env };
  const [remotes, branch] = await Promise.all([sessionRemotes(repo, env), currentBranch(at)]);
  if (remotes.includes("origin")) {
    const names = originCandidates(branch);
    const { head, present } = await originRefs(at, names);
    if (head) return head;
    const name = names.find((n) => present.has(n));
    if (name) return `origin/${name}`;
  }
  return branch ?? (await revParseHead(at));
}

/**
 * Fetches the remote a base like `origin/main` lives on. A failed fetch is a warning: the
 * local copy of the remote branch is used, so `wt` works offline.
 * @returns a warning message, or null when the fetch worked or was not needed.
 */
export async function fetchBaseRemote(
  repo: RepoContext,
  base: string,
  ctx: Pick<WtContext, "env" | "signal" | "onProgress" | "onStepProgress">,
): Promise<string | null> {
  const { env, signal } = ctx;
  const remotes = await sessionRemotes(repo, env);
  const remote = remotes.filter((r) => base.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
  if (!remote) return null;
  // Not one of the executor's steps (it runs before the lock), so it ends its progress itself.
  ctx.onProgress?.(`fetch ${remote}`, "fetch");
  try {
    await fetchRemote({ cwd: repo.mainPath, env, signal }, remote);
    return null;
  } catch (e) {
    if (signal?.aborted) throw e;
    const detail = (e as { stderrTail?: string }).stderrTail || (e as Error).message;
    return `could not fetch ${remote} (${detail.split("\n").pop()}); using the local ${base}`;
  } finally {
    ctx.onStepProgress?.({ done: true });
  }
}
