import { existsSync } from "node:fs";
import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { worktreeAdminDir } from "../git/worktree-link.js";
import { isInside } from "./fs-safe.js";
import { POOL_LOCK_REASON } from "./pool/state.js";
import type { WorktreeRecord } from "./state.js";
import { trashDir } from "./trash.js";

/**
 * The entry a record's worktree was moved to by hand (`git worktree move`): the record's folder
 * is gone and git no longer lists it there, and git lists the record's branch, or a detached
 * HEAD (the agent left the branch), at a folder that exists, is not `taken` (another record's
 * folder, a pool slot) nor locked as a pool slot, under the admin dir the record's worktree had
 * (`madeAs`). null when there is none.
 * @param taken whether a folder (absolute, resolved) is someone else's
 */
export function movedEntry(
  commonDir: string,
  record: WorktreeRecord,
  entries: readonly WorktreeEntry[],
  taken: (folder: string) => boolean,
): WorktreeEntry | null {
  if (existsSync(record.path)) return null;
  return (
    entries.find((e) => {
      const at = path.resolve(e.path);
      if (e.bare || at === record.path || e.locked === POOL_LOCK_REASON) return false;
      // Listed in wt's trash (repaired inside it): not a move to follow (`trashLeftovers`).
      if (isInside(trashDir(path.join(commonDir, "wt")), at)) return false;
      // On the record's branch, or detached: the admin dir tells which one.
      if (!(e.branch === record.branch || e.branch === null)) return false;
      return existsSync(at) && !taken(at) && madeAs(commonDir, at, record);
    }) ?? null
  );
}

/**
 * Whether the worktree at `now` is the one made at `record.path`, moved: `git worktree move`
 * keeps its admin dir, which `git worktree add` named after the folder's name (`issue-1`, or
 * `issue-11` and on when that was taken: builtin/worktree.c; a claimed slot, after the slot's
 * folder: `3`). A worktree the user added afresh on the same branch gets an admin dir of its
 * own name, and is not taken over.
 */
function madeAs(commonDir: string, now: string, record: WorktreeRecord): boolean {
  const admin = worktreeAdminDir(commonDir, now);
  if (admin === null) return false;
  const name = path.basename(admin);
  if (record.pool && /^\d+$/.test(name)) return true;
  const base = path.basename(record.path);
  return name === base || (name.startsWith(base) && /^\d+$/.test(name.slice(base.length)));
}
