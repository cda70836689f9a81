import { realpathSync } from "node:fs";
import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { listWorktrees, resolveRepo } from "../git/repo.js";
import { type AdoptIdSource, deriveAdoptId } from "./adopt-id.js";
import { type AdoptPlan, type AdoptTarget, planAdopt } from "./adopt-plan.js";
import { adoptSteps, headOf } from "./adopt-steps.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import { AdoptRefusedError, UsageError } from "./errors.js";
import { checkWorktreeRoot, isInside } from "./fs-safe.js";
import { lockedSignal, withRepoLock } from "./lock.js";
import { idKey, validateId } from "./names.js";
import { POOL_LOCK_REASON } from "./pool/state.js";
import { defaultBase, gitAt, openSession, type Session } from "./session.js";
import { readRecords } from "./state.js";
import { executeSteps } from "./steps/execute.js";
import { planOf } from "./steps/step.js";
import { commandsFrom, repositoryCommands, requireTrust } from "./trust.js";

export interface AdoptOptions {
  /** The worktree folder: absolute, or relative to `ctx.cwd`; a symlink on the way is resolved. */
  path: string;
  /** `--id`: the id to give it (default: `deriveAdoptId`). */
  id?: string;
  /** `--no-hooks` gives false: `databases[].init` does not run. */
  hooks?: boolean;
  /** `--dry-run`: list the steps, change nothing. */
  dryRun?: boolean;
}

/** The JSON document of `wt adopt` (docs/contract.md). */
export interface AdoptResult {
  id: string;
  /** Where the id came from: `--id`, the branch or the folder's name. */
  idFrom: AdoptIdSource;
  name: string;
  /** The branch checked out, or null when HEAD is detached. */
  branch: string | null;
  path: string;
  base: string;
  head: string;
  adopted: boolean;
  slot: number;
  ports: Record<string, number>;
  envFile: string;
  included: { path: string; mode: "copy" | "symlink" }[];
  /** `.worktreeinclude` entries the folder already had: left as they were. */
  kept: string[];
  databases: { engine: "sqlite" | "duckdb"; path: string; env: string; source: "empty" | "template" }[];
  warnings: string[];
  plan?: string[];
  dryRun?: boolean;
}

/**
 * `wt adopt <path> [--id <id>]`: makes an existing linked worktree (plain `git worktree add`,
 * Claude Code, Codex, Cursor) a managed one: record, slot and ports, info/exclude entries,
 * `.worktreeinclude` (never over a path the folder has), env file, databases. Its checkout,
 * branch and files stay as they are; the record says `createdBranch: false`, so cleanup never
 * deletes the branch. Runs through the step executor under the repository lock; a failure or an
 * abort undoes what this run wrote.
 * @throws AdoptRefusedError (3) for the main worktree, a folder git does not list as a worktree
 *   of this repository, a pool slot, a worktree wt already manages, an id already taken, an env
 *   file or database already in place; UsageError (2) for an invalid id or outside a repository;
 *   UntrustedError (2) for an untrusted `databases[].init`; the errors of `planAdopt`.
 */
export async function adoptWorktree(ctx: WtContext, options: AdoptOptions): Promise<AdoptResult> {
  if (options.id !== undefined) validateId(options.id);
  const folder = realFolder(ctx.cwd, options.path);
  const session = await sessionFor(ctx, folder);
  const hooks = options.hooks !== false;
  if (hooks) {
    const runs = commandsFrom(repositoryCommands(session.config), ["databases"]);
    await requireTrust(session, ctx, { verb: `wt adopt ${folder}`, runs, dryRun: options.dryRun });
  }
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const base = session.config.base ?? (await defaultBase(session.repo, ctx.env));
  const run = async (lockCtx: WtContext) => {
    const t = await resolveTarget(session, lockCtx, { folder, id: options.id, base, warn });
    const plan = await planAdopt(session, lockCtx, t);
    return adoptLocked(session, lockCtx, t, plan, { hooks, dryRun: options.dryRun === true, warnings });
  };
  if (options.dryRun) return run(ctx);
  return withRepoLock(
    session.repo.stateDir,
    { timeoutMs: lockTimeoutMs(ctx.env), onWarning: warn, onWait: ctx.onNotice, purpose: `wt adopt ${folder}` },
    (held) => run({ ...ctx, signal: lockedSignal(ctx.signal, held) }),
  );
}

/** Builds the steps, then lists them (--dry-run) or runs them; the result as the contract shapes it. */
async function adoptLocked(
  session: Session,
  ctx: WtContext,
  t: AdoptTarget,
  plan: AdoptPlan,
  opts: { hooks: boolean; dryRun: boolean; warnings: string[] },
): Promise<AdoptResult> {
  const { record } = plan;
  const steps = adoptSteps(session, ctx, t, plan, opts);
  const result: AdoptResult = {
    id: record.id,
    idFrom: t.idFrom,
    name: record.name,
    branch: t.branch === "" ? null : t.branch,
    path: t.folder,
    base: t.base,
    head: t.entry.head ?? "",
    adopted: !opts.dryRun,
    slot: record.slot,
    ports: record.ports,
    envFile: path.join(t.folder, record.envFile),
    included: plan.includes.map((e) => ({ path: e.path, mode: e.mode })),
    kept: plan.kept.map((e) => e.path),
    databases: record.databases,
    warnings: opts.warnings,
  };
  if (opts.dryRun) return { ...result, dryRun: true, plan: planOf(steps) };
  await executeSteps(steps, { signal: ctx.signal, onStep: ctx.onProgress, onWarning: t.warn });
  result.head = await headOf(session, t.folder);
  result.included = record.included.map((e) => ({ path: e.path, mode: e.mode }));
  return result;
}

/** The folder as an absolute real path (`$CODEX_WORKTREE_PATH` or `$PWD` may be relative or pass a link). */
function realFolder(cwd: string, given: string): string {
  const abs = path.resolve(cwd, given);
  try {
    return realpathSync(abs);
  } catch {
    throw new AdoptRefusedError(`${abs} does not exist`, "pass the folder of an existing worktree: wt adopt <path>");
  }
}

/**
 * The repository `wt` runs in (`-C`, the current folder); when that is no repository at all,
 * the one around the folder itself (a setup script may run anywhere).
 */
async function sessionFor(ctx: WtContext, folder: string): Promise<Session> {
  try {
    await resolveRepo(ctx.cwd, ctx.env);
    return await openSession(ctx);
  } catch (e) {
    if (!(e instanceof UsageError) || e.code !== "not-a-repository") throw e;
    return openSession({ ...ctx, cwd: folder });
  }
}

/**
 * Under the lock: git's entry for the folder, and the id, each checked.
 * @throws AdoptRefusedError (3) as `adoptWorktree` says.
 */
async function resolveTarget(
  session: Session,
  ctx: WtContext,
  p: { folder: string; id?: string; base: string; warn: (m: string) => void },
): Promise<AdoptTarget> {
  const { repo, config } = session;
  const entries = await listWorktrees(gitAt(session, repo.mainPath, ctx.signal));
  const entry = entryOf(session, entries, p.folder);
  const folder = real(entry.path);
  await checkWorktreeRoot(folder, repo.commonDir);
  const records = await readRecords(repo.stateDir);
  const managed = records.find((r) => real(r.path) === folder);
  if (managed) {
    throw new AdoptRefusedError(
      `${folder} is already managed by wt as worktree ${managed.id}`,
      `nothing to adopt: \`wt status ${managed.id}\` shows it, \`wt create ${managed.id}\` checks and completes it`,
    );
  }
  const { id, from } = p.id
    ? { id: p.id, from: "flag" as const }
    : deriveAdoptId(config, repo.repoName, folder, entry.branch);
  validateId(id);
  const taken = records.find((r) => idKey(r.id) === idKey(id));
  if (taken) {
    throw new AdoptRefusedError(
      `the id ${id}${from === "flag" ? "" : ` (from the ${from === "branch" ? "branch" : "folder's name"})`} is already worktree ${taken.id}'s (${taken.path})`,
      `pass another id: \`wt adopt ${folder} --id <id>\``,
    );
  }
  return { id, idFrom: from, folder, entry, branch: entry.branch ?? "", base: p.base, records, entries, warn: p.warn };
}

/**
 * git's entry for the folder, or the deepest one holding it (`$PWD` may be a subfolder).
 * @throws AdoptRefusedError (3) for the main worktree, a bare repository's entry, a folder no
 *   entry holds (not a worktree, or another repository's) and an idle pool slot.
 */
function entryOf(session: Session, entries: readonly WorktreeEntry[], folder: string): WorktreeEntry {
  const { repo } = session;
  const holders = entries
    .filter((e) => !e.bare && e.prunable === null && isInside(real(e.path), folder))
    .sort((a, b) => real(b.path).length - real(a.path).length);
  const entry = holders[0];
  if (!entry) {
    throw new AdoptRefusedError(
      `git does not list ${folder} as a worktree of the repository at ${repo.mainPath}`,
      `pass a worktree of this repository (\`git worktree list\`), or run wt in the worktree's own repository: \`wt -C <repository> adopt ${folder}\``,
    );
  }
  if (real(entry.path) === repo.mainPath) {
    throw new AdoptRefusedError(
      `${folder} is in the main worktree (${repo.mainPath}), not in a linked one`,
      "adopt a worktree made with `git worktree add` (or by Claude Code, Codex, Cursor): `git worktree list` shows them",
    );
  }
  if (entry.locked?.startsWith(POOL_LOCK_REASON)) {
    throw new AdoptRefusedError(
      `${entry.path} is an idle slot of wt's worktree pool`,
      "claim it with `wt create <id> --pool`",
    );
  }
  return entry;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
