import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { discoverRepoFast, type RepoContext } from "../git/discover.js";
import type { WtContext } from "./context.js";
import type { EnvFormat, Variables } from "./envfile.js";
import { UsageError, WorktreeFolderGoneError, WorktreeNotFoundError } from "./errors.js";
import { validateId } from "./names.js";
import { readRecord, readRecords, type WorktreeRecord } from "./state.js";

/**
 * The record of `id` in the repository around `ctx.cwd`. Reads no config, so `wt path` and
 * `wt env` stay fast enough for shell prompts.
 * `id` may also be the worktree's folder name (`issue-101`); without an id, the worktree that
 * holds `ctx.cwd`.
 * @throws UsageError (2) for an invalid id, outside a repository, or no id outside a managed
 *   worktree; WorktreeNotFoundError (3).
 */
export async function findWorktree(
  ctx: WtContext,
  id: string | undefined,
): Promise<{ repo: RepoContext; record: WorktreeRecord }> {
  if (id !== undefined) validateId(id);
  // The git runner and the env file code load only when needed: `wt path` runs in prompts.
  const repo =
    discoverRepoFast(ctx.cwd, ctx.env) ?? (await (await import("../git/repo.js")).resolveRepo(ctx.cwd, ctx.env));
  if (id === undefined) {
    const here = await currentRecord(repo, ctx.cwd);
    if (!here) {
      throw new UsageError(
        "this folder is not inside a worktree wt manages, so the id cannot be left out",
        "name the worktree: wt <command> <id> (`wt status` lists them)",
      );
    }
    return { repo, record: here };
  }
  const record = (await readRecord(repo.stateDir, id)) ?? (await recordByFolderName(repo, id));
  if (!record) throw new WorktreeNotFoundError(id);
  return { repo, record };
}

/**
 * The record whose worktree's folder name or `name` is `folder` (`issue-101`, the name the
 * user sees in paths and prompts), when exactly one has it.
 */
async function recordByFolderName(repo: RepoContext, folder: string): Promise<WorktreeRecord | null> {
  const key = folder.toLowerCase();
  const matches = (await readRecords(repo.stateDir)).filter(
    (r) => r.name.toLowerCase() === key || path.basename(r.path).toLowerCase() === key,
  );
  return matches.length === 1 ? (matches[0] as WorktreeRecord) : null;
}

/**
 * The managed worktree that holds `cwd` (its folder or one below it), or null. Compares real
 * paths, from wt's records alone (no git process).
 */
export async function currentRecord(repo: RepoContext, cwd: string): Promise<WorktreeRecord | null> {
  let here: string;
  try {
    here = realpathSync(cwd);
  } catch {
    return null;
  }
  for (const record of await readRecords(repo.stateDir)) {
    let root = record.path;
    try {
      root = realpathSync(record.path);
    } catch {
      continue;
    }
    if (here === root || here.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`)) return record;
  }
  return null;
}

/**
 * `findWorktree` for a command that works in the folder (`wt path`, `wt env`, `wt run`): the
 * folder must still be there: `cd "$(wt path 7)" && make` must not run make elsewhere, and
 * `wt run 7 -- cmd` must not fail as "cmd: command not found".
 * @throws as `findWorktree`; WorktreeFolderGoneError (3, code `not-found`) when it is gone.
 */
export async function findPresentWorktree(
  ctx: WtContext,
  id: string | undefined,
): Promise<{ repo: RepoContext; record: WorktreeRecord }> {
  const found = await findWorktree(ctx, id);
  ctx.onDetail?.(
    `worktree ${found.record.id}${id === undefined ? " (the one this folder is in)" : id === found.record.id ? "" : ` (from ${JSON.stringify(id)})`}: ${found.record.path}, wt's record in ${found.repo.stateDir}`,
  );
  if (!existsSync(found.record.path)) throw new WorktreeFolderGoneError(found.record.id, found.record.path);
  return found;
}

/** `wt path [<id>]`: the absolute worktree folder (no id: the worktree `ctx.cwd` is in). Errors of `findPresentWorktree`. */
export async function worktreePath(ctx: WtContext, id: string | undefined): Promise<string> {
  return (await findPresentWorktree(ctx, id)).record.path;
}

/** `wt env <id>`: the worktree's variables (WT_*, ports, databases, env entries). */
export async function worktreeEnv(ctx: WtContext, id: string | undefined): Promise<Variables> {
  const { repo, record } = await findPresentWorktree(ctx, id);
  const { worktreeVariables } = await import("./envfile.js");
  return worktreeVariables(record, repo.mainPath);
}

/** `wt env <id> --format <format>` as text. */
export async function worktreeEnvText(ctx: WtContext, id: string | undefined, format: EnvFormat): Promise<string> {
  const vars = await worktreeEnv(ctx, id);
  const { formatVariables } = await import("./envfile.js");
  return formatVariables(vars, format);
}

/** The main worktree of the repository around `ctx.cwd` (absolute, real). @throws UsageError outside a repository. */
export async function mainWorktreePath(ctx: WtContext): Promise<string> {
  const repo =
    discoverRepoFast(ctx.cwd, ctx.env) ?? (await (await import("../git/repo.js")).resolveRepo(ctx.cwd, ctx.env));
  return repo.mainPath;
}

/**
 * The ids of the managed worktrees, with their branches, from wt's records alone: no git
 * process (completion calls it on every TAB). Empty when the repository cannot be found from
 * the filesystem (then finding it would need git).
 */
export async function managedIds(ctx: WtContext): Promise<{ id: string; branch: string }[]> {
  const repo = discoverRepoFast(ctx.cwd, ctx.env);
  if (!repo) return [];
  return (await readRecords(repo.stateDir)).map((r) => ({ id: r.id, branch: r.branch }));
}
