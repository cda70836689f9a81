import { resolveRepo } from "../git/repo.js";
import type { WtContext } from "./context.js";
import { WorktreeNotFoundError } from "./errors.js";
import { idKey, validateId } from "./names.js";
import { matchProcesses, type ProcessMatch, protectedPids, snapshotProcesses } from "./processes.js";
import { readRecords, type WorktreeRecord } from "./state.js";

/** One worktree of `wt ps`. */
export interface PsWorktree {
  id: string;
  path: string;
  processes: ProcessMatch[];
}

/** `wt ps --json` (docs/contract.md, "Doctor, adopt, processes"). */
export interface PsResult {
  worktrees: PsWorktree[];
}

/**
 * `wt ps [<id>...]`: the processes of each managed worktree (all of them when `ids` is empty):
 * working directory inside its folder, its `WT_MAIN`+`WT_ID` in their environment, or
 * listening on its ports. wt and its ancestors are never listed. Reads only.
 * @throws UsageError (2) for an invalid id or outside a repository; WorktreeNotFoundError (3).
 */
export async function listWorktreeProcesses(ctx: WtContext, ids: readonly string[] = []): Promise<PsResult> {
  for (const id of ids) validateId(id);
  const repo = await resolveRepo(ctx.cwd, ctx.env);
  const records = await readRecords(repo.stateDir);
  const wanted = ids.length > 0 ? ids.map((id) => pick(records, id)) : records;
  const snapshot = await snapshotProcesses(
    ctx.env,
    wanted.some((r) => Object.keys(r.ports).length > 0),
  );
  const skip = protectedPids(snapshot);
  return {
    worktrees: wanted.map((r) => ({
      id: r.id,
      path: r.path,
      processes: matchProcesses(snapshot, { id: r.id, path: r.path, main: repo.mainPath, ports: r.ports }, skip),
    })),
  };
}

function pick(records: readonly WorktreeRecord[], id: string): WorktreeRecord {
  const found = records.find((r) => idKey(r.id) === idKey(id));
  if (!found) throw new WorktreeNotFoundError(id);
  return found;
}
