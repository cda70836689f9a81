import { listWorktrees } from "../git/repo.js";
import { branchFate, checkOptions, checkWorktree } from "./cleanup-check.js";
import { selectAndCheck, skip } from "./cleanup-select.js";
import { removalSteps } from "./cleanup-steps.js";
import type { CleanupOptions, CleanupResult, CleanupRun, RemovedWorktree } from "./cleanup-types.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import { worktreeVariables } from "./envfile.js";
import { InProgressError, PartialRefusalError, WtError } from "./errors.js";
import { fromSystemError } from "./fs-errors.js";
import { checkWorktreeRoot } from "./fs-safe.js";
import { type HeldLock, lockedSignal, withRepoLock } from "./lock.js";
import { hookSteps } from "./provision/hooks.js";
import type { CheckedWorktree, RemovalOutcome } from "./provision/types.js";
import { gitAt, openSession, type Session } from "./session.js";
import { readRecord, type WorktreeRecord, writeRecord } from "./state.js";
import { executeSteps } from "./steps/execute.js";
import { planOf, type Step } from "./steps/step.js";
import { deleteInBackground, trashLeftovers } from "./trash.js";
import { commandsFrom, repositoryCommands, requireTrust } from "./trust.js";

export type { CleanupOptions, CleanupResult, RemovedWorktree, SkippedWorktree } from "./cleanup-types.js";

/**
 * `wt cleanup <id>... | --merged | --all`: removes the worktree, the links and files wt made,
 * its databases, env file, slot and record, and the branch when it is integrated into the base.
 * Every worktree that can be removed safely is; each refused one is listed in `skipped` with
 * its code, and refused named ids then throw PartialRefusalError (the first refusal's code and
 * exit code, the document in `result`). `--merged` skips, listed, `no-commits` and
 * `not-integrated` worktrees. Without preCleanup hooks each worktree is checked and removed
 * in one hold of the repository lock, then its postCleanup hooks run. With them, the hooks
 * run outside the repository lock: under the lock each worktree is checked and marked
 * `removing` (a create or cleanup of it meanwhile is exit 4, `in-progress`); then its
 * preCleanup hooks run; then, under the lock again, it is checked again and removed; then its
 * postCleanup hooks run. Every part is a step list run by the one executor (`--verbose` names
 * each step; `--dry-run` lists the same steps).
 * @throws UsageError (2) for bad flags or ids; for refused named ids PartialRefusalError with
 *   the first refusal's code: WorktreeNotFoundError (3); BusyError (4) for a locked worktree, one whose create or cleanup is still running (code `in-progress`) or the
 *   repository lock; DirtyWorktreeError (5) for uncommitted changes, commits no branch holds, submodule
 *   work that exists nowhere else, or files `cleanup.protect` protects (`details.files` /
 *   `details.commits` / `details.submodules`); CommandFailedError (6); UntrustedError (2) for
 *   preCleanup/postCleanup hooks this user has not trusted (`requireTrust`).
 */
export async function cleanupWorktrees(ctx: WtContext, options: CleanupOptions): Promise<CleanupResult> {
  const ids = checkOptions(options);
  const session = await openSession(ctx);
  if (options.hooks !== false) {
    const runs = commandsFrom(repositoryCommands(session.config), ["hooks.preCleanup", "hooks.postCleanup"]);
    await requireTrust(session, ctx, { verb: "wt cleanup", runs, dryRun: options.dryRun });
  }
  const result: CleanupResult = { removed: [], skipped: [], warnings: [] };
  const run: CleanupRun = {
    session,
    ctx,
    options,
    ids,
    result,
    refusals: [],
    warn: (m: string) => {
      result.warnings.push(m);
      ctx.onWarning?.(m);
    },
  };
  if (options.dryRun) {
    result.dryRun = true;
    for (const checked of await selectAndCheck(run)) result.removed.push(await dryRunOne(run, checked));
    return finish(run);
  }
  const trash: string[] = [];
  if (!hasPreCleanup(session, options)) {
    await removeInOnePass(run, trash);
    return finish(run);
  }
  const pending = new Set<WorktreeRecord>();
  try {
    const marked = await locked(run, "", async (lockCtx) => {
      // What a killed background deleter left in the trash goes with this run's folders.
      trash.push(...(await trashLeftovers(session.repo.stateDir, session.repo.commonDir, run.warn)));
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
  return finish(run);
}

/** True when preCleanup hooks will run: only then is a worktree checked twice (see removeOne). */
function hasPreCleanup(session: Session, options: CleanupOptions): boolean {
  return options.hooks !== false && session.config.hooks.preCleanup.length > 0;
}

/**
 * Without preCleanup hooks nothing runs between the check and the removal: each worktree is
 * checked and removed in one hold of the lock (no `removing` mark, no second check, half the
 * git processes of the two-pass path), then the postCleanup hooks run outside the lock.
 */
async function removeInOnePass(run: CleanupRun, trash: string[]): Promise<void> {
  const posts: Step[][] = [];
  try {
    await locked(run, "", async (lockCtx) => {
      trash.push(...(await trashLeftovers(run.session.repo.stateDir, run.session.repo.commonDir, run.warn)));
      for (const checked of await selectAndCheck(run)) {
        run.result.removed.push(await removeChecked(run, checked, trash, lockCtx));
        posts.push(postCleanupSteps(run, checked.record, run.ctx));
      }
    });
  } finally {
    deleteInBackground(trash);
  }
  for (const post of posts) await execSteps(run, post, run.ctx);
}

/** Runs `steps` on the one executor, with the run's warnings and `ctx`'s signal and progress. */
function execSteps(run: CleanupRun, steps: Step[], ctx: WtContext): Promise<unknown> {
  return executeSteps(steps, { signal: ctx.signal, onStep: ctx.onProgress, onWarning: run.warn });
}

/** The postCleanup hook steps of `record` (none with --no-hooks), run in the main worktree. */
function postCleanupSteps(run: CleanupRun, record: WorktreeRecord, ctx: WtContext): Step[] {
  const { repo, config } = run.session;
  if (run.options.hooks === false) return [];
  const vars = worktreeVariables(record, repo.mainPath);
  return hookSteps("postCleanup", config.hooks.postCleanup, ctx, { cwd: repo.mainPath, vars });
}

/**
 * Under the lock, right after its check: the removal steps of one worktree, run.
 * @returns its row
 */
async function removeChecked(
  run: CleanupRun,
  checked: CheckedWorktree,
  trash: string[],
  lockCtx: WtContext,
): Promise<RemovedWorktree> {
  const entries = await listWorktrees(gitAt(run.session));
  const out: RemovalOutcome = { branchDeleted: false, trash };
  const { removal, fate } = await stepsOf(run, checked, entries, lockCtx, out);
  await execSteps(run, removal, lockCtx);
  const row = { ...removedRow(checked, fate), branchDeleted: out.branchDeleted };
  // Kept after all: the branch changed after it was checked (`branchFateStep`).
  return out.branchKept ? { ...row, branchKept: out.branchKept } : row;
}

/**
 * The run's document, or, when named ids were refused, a PartialRefusalError carrying it:
 * the first refusal's code and exit code, as `git branch -d a b c` exits after deleting what it can.
 */
function finish(run: CleanupRun): CleanupResult {
  const [first] = run.refusals;
  if (first) throw new PartialRefusalError(first, run.result, run.refusals.length);
  return run.result;
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
  const post = postCleanupSteps(run, record, ctx);
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
 * @returns its row, or null when the second check refused it (listed in `skipped`).
 */
async function removeOne(
  run: CleanupRun,
  checked: CheckedWorktree,
  trash: string[],
  removed: () => void,
  held?: WtContext,
): Promise<RemovedWorktree | null> {
  const { ctx, options } = run;
  const exec = (steps: Step[], c: WtContext) => execSteps(run, steps, c);
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
    const row = await removeChecked(run, again, trash, lockCtx);
    removed();
    return row;
  };
  const row = held ? await remove(held) : await locked(run, "", remove);
  if (row) await exec(first.post, held ?? ctx);
  return row;
}

/**
 * Under the lock, after the preCleanup hooks: the record must still be this run's (`removing`,
 * when `marked`), and the worktree still safe (a hook may have left changes).
 * @returns the fresh check, or null when it is refused (listed in `skipped`).
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
    skip(run, record.id, e);
    return null;
  }
}
