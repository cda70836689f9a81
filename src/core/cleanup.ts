import { listWorktrees } from "../git/repo.js";
import { branchFate, branchMerged, checkOptions, checkWorktree } from "./cleanup-check.js";
import { checkNotInProgress } from "./cleanup-guards.js";
import { removalSteps } from "./cleanup-steps.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import { releaseStaleCreateLocks } from "./create-lock.js";
import { worktreeVariables } from "./envfile.js";
import { InProgressError, WorktreeNotFoundError, WtError } from "./errors.js";
import { fromSystemError } from "./fs-errors.js";
import { checkWorktreeRoot } from "./fs-safe.js";
import { settleLiveProcesses } from "./live-processes.js";
import { type HeldLock, lockedSignal, withRepoLock } from "./lock.js";
import { idKey } from "./names.js";
import { hookSteps } from "./provision/hooks.js";
import type { CheckedWorktree, IgnoredRemoved, RemovalOutcome } from "./provision/types.js";
import { gitAt, openSession, type Session } from "./session.js";
import { readRecord, readRecords, type WorktreeRecord, writeRecord } from "./state.js";
import { executeSteps } from "./steps/execute.js";
import { planOf, type Step } from "./steps/step.js";
import { deleteInBackground, trashLeftovers } from "./trash.js";

export interface CleanupOptions {
  ids?: string[];
  /** Every managed worktree whose branch is merged into its base. */
  merged?: boolean;
  /** Every managed worktree. */
  all?: boolean;
  /**
   * Remove despite uncommitted changes, a lock, unreachable commits, submodule work, files
   * `cleanup.protect` names or a failing preCleanup hook. Never a worktree whose create is running.
   */
  force?: boolean;
  /**
   * Stop the worktree's live processes (SIGTERM, grace, SIGKILL, re-check) instead of refusing
   * (exit 4, code `processes`); `force` leaves them running.
   */
  reap?: boolean;
  /** Never delete the branch. */
  keepBranch?: boolean;
  /** Delete the branch even when it is not merged. */
  deleteBranch?: boolean;
  dryRun?: boolean;
  /** false: skip preCleanup and postCleanup hooks. */
  hooks?: boolean;
}

export interface RemovedWorktree {
  id: string;
  path: string;
  branch: string;
  branchDeleted: boolean;
  /** Why the branch was kept, or null when it was deleted. */
  branchKept: string | null;
  /** With --dry-run: the steps that would run. */
  plan?: string[];
  /** Files wt copied in that were edited since (listed, not kept: git ignores them). */
  editedCopies?: string[];
  /** Ignored paths deleted with the worktree that wt did not make (a folder ends with `/`). */
  ignoredRemoved: IgnoredRemoved[];
}

/** A worktree cleanup left in place, and why (`code`: the refusal's error code, e.g. `dirty`, `in-progress`). */
export interface SkippedWorktree {
  id: string;
  reason: string;
  code: string;
}

/** The JSON document of `wt cleanup` (docs/contract.md). */
export interface CleanupResult {
  removed: RemovedWorktree[];
  skipped: SkippedWorktree[];
  warnings: string[];
  dryRun?: boolean;
}

/**
 * `wt cleanup <id>... | --merged | --all`: removes the worktree, the links and files wt made,
 * its databases, env file, slot and record, and the branch when it is merged into the base.
 * Named ids are checked first and nothing is removed when one of them is refused. Its hooks
 * run outside the repository lock: under the lock each worktree is checked and marked
 * `removing` (a create or cleanup of it meanwhile is exit 4, `in-progress`); then its
 * preCleanup hooks run; then, under the lock again, it is checked again and removed; then its
 * postCleanup hooks run. Every part is a step list run by the one executor (`--verbose` names
 * each step; `--dry-run` lists the same steps).
 * @throws UsageError (2) for bad flags or ids; WorktreeNotFoundError (3); BusyError (4) for a
 *   locked worktree, one whose create or cleanup is still running (code `in-progress`) or the
 *   repository lock; DirtyWorktreeError (5) for uncommitted changes, commits no branch holds, submodule
 *   work that exists nowhere else, or files `cleanup.protect` protects (`details.files` /
 *   `details.commits` / `details.submodules`); CommandFailedError (6).
 */
export async function cleanupWorktrees(ctx: WtContext, options: CleanupOptions): Promise<CleanupResult> {
  const ids = checkOptions(options);
  const session = await openSession(ctx);
  const result: CleanupResult = { removed: [], skipped: [], warnings: [] };
  const run: CleanupRun = {
    session,
    ctx,
    options,
    ids,
    result,
    warn: (m: string) => {
      result.warnings.push(m);
      ctx.onWarning?.(m);
    },
  };
  if (options.dryRun) {
    result.dryRun = true;
    for (const checked of await selectAndCheck(run)) result.removed.push(await dryRunOne(run, checked));
    return result;
  }
  const trash: string[] = [];
  const pending = new Set<WorktreeRecord>();
  try {
    const marked = await locked(run, "", async (lockCtx) => {
      // What a killed background deleter left in the trash goes with this run's folders.
      trash.push(...(await trashLeftovers(session.repo.stateDir)));
      return markAll(run, await selectAndCheck(run), pending, trash, lockCtx);
    });
    for (const checked of marked) {
      const removed = await removeOne(run, checked, trash, () => pending.delete(checked.record));
      if (removed) result.removed.push(removed);
    }
  } finally {
    deleteInBackground(trash);
    if (pending.size > 0) await locked(run, " (restore)", () => restoreRecords(session, [...pending]));
  }
  return result;
}

/** One `wt cleanup` run: what every phase needs. */
interface CleanupRun {
  session: Session;
  ctx: WtContext;
  options: CleanupOptions;
  /** The named ids (empty for --merged / --all). */
  ids: string[];
  result: CleanupResult;
  warn: (m: string) => void;
}

/** Runs `work` under the repository lock, its context's signal aborting when the lock is lost. */
function locked<T>(run: CleanupRun, suffix: string, work: (ctx: WtContext, held: HeldLock) => Promise<T>): Promise<T> {
  const { ids, options, ctx } = run;
  const purpose = `wt cleanup ${ids.join(" ") || (options.all ? "--all" : "--merged")}${suffix}`;
  return withRepoLock(
    run.session.repo.stateDir,
    { timeoutMs: lockTimeoutMs(ctx.env), onWarning: run.warn, onWait: ctx.onNotice, purpose },
    (held) => work({ ...ctx, signal: lockedSignal(ctx.signal, held) }, held),
  );
}

/**
 * The worktrees to remove, each checked safe. Named ids: the first refusal fails the whole run
 * (nothing is removed); --merged/--all: a refused worktree is skipped, with its code.
 */
async function selectAndCheck(run: CleanupRun): Promise<CheckedWorktree[]> {
  const { session, options, ids } = run;
  const records = await readRecords(session.repo.stateDir);
  const entries = await listWorktrees(gitAt(session));
  if (!options.dryRun) await releaseStaleCreateLocks(gitAt(session), entries, records);
  let targets: WorktreeRecord[] = records;
  if (ids.length > 0) {
    targets = ids.map((id) => {
      const r = records.find((x) => idKey(x.id) === idKey(id));
      if (!r) throw new WorktreeNotFoundError(id);
      return r;
    });
    targets = targets.filter((r, i) => targets.indexOf(r) === i);
  }
  const checked: CheckedWorktree[] = [];
  for (const record of targets) {
    try {
      checkNotInProgress(session.repo.stateDir, record);
      if (options.merged && !(await branchMerged(session, record))) continue;
      checked.push(await checkWorktree(session, record, entries, options.force === true));
    } catch (e) {
      skip(run, record, e);
    }
  }
  return settleAll(run, checked);
}

/**
 * After every other check (so a refusal of another named id never follows a reap): each
 * worktree's live processes refuse it, are reaped (`--reap`) or left (`--force`), through
 * `settleLiveProcesses`, the rule `wt release` shares.
 */
async function settleAll(run: CleanupRun, checked: readonly CheckedWorktree[]): Promise<CheckedWorktree[]> {
  const { session, options } = run;
  const policy = { reap: options.reap, force: options.force, dryRun: options.dryRun, warn: run.warn };
  const settled: CheckedWorktree[] = [];
  for (const c of checked) {
    const { id, path, ports } = c.record;
    try {
      await settleLiveProcesses({ id, path, ports, main: session.repo.mainPath }, policy);
      settled.push(c);
    } catch (e) {
      skip(run, c.record, e);
    }
  }
  return settled;
}

/** Named ids: rethrows the refusal; --merged/--all: records it in `skipped`. Bugs always rethrow. */
function skip(run: CleanupRun, record: WorktreeRecord, e: unknown): void {
  if (run.ids.length > 0 || !(e instanceof WtError)) throw e;
  run.result.skipped.push({ id: record.id, reason: e.message, code: e.code });
}

/** The previous state of each record this run marked `removing`, to put back if it is not removed. */
const before = new WeakMap<WorktreeRecord, { state: WorktreeRecord["state"]; pid: number }>();

/**
 * Under the lock: marks each checked worktree `removing` (this process's), so that its hooks
 * can run outside the lock. One whose record cannot be written (a full disk) is removed right
 * here instead, its hooks under the lock, as no mark protects it once the lock is released.
 * @returns the marked worktrees, to remove one by one.
 */
async function markAll(
  run: CleanupRun,
  checked: readonly CheckedWorktree[],
  pending: Set<WorktreeRecord>,
  trash: string[],
  lockCtx: WtContext,
): Promise<CheckedWorktree[]> {
  const marked: CheckedWorktree[] = [];
  for (const c of checked) {
    before.set(c.record, { state: c.record.state, pid: c.record.pid });
    try {
      await writeRecord(run.session.repo.stateDir, { ...c.record, state: "removing", pid: process.pid });
      pending.add(c.record);
      marked.push(c);
    } catch (e) {
      if (fromSystemError(e)?.code !== "disk-full") throw e;
      const removed = await removeOne(run, c, trash, () => {}, lockCtx);
      if (removed) run.result.removed.push(removed);
    }
  }
  return marked;
}

/** Puts back the state of records this run marked and did not remove (under the lock). */
async function restoreRecords(session: Session, records: readonly WorktreeRecord[]): Promise<void> {
  for (const record of records) {
    const current = await readRecord(session.repo.stateDir, record.id);
    const was = before.get(record);
    if (!was || current?.state !== "removing" || current.pid !== process.pid) continue;
    await writeRecord(session.repo.stateDir, { ...current, state: was.state, pid: was.pid });
  }
}

/** The three step lists of one worktree: preCleanup hooks, the removal, postCleanup hooks. */
async function stepsOf(
  run: CleanupRun,
  checked: CheckedWorktree,
  entries: Parameters<typeof branchFate>[2],
  ctx: WtContext,
  out: RemovalOutcome,
): Promise<{ pre: Step[]; removal: Step[]; post: Step[]; fate: Awaited<ReturnType<typeof branchFate>> }> {
  const { session, options } = run;
  const { record, entry } = checked;
  const { repo, config } = session;
  const folderExists = await checkWorktreeRoot(record.path, repo.commonDir, { registered: entry !== null });
  const fate = await branchFate(session, record, entries, options);
  const vars = worktreeVariables(record, repo.mainPath);
  const hooks = options.hooks !== false;
  const pre =
    hooks && folderExists ? hookSteps("preCleanup", config.hooks.preCleanup, ctx, { cwd: record.path, vars }) : [];
  const post = hooks ? hookSteps("postCleanup", config.hooks.postCleanup, ctx, { cwd: repo.mainPath, vars }) : [];
  const removal = removalSteps(session, checked, fate, folderExists, run.warn, out);
  return { pre, removal, post, fate };
}

/** The result row of a removed (or, with --dry-run, planned) worktree. */
function removedRow(checked: CheckedWorktree, fate: Awaited<ReturnType<typeof branchFate>>): RemovedWorktree {
  const { record, files } = checked;
  return {
    id: record.id,
    path: record.path,
    branch: record.branch,
    branchDeleted: false,
    branchKept: fate.delete ? null : fate.kept,
    ...(files.edited.length > 0 ? { editedCopies: files.edited } : {}),
    ignoredRemoved: files.ignored,
  };
}

/** --dry-run: the row of a worktree with `plan`, the titles of the steps a real run executes. */
async function dryRunOne(run: CleanupRun, checked: CheckedWorktree): Promise<RemovedWorktree> {
  const entries = await listWorktrees(gitAt(run.session));
  const out: RemovalOutcome = { branchDeleted: false, trash: [] };
  const { pre, removal, post, fate } = await stepsOf(run, checked, entries, run.ctx, out);
  return { ...removedRow(checked, fate), plan: planOf([...pre, ...removal, ...post]) };
}

/**
 * Removes one marked worktree: preCleanup hooks (outside the lock), then under the lock a
 * second check (the record still this run's `removing`, the worktree still safe) and the
 * removal steps, then postCleanup hooks (outside the lock). `removed` is called once the
 * record is gone.
 * @returns its row, or null when the second check skipped it (--merged / --all).
 */
async function removeOne(
  run: CleanupRun,
  checked: CheckedWorktree,
  trash: string[],
  removed: () => void,
  held?: WtContext,
): Promise<RemovedWorktree | null> {
  const { ctx, options } = run;
  const exec = (steps: Step[], c: WtContext) =>
    executeSteps(steps, { signal: c.signal, onStep: c.onProgress, onWarning: run.warn });
  const first = await stepsOf(run, checked, [], held ?? ctx, { branchDeleted: false, trash });
  try {
    await exec(first.pre, held ?? ctx);
  } catch (e) {
    if (!options.force || !(e instanceof WtError) || e.code !== "command-failed") throw e;
    run.warn(`preCleanup hook failed, going on because of --force: ${e.message}`);
  }
  const remove = async (lockCtx: WtContext) => {
    const again = await recheck(run, checked.record, held === undefined);
    if (again === null) return null;
    const entries = await listWorktrees(gitAt(run.session));
    const out: RemovalOutcome = { branchDeleted: false, trash };
    const { removal, fate } = await stepsOf(run, again, entries, lockCtx, out);
    await exec(removal, lockCtx);
    removed();
    return { ...removedRow(again, fate), branchDeleted: out.branchDeleted };
  };
  const row = held ? await remove(held) : await locked(run, "", remove);
  if (row) await exec(first.post, held ?? ctx);
  return row;
}

/**
 * Under the lock, after the preCleanup hooks: the record must still be this run's (`removing`,
 * when `marked`), and the worktree still safe (a hook may have left changes).
 * @returns the fresh check, or null when --merged/--all skips it; throws for named ids.
 */
async function recheck(run: CleanupRun, record: WorktreeRecord, marked: boolean): Promise<CheckedWorktree | null> {
  const { session, options } = run;
  const current = await readRecord(session.repo.stateDir, record.id);
  try {
    const ours =
      current?.path === record.path && (!marked || (current.state === "removing" && current.pid === process.pid));
    if (!current || !ours) {
      throw new InProgressError(
        `worktree ${record.id} changed while its preCleanup hooks ran`,
        `run \`wt status ${record.id}\`, then \`wt cleanup ${record.id}\` again`,
      );
    }
    const entries = await listWorktrees(gitAt(session));
    const restored = { ...current, state: before.get(record)?.state ?? current.state };
    const checked = await checkWorktree(session, restored, entries, options.force === true);
    return { ...checked, record: current };
  } catch (e) {
    skip(run, record, e);
    return null;
  }
}
