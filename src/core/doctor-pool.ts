import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { statusPorcelain } from "../git/status.js";
import { lockOwnWorktree } from "../git/worktree.js";
import { worktreeLinkProblem } from "../git/worktree-link.js";
import { exists, forgetRecord } from "./doctor-repair.js";
import { type DoctorFacts, type Finding, finding } from "./doctor-types.js";
import { shQuote } from "./envfile.js";
import { excludeBlockIds } from "./exclude.js";
import { isInside } from "./fs-safe.js";
import { POOL_LOCK_REASON, readPoolRecords, writePoolRecord } from "./pool/state.js";
import { readRecord, type WorktreeRecord } from "./state.js";

/**
 * `wt doctor` and the pool: what a `wt release` stopped between `git worktree move` and
 * recording the slot leaves (the worktree's record still names its old folder, git lists it in
 * the pool dir, unlocked, detached), and the slots that are not "unmanaged" worktrees.
 */

/** Whether `folder` is one of the pool's recorded slots (`<git-common-dir>/wt/pool/<n>.json`). */
export function isPoolSlot(facts: DoctorFacts, folder: string): boolean {
  const at = path.resolve(folder);
  return readPoolRecords(facts.repo.stateDir).some((r) => r.path === at);
}

/**
 * The finding for a worktree whose record names a folder that is gone while git lists it at
 * `moved`, a folder `<n>` in the pool dir (`facts.poolHolder`) no pool record has, detached
 * and clean: a release stopped after moving it back. The fix finishes the release (the steps
 * before the move had run: copies, env file and databases deleted, HEAD detached at the base,
 * the branch dealt with): locks it as a pool slot, records it idle at its HEAD, and forgets the
 * worktree's record, ports and info/exclude block. null for anything else (dirty, not
 * detached, another folder): the caller's "moved" finding then follows the move instead, so
 * whatever is in it stays a managed worktree.
 */
export async function releaseUnfinished(
  facts: DoctorFacts,
  record: WorktreeRecord,
  moved: WorktreeEntry,
): Promise<Finding | null> {
  const to = path.resolve(moved.path);
  const n = Number(path.basename(to));
  const holder = facts.poolHolder;
  const slotLike = holder !== null && path.dirname(to) === holder && /^\d+$/.test(path.basename(to)) && n > 0;
  if (!slotLike || !moved.detached || moved.head === null || moved.locked !== null) return null;
  if (readPoolRecords(facts.repo.stateDir).some((r) => r.n === n || r.path === to)) return null;
  if (worktreeLinkProblem(facts.repo.commonDir, to) !== null) return null;
  if ((await statusPorcelain({ cwd: to, env: facts.at.env })).length > 0) return null;
  const { stateDir, commonDir } = facts.repo;
  const head = moved.head;
  const hasBlock = (await excludeBlockIds(commonDir)).includes(record.id);
  return finding(
    {
      check: "release-unfinished",
      severity: "error",
      id: record.id,
      path: record.path,
      message: `a wt release stopped after moving this worktree into the pool as ${to} (detached at ${head.slice(0, 8)}, clean), before the slot was recorded`,
    },
    {
      commands: [
        `git -C ${shQuote(facts.repo.mainPath)} worktree lock --reason '${POOL_LOCK_REASON}' ${shQuote(to)}`,
        `record pool slot ${n} (${to}) idle at ${head.slice(0, 8)}`,
        `forget worktree ${record.id}'s record, ports${hasBlock ? " and info/exclude block" : ""}`,
      ],
      run: async () => {
        const now = await readRecord(stateDir, record.id);
        if (!now || now.path !== record.path || exists(record.path) || !exists(to) || isInside(to, record.path))
          throw new Error("the record or the folders changed since the check");
        await lockOwnWorktree(facts.at, commonDir, to, POOL_LOCK_REASON);
        await writePoolRecord(stateDir, {
          version: 1,
          n,
          path: to,
          base: record.base,
          baseCommit: head,
          warmKey: record.pool?.warmKey ?? "",
          state: "idle",
          ...(record.pool?.warmFiles ? { warmFiles: record.pool.warmFiles } : {}),
          pid: process.pid,
          createdAt: new Date().toISOString(),
        });
        await forgetRecord(facts, record, hasBlock);
      },
    },
  );
}
