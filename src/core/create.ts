import path from "node:path";
import { isValidBranchName, listWorktrees } from "../git/repo.js";
import { aheadBehindInEach } from "../git/status.js";
import type { WtContext } from "./context.js";
import { hooksOrRollback, lockOptions } from "./create-hooks.js";
import type { CreateOptions, CreateResult } from "./create-plan.js";
import { UsageError } from "./errors.js";
import { checkPathLength } from "./fs-errors.js";
import { isInside } from "./fs-safe.js";
import { readIncludeFile } from "./include.js";
import { lockedSignal, withRepoLock } from "./lock.js";
import { expandTemplate, idKey, nameFor, validateId, worktreePathFor } from "./names.js";
import { processAlive } from "./process.js";
import type { NewOutcome, NewWorktree } from "./provision/types.js";
import { withRealParents } from "./real-parent.js";
import { defaultBase, fetchBaseRemote, gitAt, openSession, type Session } from "./session.js";
import { readRecords, type WorktreeRecord, writeRecord } from "./state.js";
import { planOf, type Step } from "./steps/step.js";
import { commandsFrom, repositoryCommands, requireTrust } from "./trust.js";

export type { CreateOptions, CreateResult } from "./create-plan.js";

/**
 * `wt create <id>`: branch, folder, slot and ports, included files, env file, databases,
 * then postCreate hooks. Re-running it on a healthy worktree checks and completes it and
 * returns `created: false`. Any failure before the hooks, or an abort, undoes exactly what
 * this run made (its branch included).
 * @throws UsageError (2) bad id/branch/config; ConflictError (3) folder occupied, branch
 *   checked out elsewhere, base or template missing; BusyError (4) lock, slots, locked
 *   template; CommandFailedError (6) git, init or a postCreate hook failed (the worktree is
 *   then kept and the hooks run again on the next create); UntrustedError (2) the repository's
 *   postCreate hooks or databases[].init are not trusted (`requireTrust`); InterruptedError (130).
 */
export async function createWorktree(ctx: WtContext, options: CreateOptions): Promise<CreateResult> {
  validateId(options.id);
  const opening = openSession(ctx, { base: options.base, fetch: options.fetch });
  createModules().catch(() => {}); // awaited where used
  const session = await opening;
  if (options.hooks !== false) {
    // Before the fetch and the lock: nothing exists yet when an untrusted repository is refused.
    const runs = commandsFrom(repositoryCommands(session.config), ["hooks.postCreate", "databases"]);
    await requireTrust(session, ctx, { verb: `wt create ${options.id}`, runs, dryRun: options.dryRun });
  }
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const w = await resolveNew(session, ctx, options, warn, warnings);
  // Under the lock, `lockCtx.signal` also aborts when the lock is lost: the plan stops before its next step.
  const run = (lockCtx: WtContext) => createLocked(session, lockCtx, options, w);
  if (options.dryRun) return (await run(ctx)).result;
  const { result, record, rollback, hooks } = await withRepoLock(
    session.repo.stateDir,
    lockOptions(ctx, warn, `wt create ${options.id}`),
    (held) => run({ ...ctx, signal: lockedSignal(ctx.signal, held) }),
  );
  if (record) await hooksOrRollback(session, ctx, { record, rollback, hooks, enabled: options.hooks !== false }, warn);
  result.warnings = warnings;
  return result;
}

/**
 * The modules of planning and of the steps, imported on first use: `createWorktree` starts
 * loading them (about 40 ms of a create's start, issue 12) while the session's git processes
 * run, instead of before the first of them starts.
 */
function createModules(): Promise<CreateModules> {
  createModulesLoading ??= Promise.all([
    import("./create-lock.js"),
    import("./create-plan.js"),
    import("./create-steps.js"),
    import("./pool/claim.js"),
    import("./provision/hooks.js"),
    import("./recreate.js"),
    import("./steps/execute.js"),
  ]).then(([lock, plan, steps, claim, hooks, recreate, execute]) => ({
    releaseStaleCreateLocks: lock.releaseStaleCreateLocks,
    planNew: plan.planNew,
    newSteps: steps.newSteps,
    chooseSlot: claim.chooseSlot,
    prefetchClaim: claim.prefetchClaim,
    hookSteps: hooks.hookSteps,
    recreateResult: recreate.recreateResult,
    recreateSteps: recreate.recreateSteps,
    executeSteps: execute.executeSteps,
  }));
  return createModulesLoading;
}
let createModulesLoading: Promise<CreateModules> | null = null;

interface CreateModules {
  releaseStaleCreateLocks: typeof import("./create-lock.js").releaseStaleCreateLocks;
  planNew: typeof import("./create-plan.js").planNew;
  newSteps: typeof import("./create-steps.js").newSteps;
  chooseSlot: typeof import("./pool/claim.js").chooseSlot;
  prefetchClaim: typeof import("./pool/claim.js").prefetchClaim;
  hookSteps: typeof import("./provision/hooks.js").hookSteps;
  recreateResult: typeof import("./recreate.js").recreateResult;
  recreateSteps: typeof import("./recreate.js").recreateSteps;
  executeSteps: typeof import("./steps/execute.js").executeSteps;
}

/**
 * Names, folder, branch and base of the worktree asked for, checked before the lock (and
 * fetched, when the config says so: the network may be slow, and git serialises ref updates).
 * @throws UsageError (exit 2) for an invalid branch name or a folder that cannot be.
 */
async function resolveNew(
  session: Session,
  ctx: WtContext,
  options: CreateOptions,
  warn: (m: string) => void,
  warnings: string[],
): Promise<NewWorktree> {
  const { repo, config } = session;
  const name = nameFor(options.id, config, repo.repoName);
  const values = { repo: repo.repoName, id: options.id, name };
  const worktree = withRealParents(worktreePathFor(config, repo.mainPath, values));
  const branch = options.branch ?? expandTemplate(config.branch, values, "branch");
  // Independent reads of git, in parallel; the refusals below still come in their order.
  const valid = isValidBranchName(gitAt(session), branch);
  const basePromise = config.base !== null ? Promise.resolve(config.base) : defaultBase(repo, ctx.env);
  basePromise.catch(() => {}); // awaited below, after the checks that refuse first
  if (!(await valid)) {
    throw new UsageError(
      `invalid branch name ${JSON.stringify(branch)} (git check-ref-format --branch refuses it)`,
      "pass a valid --branch, or fix the `branch` template",
    );
  }
  // A path the system cannot hold is the configuration's fault (exit 2), found before anything is made.
  checkPathLength(worktree, "the worktree folder");
  if (isInside(worktree, repo.mainPath)) {
    throw new UsageError(`the worktree folder ${worktree} would contain the main worktree`, "fix `worktreeDir`");
  }
  // Refuse a .worktreeinclude that is a FIFO, a device or a folder before the lock is taken
  // (through the non-blocking reader); planning uses this text (`includeText`).
  const includeText = repo.bare ? undefined : await readIncludeFile(repo.mainPath);
  const base = await basePromise;
  if (config.fetch && !options.dryRun) {
    const warning = await fetchBaseRemote(repo, base, ctx);
    if (warning) warn(warning);
  }
  const dryRun = options.dryRun === true;
  const hooks = options.hooks !== false;
  const pool = options.pool ?? config.pool.claim;
  const branchFromFlag = options.branch !== undefined;
  return {
    id: options.id,
    name,
    values,
    worktree,
    branch,
    branchFromFlag,
    base,
    records: [],
    warn,
    warnings,
    dryRun,
    hooks,
    pool,
    includeText,
  };
}

/**
 * What one locked run of `createWorktree` made: the result, the record whose postCreate hooks
 * are to run (null when none are) with those hook steps, and, for a worktree this run made, the
 * plan's undo.
 */
interface CreateRun {
  result: CreateResult;
  record: WorktreeRecord | null;
  hooks: Step[];
  rollback?: () => Promise<void>;
}

/** Under the lock: re-create the id's worktree when it has a record, else make it. */
async function createLocked(
  session: Session,
  ctx: WtContext,
  options: CreateOptions,
  w: NewWorktree,
): Promise<CreateRun> {
  const { repo } = session;
  const { releaseStaleCreateLocks, recreateSteps, recreateResult, executeSteps } = await createModules();
  const records = await readRecords(repo.stateDir);
  const existing = records.find((r) => idKey(r.id) === idKey(options.id));
  if (!existing) return createNew(session, ctx, { ...w, records });
  if (!w.dryRun) await releaseStaleCreateLocks(gitAt(session), await listWorktrees(gitAt(session)), records);
  const { steps, hooks } = await recreateSteps(session, ctx, existing, w.warn);
  const hookList = w.hooks ? hooks : [];
  if (w.dryRun) {
    const result = await recreateResult(session, existing);
    return { result: { ...result, dryRun: true, plan: planOf([...steps, ...hookList]) }, record: null, hooks: [] };
  }
  await executeSteps(steps, { signal: ctx.signal, onStep: ctx.onProgress, onWarning: w.warn });
  const result = await recreateResult(session, existing);
  if (existing.state !== "hooks-pending") return { result, record: null, hooks: [] };
  if (session.config.hooks.postCreate.length === 0) {
    // No hook left to run (the config dropped them): ready in this lock hold, as for a new one.
    existing.state = "ready";
    await writeRecord(repo.stateDir, existing);
    return { result, record: null, hooks: [] };
  }
  // Another create may be running the hooks right now (parallel creates of one id):
  // leave them to it rather than installing twice at once.
  if (existing.pid !== process.pid && processAlive(existing.pid)) {
    w.warn(`postCreate hooks of ${existing.id} are running in another wt (pid ${existing.pid})`);
    return { result, record: null, hooks: [] };
  }
  existing.pid = process.pid;
  await writeRecord(repo.stateDir, existing);
  return { result, record: existing, hooks: hookList };
}

/** Plans, then runs (or, with --dry-run, lists) the steps of a worktree this run makes. */
async function createNew(session: Session, ctx: WtContext, w: NewWorktree): Promise<CreateRun> {
  const { planNew, chooseSlot, prefetchClaim, hookSteps, newSteps, executeSteps } = await createModules();
  // A claim's slot status (the read that grows with the repository) runs beside the plan.
  const early = w.pool && !w.dryRun ? prefetchClaim(session, ctx) : null;
  const plan = await planNew(session, ctx, w);
  const { record } = plan;
  const out: NewOutcome = { head: plan.how.kind === "new" ? plan.baseCommit : "" };
  const choice = w.pool ? await chooseSlot(session, ctx, plan, early, w.warn) : null;
  if (choice?.slot) {
    const { warmKey, warmFiles } = choice.slot;
    record.pool = { warmKey, ...(warmFiles ? { warmFiles } : {}) };
  } else if (choice) w.warn(`no idle pool slot to claim (${choice.reason}): a normal create`);
  const hooks = w.hooks
    ? hookSteps("postCreate", session.config.hooks.postCreate, ctx, { cwd: record.path, vars: plan.vars })
    : [];
  const steps = newSteps(session, ctx, w, plan, out, hooks.length > 0, choice?.slot ?? null);
  const result: CreateResult = {
    id: w.id,
    name: w.name,
    branch: w.branch,
    path: w.worktree,
    base: w.base,
    head: out.head,
    created: !w.dryRun,
    branchExisted: plan.how.kind === "existing",
    slot: record.slot,
    ports: record.ports,
    envFile: path.join(w.worktree, record.envFile),
    included: plan.includes.map((e) => ({ path: e.path, mode: e.mode })),
    databases: record.databases,
    warnings: w.warnings,
    ...(choice ? { pool: { hit: choice.slot !== null, reason: choice.reason } } : {}),
  };
  if (w.dryRun)
    return { result: { ...result, dryRun: true, plan: planOf([...steps, ...hooks]) }, record: null, hooks: [] };
  const rollback = await executeSteps(steps, { signal: ctx.signal, onStep: ctx.onProgress, onWarning: w.warn });
  result.head = out.head;
  if (result.branchExisted) Object.assign(result, await countsAgainstBase(session, w.worktree, plan.baseCommit));
  // The contract's shape: what was brought and how (the record's fingerprints stay in the record).
  result.included = record.included.map((e) => ({ path: e.path, mode: e.mode }));
  return { result, record, rollback, hooks };
}

/**
 * `{ahead, behind}` of the worktree's HEAD (an existing branch, just checked out) against the
 * base commit, or `{}` when git cannot tell (the create itself succeeded).
 */
async function countsAgainstBase(
  session: Session,
  worktree: string,
  baseCommit: string,
): Promise<{ ahead?: number; behind?: number }> {
  const [counts] = await aheadBehindInEach([{ cwd: worktree, base: baseCommit }], session.env, 1);
  return counts ?? {};
}
