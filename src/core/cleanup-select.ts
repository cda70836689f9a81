import path from "node:path";
import { commitsOwn } from "../git/integrated.js";
import type { WorktreeEntry } from "../git/parse.js";
import { listRemotes, listWorktrees, refExists } from "../git/repo.js";
import { checkWorktree, notIntegratedReason } from "./cleanup-check.js";
import { checkNotInProgress } from "./cleanup-guards.js";
import type { CleanupRun, SkippedWorktree } from "./cleanup-types.js";
import { releaseStaleCreateLocks } from "./create-lock.js";
import { WorktreeNotFoundError, WtError } from "./errors.js";
import { branchIntegration } from "./integration.js";
import { findLiveProcessesOfEach, settleLiveProcesses } from "./live-processes.js";
import { idKey } from "./names.js";
import type { CheckedWorktree } from "./provision/types.js";
import { gitAt, type Session } from "./session.js";
import { readRecords, type WorktreeRecord } from "./state.js";

/**
 * The worktrees to remove, each checked safe. A refused one is skipped with its code (named
 * ids: also kept in `run.refusals`, whose first sets the exit code, as `git branch -d a b c`
 * deletes what it can); `--merged` also skips, listed, every worktree it does not count as
 * merged (`mergedSkip`).
 */
export async function selectAndCheck(run: CleanupRun): Promise<CheckedWorktree[]> {
  const { session, options, ids } = run;
  const records = await readRecords(session.repo.stateDir);
  const entries = await listWorktrees(gitAt(session));
  if (!options.dryRun) await releaseStaleCreateLocks(gitAt(session), entries, records);
  let targets: WorktreeRecord[] = records;
  if (ids.length > 0) {
    targets = [];
    for (const id of ids) {
      const r = records.find((x) => idKey(x.id) === idKey(id));
      if (!r) skip(run, id, new WorktreeNotFoundError(id));
      else if (!targets.includes(r)) targets.push(r);
    }
  }
  const remotes = options.merged ? await listRemotes(gitAt(session)) : [];
  const checked: CheckedWorktree[] = [];
  for (const record of targets) {
    try {
      checkNotInProgress(session.repo.stateDir, record);
      const left = options.merged ? await mergedSkip(session, checkedOut(record, entries), remotes) : null;
      if (left) run.result.skipped.push(left);
      else checked.push(await checkWorktree(session, record, entries, options.force === true));
    } catch (e) {
      skip(run, record.id, e);
    }
  }
  return settleAll(run, checked);
}

/**
 * After every other check: each worktree's live processes refuse it, are reaped (`--reap`) or
 * left (`--force`), through `settleLiveProcesses`, the rule `wt release` shares.
 */
async function settleAll(run: CleanupRun, checked: readonly CheckedWorktree[]): Promise<CheckedWorktree[]> {
  const { session, options } = run;
  const policy = { reap: options.reap, force: options.force, dryRun: options.dryRun, warn: run.warn, env: session.env };
  const settled: CheckedWorktree[] = [];
  const targets = checked.map(({ record: { id, path, ports } }) => ({ id, path, ports, main: session.repo.mainPath }));
  // One read of the process table for them all, unless --reap (a reap changes the table: each
  // worktree then reads it afresh, as its re-check does).
  const found = options.reap ? null : findLiveProcessesOfEach(targets, session.env);
  found?.catch(() => {});
  for (const [i, c] of checked.entries()) {
    const { id } = c.record;
    try {
      const first = found?.then((all) => all[i] ?? []);
      await settleLiveProcesses(targets[i] as (typeof targets)[number], policy, first);
      settled.push(c);
    } catch (e) {
      skip(run, id, e);
    }
  }
  return settled;
}

/**
 * `record` with the branch its worktree has checked out, when that is another one (the agent
 * renamed the branch, or switched to a new one): `--merged` judges the work the worktree holds,
 * not a recorded name (a merged or deleted recorded branch said nothing about it).
 */
function checkedOut(record: WorktreeRecord, entries: readonly WorktreeEntry[]): WorktreeRecord {
  const entry = entries.find((e) => path.resolve(e.path) === record.path);
  return entry?.branch && entry.branch !== record.branch ? { ...record, branch: entry.branch } : record;
}

/**
 * `--merged`: why a worktree is not merged, or null when it is. A branch with no commit of its
 * own beyond the base commit recorded at create is not merged (`no-commits`: an agent that just
 * received the worktree must not lose it, docs/contract.md "Integrated branches"); else the branch
 * must be integrated into the base or its local branch (`not-integrated`). A branch that is
 * gone holds nothing to lose: the worktree's own checks decide.
 */
async function mergedSkip(
  session: Session,
  record: WorktreeRecord,
  remotes: readonly string[],
): Promise<SkippedWorktree | null> {
  const at = gitAt(session);
  const ref = `refs/heads/${record.branch}`;
  if (!(await refExists(at, ref))) return null;
  if (record.baseCommit && (await commitsOwn(at, ref, record.baseCommit)) === 0) {
    return {
      id: record.id,
      code: "no-commits",
      reason: `branch ${record.branch} has no commit of its own beyond its base ${record.baseCommit.slice(0, 8)}`,
    };
  }
  if ((await branchIntegration(at, ref, record.base, remotes)).integrated) return null;
  return { id: record.id, code: "not-integrated", reason: await notIntegratedReason(session, record) };
}

/** Codes that stop the whole run rather than one worktree: an interrupt, the repository lock. */
const RUN_STOPPERS: ReadonlySet<string> = new Set(["interrupted", "lock-lost", "lock-busy", "lock-foreign"]);

/**
 * Records a refusal in `skipped` (and, for named ids, in `run.refusals`). Rethrows what is no
 * refusal of one worktree: a bug, an interrupt, a lost or busy repository lock.
 */
export function skip(run: CleanupRun, id: string, e: unknown): void {
  if (!(e instanceof WtError) || RUN_STOPPERS.has(e.code)) throw e;
  run.result.skipped.push({ id, reason: e.message, code: e.code });
  if (run.ids.length > 0) run.refusals.push(e);
}
