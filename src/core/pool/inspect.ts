import path from "node:path";
import type { WorktreeEntry } from "../../git/parse.js";
import { worktreeLinkProblem } from "../../git/worktree-link.js";
import { processAlive } from "../process.js";
import { POOL_LOCK_REASON, type PoolRecord, readPoolRecords } from "./state.js";

/** A slot's state as `wt pool status` reports it (docs/contract.md, "Worktree pool"). */
export type SlotState = "idle" | "claimed" | "stale" | "damaged";

/** One row of `wt pool status`. */
export interface PoolSlotView {
  path: string;
  state: SlotState;
  /** The commit checked out, or null when git cannot tell. */
  head: string | null;
  /** extra: why a slot is stale or damaged, or which id holds a claimed one. */
  reason: string | null;
}

/** What the current base says a fresh slot is: its commit and warm key. */
export interface PoolBase {
  commit: string;
  warmKey: string;
}

/**
 * The state of an idle slot from its record, git's entry for its folder and the filesystem
 * alone (no git process): `damaged` when git does not list it, its `.git` tie is broken
 * (`worktreeLinkProblem`) or wt's lock is gone; `stale` while warming, or when its HEAD or warm
 * key is not the base's (`base` null: not compared). Dirty and busy are checked at claim.
 */
export function slotState(
  commonDir: string,
  record: PoolRecord,
  entry: WorktreeEntry | undefined,
  base: PoolBase | null,
): PoolSlotView {
  const view = (state: SlotState, reason: string | null): PoolSlotView => ({
    path: record.path,
    state,
    head: entry?.head ?? null,
    reason,
  });
  if (!entry) return view("damaged", "git does not list it as a worktree");
  const link = worktreeLinkProblem(commonDir, record.path);
  if (link) return view("damaged", link);
  if (entry.locked !== POOL_LOCK_REASON) return view("damaged", "it is no longer locked as a pool slot");
  const moved = entry.head !== record.baseCommit || !entry.detached;
  if (record.state === "warming") {
    if (processAlive(record.pid)) return view("stale", "warming");
    // A slot whose warm commands stopped is removed as stale, so its HEAD must still be where
    // `git worktree add` put it: a commit made there since (or a branch) is someone's work.
    // No commit yet and detached (the add was stopped before it wrote HEAD): nothing was made
    // there. No commit on a branch (`git switch --orphan`) is someone's start.
    if (moved && (entry.head !== null || !entry.detached)) {
      return view("damaged", "its HEAD moved off the commit it was made at");
    }
    return view("stale", "its warm commands did not finish");
  }
  if (moved) return view("damaged", "its HEAD moved off the commit it was made at");
  if (base && base.commit !== record.baseCommit) return view("stale", `the base moved to ${base.commit.slice(0, 8)}`);
  if (base && base.warmKey !== record.warmKey) return view("stale", "its warm key no longer matches the base");
  return view("idle", null);
}

/** git's entry for each pool record's folder. */
export function entryFor(entries: readonly WorktreeEntry[], record: PoolRecord): WorktreeEntry | undefined {
  return entries.find((e) => path.resolve(e.path) === record.path);
}

/**
 * `wt status`'s pool section, from the pool records and git's listing alone (no git process,
 * no config): each slot in the pool dir with its state, HEAD and warm key not compared with
 * the base (`wt pool status` does). null when the pool has no slot.
 */
export function poolOf(
  commonDir: string,
  stateDir: string,
  entries: readonly WorktreeEntry[],
): { idle: number; slots: PoolSlotView[] } | null {
  const records = readPoolRecords(stateDir);
  if (records.length === 0) return null;
  const slots = records.map((r) => slotState(commonDir, r, entryFor(entries, r), null));
  return { idle: slots.filter((s) => s.state === "idle").length, slots };
}
