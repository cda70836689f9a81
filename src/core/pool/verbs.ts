import path from "node:path";
import { afterSecondOf, refreshIndex } from "../../git/pool.js";
import type { WtContext } from "../context.js";
import { filesInTheWay } from "../fs-safe.js";
import { slotHeldFiles } from "../provision/checkout-audit.js";
import { hookSteps } from "../provision/hooks.js";
import { gitAt, openSession, type Session } from "../session.js";
import { executeSteps } from "../steps/execute.js";
import { planOf, type Step } from "../steps/step.js";
import { commandsFrom, repositoryCommands, requireTrust } from "../trust.js";
import {
  addSlotStep,
  advanceSlotStep,
  currentBase,
  type PoolStatus,
  poolSlots,
  removeSlotStep,
  slotInUse,
  withPoolLock,
} from "./fill.js";
import { freeSlot } from "./release.js";
import { readPoolRecords, writePoolRecord } from "./state.js";

/** The JSON document of `wt pool fill` and `wt pool drain`. */
export interface PoolChange extends PoolStatus {
  added: string[];
  removed: string[];
  warnings: string[];
  dryRun?: boolean;
  plan?: string[];
}

/** `wt pool status`: every slot and its state (`poolSlots`, compared with the current base). */
export async function poolStatus(ctx: WtContext): Promise<PoolStatus> {
  const session = await openSession(ctx, { fetch: false });
  const base = await currentBase(session, ctx, false).catch(() => null);
  return { size: session.config.pool.size, slots: await poolSlots(session, base) };
}

/**
 * `wt pool fill [<n>]`: tops the pool up to `n` (default `pool.size`) fresh idle slots. Under
 * the repository lock: stale slots nothing uses are removed, new ones added (detached at the
 * base, git-locked, recorded `warming`); outside it, `pool.warm` runs in each new slot through
 * the hook runner; under the lock again each is marked idle. A slot whose warm commands failed
 * stays stale (never claimed) and the failure is thrown (exit 6).
 */
export async function fillPool(ctx: WtContext, options: { count?: number; dryRun?: boolean }): Promise<PoolChange> {
  const session = await openSession(ctx, options.dryRun ? { fetch: false } : {});
  // pool.warm comes from the repository: trusted first, before any slot exists.
  const runs = commandsFrom(repositoryCommands(session.config), ["pool.warm"]);
  await requireTrust(session, ctx, { verb: "wt pool fill", runs, dryRun: options.dryRun });
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const c = { ...ctx, onWarning: warn };
  const target = options.count ?? session.config.pool.size;
  const locked = async (lc: WtContext) => {
    const base = await currentBase(session, lc, !options.dryRun);
    const steps = await fillSteps(session, lc, base, target, warn);
    const warm = steps.added.flatMap((slot) => warmSteps(session, lc, slot));
    const refresh = steps.added.length > 0 ? [refreshStep(steps.added)] : [];
    if (options.dryRun) return { ...steps, plan: planOf([...steps.steps, ...warm, ...refresh]) };
    await executeSteps(steps.steps, { signal: lc.signal, onStep: lc.onProgress, onWarning: warn });
    return { ...steps, plan: undefined };
  };
  const planned = options.dryRun ? await locked(c) : await withPoolLock(session, c, "wt pool fill", locked);
  if (!options.dryRun) await warmAndMark(session, c, planned.added, warn);
  const result: PoolChange = {
    size: session.config.pool.size,
    slots: await poolSlots(session, null),
    added: planned.added.map((s) => s.folder),
    removed: planned.removed,
    warnings,
  };
  return options.dryRun ? { ...result, dryRun: true, plan: planned.plan ?? [] } : result;
}

/** Fill's locked steps: remove stale unused slots, add what brings the fresh ones to `target`. */
async function fillSteps(
  session: Session,
  ctx: WtContext,
  base: Awaited<ReturnType<typeof currentBase>>,
  target: number,
  warn: (m: string) => void,
) {
  const { repo } = session;
  const records = readPoolRecords(repo.stateDir);
  const views = await poolSlots(session, base);
  const steps: Step[] = [];
  const removed: string[] = [];
  let fresh = 0;
  const taken = records.map((r) => r.n);
  for (const r of records) {
    const view = views.find((v) => v.path === r.path);
    // A slot another fill is warming counts: two fills at once do not make twice the slots.
    if (view?.state === "idle" || view?.reason === "warming") fresh++;
    if (view?.state !== "stale" || view.reason === "warming") continue;
    const inUse = await slotInUse(session, r);
    if (inUse !== null) {
      warn(`stale pool slot ${r.path} is left in place: ${inUse}`);
      continue;
    }
    if (r.state === "idle" && r.warmKey === base.warmKey) {
      // git switch overwrites ignored files the new commit tracks (git-checkout(1), --overwrite-ignore).
      const inTheWay = await filesInTheWay(gitAt(session), r.path, r.baseCommit, base.commit);
      if (inTheWay.length > 0) {
        warn(
          `stale pool slot ${r.path} is left in place: the base now tracks files it has on disk (${inTheWay.slice(0, 5).join(", ")})`,
        );
        continue;
      }
      // Only the base moved: its warm state still fits, so the slot follows the base.
      steps.push(advanceSlotStep(session, r, base));
      fresh++;
      continue;
    }
    steps.push(removeSlotStep(session, r, view.reason ?? "stale"));
    removed.push(r.path);
  }
  const added: { n: number; folder: string }[] = [];
  for (let i = fresh; i < target; i++) {
    const slot = freeSlot(session, [...taken, ...added.map((a) => a.n)]);
    added.push(slot);
    steps.push(addSlotStep(session, ctx, slot, base));
  }
  return { steps, added, removed };
}

/** The warm commands of a slot, through the hook runner (the repository's commands: trust applies). */
function warmSteps(session: Session, ctx: WtContext, slot: { folder: string }): Step[] {
  const vars = { WT_MAIN: session.repo.mainPath, WT_PATH: slot.folder, WT_POOL_SLOT: path.basename(slot.folder) };
  return hookSteps("poolWarm", session.config.pool.warm, ctx, { cwd: slot.folder, vars });
}

/** Warms each new slot outside the lock, then marks the ones that warmed idle under it. */
async function warmAndMark(
  session: Session,
  ctx: WtContext,
  added: { n: number; folder: string }[],
  warn: (m: string) => void,
): Promise<void> {
  const warmed: number[] = [];
  let failure: unknown = null;
  for (const slot of added) {
    try {
      await executeSteps(warmSteps(session, ctx, slot), {
        signal: ctx.signal,
        onStep: ctx.onProgress,
        onWarning: warn,
      });
      warmed.push(slot.n);
    } catch (e) {
      failure ??= e;
      warn(`pool slot ${slot.folder}: its warm commands failed; it stays stale and is never claimed`);
    }
  }
  await refreshSlots(
    session,
    ctx,
    added.filter((s) => warmed.includes(s.n)),
    warn,
  );
  // What the warm commands made that cleanup would protect (not someone's work later), read
  // before the lock: the walk of the slot's ignored folders must not hold up other verbs.
  const warmFiles = new Map<number, string[]>();
  for (const slot of added.filter((s) => warmed.includes(s.n))) {
    warmFiles.set(slot.n, await slotHeldFiles(session, slot.folder));
  }
  await withPoolLock(session, ctx, "wt pool fill", async () => {
    for (const r of readPoolRecords(session.repo.stateDir)) {
      if (warmed.includes(r.n) && r.state === "warming" && r.pid === process.pid) {
        await writePoolRecord(session.repo.stateDir, { ...r, state: "idle", warmFiles: warmFiles.get(r.n) ?? [] });
      }
    }
  });
  if (failure) throw failure;
}

/**
 * Refreshes the index of each warmed slot (`refreshIndex`), once the second of the last write
 * into them has ended (`afterSecondOf`): git's checkout wrote the index in the same second as
 * the files, so every entry was racily clean and each claim's `git status` of the slot (and the
 * release's of the worktree) re-read every file's content (3,120 files opened on a 3,000-file
 * repository; after the refresh, none). wt's own git runs take no optional lock
 * (`GIT_OPTIONAL_LOCKS=0`), so nothing else ever rewrites a slot's index. Run through the
 * executor, as `--dry-run` lists it. A refresh that fails costs speed only: a warning, and the
 * slot stays claimable. An abort during the wait skips it.
 */
async function refreshSlots(
  session: Session,
  ctx: WtContext,
  slots: readonly { folder: string }[],
  warn: (m: string) => void,
): Promise<void> {
  if (slots.length === 0) return;
  await executeSteps([refreshStep(slots, session, ctx, warn)], {
    signal: ctx.signal,
    onStep: ctx.onProgress,
    onWarning: warn,
  }).catch(() => {}); // only an abort gets here: the slots are marked idle all the same
}

/** The step of `refreshSlots`; without `session` (a dry run's plan) it does nothing. */
function refreshStep(
  slots: readonly { folder: string }[],
  session?: Session,
  ctx?: WtContext,
  warn: (m: string) => void = () => {},
): Step {
  const what = slots.length === 1 ? `pool slot ${slots[0]?.folder}` : `${slots.length} pool slots`;
  return {
    kind: "pool-ready",
    title: `refresh the git index of ${what} (git update-index --refresh), after the current second`,
    run: async () => {
      if (!session) return;
      await afterSecondOf(Date.now(), ctx?.signal);
      await Promise.all(
        slots.map((s) =>
          refreshIndex(gitAt(session, s.folder, ctx?.signal)).catch((e: unknown) =>
            warn(
              `pool slot ${s.folder}: \`git update-index --refresh\` failed (${String(e)}); claims of it read every file until a refresh succeeds`,
            ),
          ),
        ),
      );
    },
  };
}

/**
 * `wt pool drain`: removes the idle and stale slots nothing uses, under the repository lock.
 * A claimed slot is a worktree and never touched; a damaged one is left and reported (it may
 * hold what someone put there).
 */
export async function drainPool(ctx: WtContext, options: { dryRun?: boolean }): Promise<PoolChange> {
  const session = await openSession(ctx, { fetch: false });
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const locked = async (lc: WtContext) => {
    const views = await poolSlots(session, null);
    const steps: Step[] = [];
    for (const r of readPoolRecords(session.repo.stateDir)) {
      const view = views.find((v) => v.path === r.path);
      if (view?.state === "damaged") warn(`pool slot ${r.path} is damaged (${view.reason}); left in place`);
      else if (view?.reason === "warming") warn(`pool slot ${r.path} is still warming; left in place`);
      else {
        const inUse = await slotInUse(session, r);
        if (inUse !== null) warn(`pool slot ${r.path} is left in place: ${inUse}`);
        else steps.push(removeSlotStep(session, r, view?.state ?? "idle"));
      }
    }
    if (!options.dryRun) await executeSteps(steps, { signal: lc.signal, onStep: lc.onProgress, onWarning: warn });
    return steps;
  };
  const steps = options.dryRun ? await locked(ctx) : await withPoolLock(session, ctx, "wt pool drain", locked);
  const removed = steps.map((s) => s.title.replace(/^remove pool slot (.*) \([^)]*\)$/, "$1"));
  const result: PoolChange = {
    size: session.config.pool.size,
    slots: await poolSlots(session, null),
    added: [],
    removed,
    warnings,
  };
  return options.dryRun ? { ...result, dryRun: true, plan: planOf(steps) } : result;
}
