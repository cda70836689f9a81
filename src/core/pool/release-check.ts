import path from "node:path";
import type { WorktreeEntry } from "../../git/parse.js";
import { unreachableCommits } from "../../git/refs.js";
import { listWorktrees } from "../../git/repo.js";
import { statusPorcelain } from "../../git/status.js";
import { CREATE_LOCK_PREFIX } from "../create-lock.js";
import { BusyError, DirtyWorktreeError, WorktreeLockedError } from "../errors.js";
import { checkWorktreeRoot } from "../fs-safe.js";
import { gitAt, type Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import { processesInside } from "./busy.js";

/**
 * Refuses to release a worktree that holds work or is in use, before anything changes: its
 * folder must still be the worktree git made (`checkWorktreeRoot`), not locked by someone
 * else, with no process inside (exit 4), and nothing `git status` shows and no detached commit
 * no ref holds (exit 5: a release never resets work away).
 * @returns git's worktree list, as read for the checks.
 * @throws BusyError / WorktreeLockedError (4), DirtyWorktreeError (5), SwappedWorktreeError (3).
 */
export async function refuseHeldWork(session: Session, record: WorktreeRecord): Promise<WorktreeEntry[]> {
  await checkWorktreeRoot(record.path, session.repo.commonDir);
  const entries = await listWorktrees(gitAt(session));
  const entry = entries.find((e) => path.resolve(e.path) === record.path);
  if (entry?.locked != null && !entry.locked.startsWith(CREATE_LOCK_PREFIX)) {
    throw new WorktreeLockedError(record.id, record.path, entry.locked);
  }
  const pids = processesInside(record.path);
  if (pids.length > 0) {
    throw new BusyError(
      `worktree ${record.id} has ${pids.length} process(es) running inside it (pid ${pids.slice(0, 10).join(", ")})`,
      `stop them, then run \`wt release ${record.id}\` again`,
      "busy",
    );
  }
  const status = await statusPorcelain(gitAt(session, record.path));
  if (status.length > 0) {
    const files = status.map((e) => e.path);
    throw new DirtyWorktreeError(
      `worktree ${record.id} has uncommitted changes (${files.length}): ${files.slice(0, 10).join(", ")}; nothing was reset`,
      `commit or stash them in ${record.path}, then run \`wt release ${record.id}\` again`,
      { id: record.id, files },
    );
  }
  if (entry?.detached && entry.head) {
    const lost = await unreachableCommits(gitAt(session), entry.head);
    if (lost.length > 0) {
      throw new DirtyWorktreeError(
        `worktree ${record.id} has a detached HEAD with ${lost.length} commit(s) no branch holds`,
        `save them with \`git -C ${record.path} branch <name>\`, then run \`wt release ${record.id}\` again`,
        { id: record.id, commits: lost },
        "unreachable-commits",
      );
    }
  }
  return entries;
}
