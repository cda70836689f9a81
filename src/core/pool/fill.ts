import { addDetachedWorktree, switchDetach } from "../../git/pool.js";
import { unreachableCommits, worktreeOwnRefs } from "../../git/refs.js";
import { listWorktrees, resolveCommit } from "../../git/repo.js";
import { statusPorcelain } from "../../git/status.js";
import { removeWorktree } from "../../git/worktree.js";
import { worktreeAdminDir } from "../../git/worktree-link.js";
import { lockTimeoutMs, type WtContext } from "../context.js";
import { BaseNotFoundError } from "../errors.js";
import { lockedSignal, withRepoLock } from "../lock.js";
import { slotHeldFiles } from "../provision/checkout-audit.js";
import { defaultBase, fetchBaseRemote, gitAt, type Session } from "../session.js";
import { readRecords } from "../state.js";
import type { Step } from "../steps/step.js";
import { processProbe } from "./busy.js";
import { entryFor, type PoolBase, type PoolSlotView, slotState } from "./inspect.js";
import {
  deletePoolRecord,
  POOL_LOCK_REASON,
  type PoolRecord,
  readPoolRecords,
  warmKeyOf,
  writePoolRecord,
} from "./state.js";

/** The JSON document of `wt pool status` (docs/contract.md, "Worktree pool"). */
export interface PoolStatus {
  size: number;
  slots: PoolSlotView[];
}

/** The base a fresh slot is made at, and its warm key. @throws BaseNotFoundError (3). */
export async function currentBase(
  session: Session,
  ctx: WtContext,
  fetch: boolean,
): Promise<PoolBase & { base: string }> {
  const { repo, config } = session;
  const base = config.base ?? (await defaultBase(repo, ctx.env));
  if (fetch && config.fetch) {
    const warning = await fetchBaseRemote(repo, base, ctx);
    if (warning) ctx.onWarning?.(warning);
  }
  const commit = await resolveCommit(gitAt(session), base);
  if (commit === null) throw new BaseNotFoundError(base);
  return { base, commit, warmKey: await warmKeyOf(gitAt(session), commit, config.pool.warmKey) };
}

/**
 * Every slot with its state: the pool records' slots (idle, stale, damaged) and the claimed
 * worktrees (records with `pool`). `base` null: HEAD and warm key are not compared.
 */
export async function poolSlots(session: Session, base: PoolBase | null): Promise<PoolSlotView[]> {
  const { repo } = session;
  const entries = await listWorktrees(gitAt(session));
  const views = readPoolRecords(repo.stateDir).map((r) => slotState(repo.commonDir, r, entryFor(entries, r), base));
  for (const r of await readRecords(repo.stateDir)) {
    if (!r.pool) continue;
    const entry = entries.find((e) => e.path === r.path);
    views.push({ path: r.path, state: "claimed", head: entry?.head ?? null, reason: `worktree ${r.id}` });
  }
  return views;
}

/**
 * Why wt may not remove or move the slot of `record`, or null when it may: a process runs in
 * it, `git status` shows a change, its own refs (`refs/worktree/*`) hold commits no branch,
 * tag or remote-tracking ref reaches, or it holds files its warm commands did not make that
 * cleanup protects (`slotHeldFiles` less `record.warmFiles`: `cleanup.protect` matches,
 * repositories inside ignored folders: a previous claimer's, kept by its release).
 */
export async function slotInUse(session: Session, record: PoolRecord): Promise<string | null> {
  const folder = record.path;
  if ((await processProbe(session.repo.mainPath, session.env))(folder).length > 0) return "a process runs in it";
  // A `git worktree add` stopped before it wrote HEAD: nothing was ever checked out there to
  // work on (and `git status` fails on the missing HEAD): what is there is git's half checkout.
  if (record.state === "warming" && (await resolveCommit(gitAt(session, folder), "HEAD")) === null) return null;
  if ((await statusPorcelain(gitAt(session, folder))).length > 0) return "git status shows changes";
  const admin = worktreeAdminDir(session.repo.commonDir, folder);
  const own = admin === null ? [] : await worktreeOwnRefs(gitAt(session), admin);
  const lost = await unreachableCommits(
    gitAt(session),
    own.map((r) => r.commit),
  );
  if (lost.length > 0)
    return `its own refs hold ${lost.length} commit(s) no branch holds (${own.map((r) => r.ref).join(", ")})`;
  // Never claimed (its warm commands failed or never finished): what it holds is theirs.
  if (record.state === "warming") return null;
  const warm = new Set(record.warmFiles ?? []);
  const held = (await slotHeldFiles(session, folder)).filter((f) => !warm.has(f));
  if (held.length === 0) return null;
  const shown = `${held.slice(0, 5).join(", ")}${held.length > 5 ? " …" : ""}`;
  // A slot made before wt recorded what its warm commands made cannot tell theirs from a claimer's.
  const unknown = record.warmFiles === undefined ? " (wt did not record what its warm commands made)" : "";
  return `it holds files its warm commands did not make${unknown}: ${shown}; move away what you keep, or \`git worktree remove --force --force ${folder}\``;
}

/** Removes an idle or stale slot (the folder, its registration and its pool record). */
export function removeSlotStep(session: Session, record: PoolRecord, why: string): Step {
  return {
    kind: "pool-remove",
    title: `remove pool slot ${record.path} (${why})`,
    run: async () => {
      await removeWorktree(gitAt(session), record.path, { locked: true });
      await deletePoolRecord(session.repo.stateDir, record.n);
    },
  };
}

/**
 * Moves an idle slot whose warm key still matches to the base's new commit (`git switch
 * --detach`: only the files that differ change) and records it there.
 */
export function advanceSlotStep(session: Session, record: PoolRecord, base: PoolBase): Step {
  return {
    kind: "reset",
    title: `move pool slot ${record.path} to the base's ${base.commit.slice(0, 8)} (its warm key still matches)`,
    run: async () => {
      await switchDetach(gitAt(session, record.path), base.commit);
      await writePoolRecord(session.repo.stateDir, { ...record, baseCommit: base.commit });
    },
  };
}

/** Adds slot `n` at `base.commit`, detached and git-locked, recorded `warming` by this process. */
export function addSlotStep(
  session: Session,
  ctx: WtContext,
  slot: { n: number; folder: string },
  base: PoolBase & { base: string },
): Step {
  const record: PoolRecord = {
    version: 1,
    n: slot.n,
    path: slot.folder,
    base: base.base,
    baseCommit: base.commit,
    warmKey: base.warmKey,
    state: "warming",
    pid: process.pid,
    createdAt: new Date().toISOString(),
  };
  return {
    kind: "pool-add",
    title: `add pool slot ${slot.folder} at ${base.base} (${base.commit.slice(0, 8)}), detached and locked`,
    run: async () => {
      await writePoolRecord(session.repo.stateDir, record);
      await addDetachedWorktree(
        gitAt(session, session.repo.mainPath, ctx.signal),
        slot.folder,
        base.commit,
        POOL_LOCK_REASON,
      );
    },
    undo: async () => {
      await removeWorktree(gitAt(session), slot.folder, { locked: true, tolerant: true });
      await deletePoolRecord(session.repo.stateDir, slot.n);
    },
  };
}

/** The repository lock for a pool verb. */
export function withPoolLock<T>(session: Session, ctx: WtContext, purpose: string, fn: (c: WtContext) => Promise<T>) {
  const opts = { timeoutMs: lockTimeoutMs(ctx.env), onWarning: ctx.onWarning, onWait: ctx.onNotice, purpose };
  return withRepoLock(session.repo.stateDir, opts, (held) => fn({ ...ctx, signal: lockedSignal(ctx.signal, held) }));
}
