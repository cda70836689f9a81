import { discoverRepoFast, type RepoContext } from "../git/discover.js";
import type { WtContext } from "./context.js";
import type { EnvFormat, Variables } from "./envfile.js";
import { WorktreeNotFoundError } from "./errors.js";
import { validateId } from "./names.js";
import { readRecord, type WorktreeRecord } from "./state.js";

/**
 * The record of `id` in the repository around `ctx.cwd`. Reads no config, so `wt path` and
 * `wt env` stay fast enough for shell prompts.
 * @throws UsageError (2) for an invalid id or outside a repository; WorktreeNotFoundError (3).
 */
export async function findWorktree(ctx: WtContext, id: string): Promise<{ repo: RepoContext; record: WorktreeRecord }> {
  validateId(id);
  // The git runner and the env file code load only when needed: `wt path` runs in prompts.
  const repo =
    discoverRepoFast(ctx.cwd, ctx.env) ?? (await (await import("../git/repo.js")).resolveRepo(ctx.cwd, ctx.env));
  const record = await readRecord(repo.stateDir, id);
  if (!record) throw new WorktreeNotFoundError(id);
  return { repo, record };
}

/** `wt path <id>`: the absolute worktree folder. Same errors as `findWorktree`. */
export async function worktreePath(ctx: WtContext, id: string): Promise<string> {
  return (await findWorktree(ctx, id)).record.path;
}

/** `wt env <id>`: the worktree's variables (WT_*, ports, databases, env entries). */
export async function worktreeEnv(ctx: WtContext, id: string): Promise<Variables> {
  const { repo, record } = await findWorktree(ctx, id);
  const { worktreeVariables } = await import("./envfile.js");
  return worktreeVariables(record, repo.mainPath);
}

/** `wt env <id> --format <format>` as text. */
export async function worktreeEnvText(ctx: WtContext, id: string, format: EnvFormat): Promise<string> {
  const vars = await worktreeEnv(ctx, id);
  const { formatVariables } = await import("./envfile.js");
  return formatVariables(vars, format);
}
