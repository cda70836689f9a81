import { lockTimeoutMs, type WtContext } from "./context.js";
import { envFileDigests, envLinesAddedSince } from "./envfile.js";
import { InterruptedError } from "./errors.js";
import { checkWorktreeRoot } from "./fs-safe.js";
import { withRepoLock } from "./lock.js";
import type { Session } from "./session.js";
import { readRecord, type WorktreeRecord, writeRecord } from "./state.js";
import type { Step } from "./steps/step.js";

// A create's postCreate hooks (docs/contract.md, "wt create"): run outside the repository lock,
// then the record marked under it; Ctrl-C during those of a new worktree undoes the create.

/** The repository lock's options for a create's holds (`purpose` as the lock's note shows it). */
export function lockOptions(ctx: WtContext, warn: (m: string) => void, purpose: string) {
  return { timeoutMs: lockTimeoutMs(ctx.env), onWarning: warn, onWait: ctx.onNotice, purpose };
}

/**
 * Runs the postCreate hooks; Ctrl-C during the hooks of a worktree this run made undoes the
 * whole create, as for any other step (docs/contract.md); a failing hook keeps it (exit 6,
 * retried next time).
 */
export async function hooksOrRollback(
  session: Session,
  ctx: WtContext,
  run: { record: WorktreeRecord; rollback?: () => Promise<void>; hooks: Step[]; enabled: boolean },
  warn: (m: string) => void,
): Promise<void> {
  const { record, rollback } = run;
  try {
    await finishHooks(
      session,
      record,
      ctx,
      { hooks: run.hooks, enabled: run.enabled, fresh: rollback !== undefined },
      warn,
    );
  } catch (e) {
    if (!(e instanceof InterruptedError) || !rollback) throw e;
    try {
      await rollBackCreate(session, record, ctx, rollback, warn);
    } catch (undoError) {
      // Still exit 130, but say what was not undone rather than claim it was.
      throw new InterruptedError(
        "SIGINT",
        `interrupted during the postCreate hooks, and the rollback could not run (${(undoError as Error).message}); worktree ${record.id} is left incomplete`,
        `run \`wt cleanup ${record.id}\` to remove it`,
      );
    }
    throw e;
  }
}

/** Undoes a create whose hooks were interrupted, under the lock, if the record is still its. */
async function rollBackCreate(
  session: Session,
  record: WorktreeRecord,
  ctx: WtContext,
  rollback: () => Promise<void>,
  warn: (m: string) => void,
): Promise<void> {
  await withRepoLock(session.repo.stateDir, lockOptions(ctx, warn, `wt create ${record.id} (rollback)`), async () => {
    const current = await readRecord(session.repo.stateDir, record.id);
    if (current?.path !== record.path || current.pid !== process.pid) return;
    await rollback();
  });
}

/**
 * Runs postCreate hooks (outside the repository lock: installs can take minutes) through the
 * executor, and marks the record ready. A failing hook keeps the worktree; the next
 * `wt create` runs them again.
 */
async function finishHooks(
  session: Session,
  record: WorktreeRecord,
  ctx: WtContext,
  { hooks, enabled, fresh }: { hooks: Step[]; enabled: boolean; fresh: boolean },
  warn: (m: string) => void,
): Promise<void> {
  const { repo, config } = session;
  if (!enabled && config.hooks.postCreate.length > 0) {
    if (!fresh) {
      // The hooks failed in an earlier run: skipping them now does not make them succeed.
      warn(
        `postCreate hooks skipped (--no-hooks); they have not succeeded yet and run on the next \`wt create ${record.id}\``,
      );
      return;
    }
    warn("postCreate hooks skipped (--no-hooks)");
  }
  // The env file's lines before the hooks: what they add is wt's, not the user's (`auditEnvFile`).
  // Only in the run that made the worktree: on a retry the worktree has stood since the failed
  // run, an agent may be writing to it, and a line it adds while the hooks run is not theirs
  // (what was added is then named in a warning instead).
  let before: string[] | null | undefined;
  if (hooks.length > 0) {
    // The hooks run in the folder (an install, a migration): never in a swapped-in link.
    await checkWorktreeRoot(record.path, repo.commonDir);
    before = await envFileDigests(record, repo.mainPath);
    const { executeSteps } = await import("./steps/execute.js");
    try {
      await executeSteps(hooks, { signal: ctx.signal, onStep: ctx.onProgress, onWarning: warn });
    } catch (e) {
      // A hook failed (exit 6; the next create runs them again): what they wrote before that is
      // wt's too, or a cleanup would refuse it as the user's. Not after Ctrl-C: no wait for the lock then.
      // The hook's failure stays the error (exit 6) even when that lock cannot be had.
      if (!(e instanceof InterruptedError)) {
        await afterHooks(session, record, ctx, { before, fresh, ready: false }, warn).catch((lockError: Error) =>
          warn(`the env file lines the hooks wrote were not recorded as wt's: ${lockError.message}`),
        );
      }
      throw e;
    }
  }
  // With no hook to run, the create's own lock hold already marked it ready.
  if (record.state === "ready") return;
  await afterHooks(session, record, ctx, { before, fresh, ready: true }, warn);
}

/**
 * Under the lock, and only if the record is still this worktree's (a cleanup may have run while
 * the hooks did): the env file lines added while the hooks ran recorded as wt's
 * (`envLinesAddedSince`; `before` undefined when no hook ran), or, when they ran again on a
 * worktree an earlier run made (`fresh` false), named in a warning and left the user's; and the
 * record marked `ready` when they all succeeded.
 */
async function afterHooks(
  session: Session,
  record: WorktreeRecord,
  ctx: WtContext,
  { before, fresh, ready }: { before: string[] | null | undefined; fresh: boolean; ready: boolean },
  warn: (m: string) => void,
): Promise<void> {
  const { repo } = session;
  await withRepoLock(repo.stateDir, lockOptions(ctx, warn, `wt create ${record.id}`), async () => {
    const current = await readRecord(repo.stateDir, record.id);
    if (current?.path !== record.path) return;
    if (before !== undefined) {
      const lines = await envLinesAddedSince(current, repo.mainPath, before);
      if (fresh) current.envLines = lines;
      else if ((lines?.length ?? 0) > (current.envLines?.length ?? 0)) {
        // Not recorded: on a retry an agent may be writing to the file too. Said now, not at cleanup.
        warn(
          `lines were added to ${current.envFile} while the postCreate hooks ran again; they are not recorded as wt's (an agent may be working there), so \`wt cleanup ${current.id}\` refuses them unless --force`,
        );
      }
    }
    if (ready) current.state = "ready";
    await writeRecord(repo.stateDir, current);
    if (ready) record.state = "ready";
  });
}
