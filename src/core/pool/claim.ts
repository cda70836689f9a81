import { mkdir, rmdir } from "node:fs/promises";
import path from "node:path";
import type { StatusEntry } from "../../git/parse.js";
import { lockWorktree, moveWorktree, switchDetach, switchNewBranch } from "../../git/pool.js";
import { listWorktrees } from "../../git/repo.js";
import { statusPorcelain } from "../../git/status.js";
import { unlockOwnLock, unlockWorktree } from "../../git/worktree.js";
import { hasModulesDir, worktreeLinkProblem } from "../../git/worktree-link.js";
import type { WtContext } from "../context.js";
import { SIDECAR_SUFFIXES } from "../databases.js";
import { isInside, removeBelow } from "../fs-safe.js";
import { deleteMadeBranch } from "../provision/branch-step.js";
import type { NewOutcome, NewPlan } from "../provision/types.js";
import { gitAt, type Session } from "../session.js";
import type { Step } from "../steps/step.js";
import { processProbe } from "./busy.js";
import { entryFor, slotState } from "./inspect.js";
import {
  deletePoolRecord,
  POOL_LOCK_REASON,
  type PoolRecord,
  readPoolRecords,
  warmKeyOf,
  writePoolRecord,
} from "./state.js";

/** Why a `wt create --pool` made a cold worktree instead (the JSON's `pool.reason`). */
export type MissReason = "empty" | "stale" | "busy";

/** The slot a claim takes, or why none. */
export type ClaimChoice = { slot: PoolRecord; reason: null } | { slot: null; reason: MissReason };

/**
 * A claim's first read, started beside `planNew` (under the same repository lock, reading
 * only): `git status` of the first slot whose record says idle and whose `.git` tie holds, the
 * question that grows with the repository's size. `chooseSlot` uses it when that slot is still
 * its candidate (any other slot is asked then). null when no record is idle.
 */
export interface ClaimPrefetch {
  path: string;
  status: Promise<StatusEntry[]>;
}

/** Starts the `ClaimPrefetch` of `session`'s pool (its failure is `chooseSlot`'s to see). */
export function prefetchClaim(session: Session, ctx: WtContext): ClaimPrefetch | null {
  const { repo } = session;
  const first = readPoolRecords(repo.stateDir).find(
    (r) => r.state === "idle" && worktreeLinkProblem(repo.commonDir, r.path) === null,
  );
  if (!first) return null;
  const status = statusPorcelain(gitAt(session, first.path, ctx.signal));
  // Awaited by chooseSlot, or dropped when it picks no slot.
  status.catch(() => {});
  return { path: first.path, status };
}

/**
 * Picks the idle slot a new worktree claims (under the repository lock, reading only): one whose
 * HEAD is the base's commit and whose warm key still matches (`slotState`), that `git status`
 * shows clean, and that no process stands in (`processProbe`). Only a new branch at the base
 * can be claimed: an existing branch would need a checkout. The base's warm key is the plan's
 * (read in its `cat-file` batch; else asked here, beside the candidate's status); `early` is
 * the status `prefetchClaim` started.
 */
export async function chooseSlot(
  session: Session,
  ctx: WtContext,
  plan: NewPlan,
  early: ClaimPrefetch | null = null,
  warn: (m: string) => void = () => {},
): Promise<ClaimChoice> {
  const { repo, config } = session;
  const records = readPoolRecords(repo.stateDir);
  if (records.length === 0) return { slot: null, reason: "empty" };
  if (plan.how.kind !== "new") return { slot: null, reason: "stale" };
  const at = gitAt(session, repo.mainPath, ctx.signal);
  const warm =
    plan.warmKey !== undefined ? Promise.resolve(plan.warmKey) : warmKeyOf(at, plan.baseCommit, config.pool.warmKey);
  warm.catch(() => {}); // awaited at the first candidate
  const entries = plan.entries ?? (await listWorktrees(at));
  const statusOf = (folder: string) =>
    early?.path === folder ? early.status : statusPorcelain(gitAt(session, folder, ctx.signal));
  let busy = false;
  let stale = false;
  let probe: Promise<(folder: string) => number[]> | null = null;
  for (const record of records) {
    // The warm key is compared below, once git has given it.
    const base = { commit: plan.baseCommit, warmKey: record.warmKey };
    const view = slotState(repo.commonDir, record, entryFor(entries, record), base);
    if (view.state === "stale") stale = true;
    if (view.state !== "idle") continue;
    if (hasModulesDir(repo.commonDir, record.path)) {
      // A warm command initialised submodules: git cannot move the slot, so it cannot be claimed.
      warn(
        `pool slot ${record.path} has initialised submodules, which git cannot move: not claimed (\`wt pool drain\` removes it)`,
      );
      stale = true;
      continue;
    }
    const answers = Promise.all([warm, statusOf(record.path)]);
    // The process table is read while git answers (on Linux, synchronous reads of /proc).
    probe ??= processProbe(repo.mainPath, session.env);
    probe.catch(() => {}); // awaited below, unless the warm key sends this slot away
    const [warmKey, status] = await answers;
    if (warmKey !== record.warmKey) {
      stale = true;
      continue;
    }
    const inside = await probe;
    if (inside(record.path).length > 0 || status.length > 0) {
      busy = true;
      continue;
    }
    return { slot: record, reason: null };
  }
  return { slot: null, reason: busy ? "busy" : stale ? "stale" : "empty" };
}

/**
 * The claim of `slot`, in place of `git worktree add`: unlock it (`unlockOwnLock`: wt's lock
 * file deleted in process, no git), move it to the worktree's
 * folder (`git worktree move`: a rename, no file copied), and make the branch at HEAD (`git
 * switch -c`, which touches no file: HEAD is the base's commit). It is not create-locked as an
 * add is: its folder exists from the start, so `git worktree prune` has nothing to take.
 * Undone by the reverse, back into the pool.
 */
export function claimStep(session: Session, ctx: WtContext, plan: NewPlan, slot: PoolRecord, out: NewOutcome): Step {
  const { record } = plan;
  const target = record.path;
  const at = gitAt(session, session.repo.mainPath, ctx.signal);
  return {
    kind: "claim-slot",
    title: `claim pool slot ${slot.path} as ${target} with new branch ${record.branch} at ${record.base} (${plan.baseCommit.slice(0, 8)})`,
    detail: { slot: slot.path, path: target, branch: record.branch },
    run: async () => {
      // wt's own lock ("wt pool slot") goes in process; any other lock is left to git's refusal.
      await unlockOwnLock(at, session.repo.commonDir, slot.path, POOL_LOCK_REASON);
      await mkdir(path.dirname(target), { recursive: true });
      // git moves into an existing folder rather than onto it: an empty one (planNew allows it) goes first.
      await rmdir(target).catch(() => {});
      await moveWorktree(at, slot.path, target);
      await switchNewBranch(gitAt(session, target, ctx.signal), record.branch);
      await deletePoolRecord(session.repo.stateDir, slot.n);
      out.head = plan.baseCommit;
    },
    undo: () => unclaim(session, plan, slot, (m) => ctx.onWarning?.(m)),
  };
}

/** Puts a half-claimed slot back: off the branch, the branch deleted, moved back and locked. Tolerates every half-done state. */
async function unclaim(session: Session, plan: NewPlan, slot: PoolRecord, warn: (m: string) => void): Promise<void> {
  const at = gitAt(session);
  const target = plan.record.path;
  const tryIt = (p: Promise<unknown>) => p.then(() => true).catch(() => false);
  // A rolled-back create normally deletes its folder; a slot goes back, so what this run wrote goes.
  if (worktreeLinkProblem(session.repo.commonDir, target) === null) await removeOwnFiles(plan, warn);
  const tied = worktreeLinkProblem(session.repo.commonDir, target) === null;
  // What a postCreate hook (or an agent it started) changed or made there, wt's own files gone.
  const changed = tied
    ? await statusPorcelain(gitAt(session, target)).then(
        (e) => e.length > 0,
        () => false,
      )
    : false;
  const switched = !changed && (await tryIt(switchDetach(gitAt(session, target), slot.baseCommit)));
  if (tied && !switched) {
    // Moved back into the pool, that work would sit hidden in a slot (or git refused to switch
    // it back, as it would overwrite it). It stays here, no longer a slot.
    await deletePoolRecord(session.repo.stateDir, slot.n).catch(() => {});
    const why = changed
      ? "git status shows changes made in it"
      : `\`git switch --detach ${slot.baseCommit.slice(0, 8)}\` failed there`;
    warn(
      `the claimed worktree stays at ${target} (branch ${plan.record.branch}), not back in the pool: ${why}; keep or discard them, then \`git worktree remove ${target}\` (or \`wt adopt\` it)`,
    );
    return;
  }
  // Only while at the commit the claim made it at: a commit a postCreate hook made keeps it.
  await deleteMadeBranch(at, session.repo, plan.record.branch, slot.baseCommit, warn).catch(() => {});
  await tryIt(unlockWorktree(at, target));
  await tryIt(moveWorktree(at, target, slot.path));
  await tryIt(lockWorktree(at, slot.path, POOL_LOCK_REASON));
  await writePoolRecord(session.repo.stateDir, slot);
}

/**
 * Deletes what the steps after the claim wrote into the slot (the env file, databases and their
 * sidecars inside it, `.worktreeinclude` links and copies), never following a link nor
 * going through a symlinked folder (`removeBelow`): the slot must be clean for the next claim.
 */
async function removeOwnFiles(plan: NewPlan, warn: (m: string) => void): Promise<void> {
  const { record } = plan;
  const inside = [
    path.join(record.path, record.envFile),
    ...record.databases.flatMap((d) => [d.path, ...SIDECAR_SUFFIXES.map((x) => `${d.path}${x}`)]),
    ...record.included.map((e) => path.join(record.path, e.path)),
  ].filter((p) => isInside(record.path, p) && p !== record.path);
  // Through real folders only: a symlinked folder in the slot leads to another tree's files.
  for (const p of inside) await removeBelow(record.path, p, warn).catch(() => {});
}
