import { discoverRepoFast, type RepoContext, resolveRepo } from "../git/repo.js";
import type { WtContext } from "./context.js";
import { type EnvFormat, formatVariables, type Variables, worktreeVariables } from "./envfile.js";
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
  const repo = discoverRepoFast(ctx.cwd, ctx.env) ?? (await resolveRepo(ctx.cwd));
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
  return worktreeVariables(record, repo.mainPath);
}

/** `wt env <id> --format <format>` as text. */
export async function worktreeEnvText(ctx: WtContext, id: string, format: EnvFormat): Promise<string> {
  return formatVariables(await worktreeEnv(ctx, id), format);
}
