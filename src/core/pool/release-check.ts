import path from "node:path";
import { operationInProgress } from "../../git/merge.js";
import type { WorktreeEntry } from "../../git/parse.js";
import { listWorktrees } from "../../git/repo.js";
import { type GitAt, git } from "../../git/run.js";
import { shortStatusLine, statusPorcelain } from "../../git/status.js";
import { refuseOwnCommits, unmarkHint } from "../cleanup-check.js";
import { checkSubmodules } from "../cleanup-guards.js";
import { CREATE_LOCK_PREFIX } from "../create-lock.js";
import { DirtyWorktreeError, WorktreeLockedError } from "../errors.js";
import { checkWorktreeRoot, filesInTheWay } from "../fs-safe.js";
import { findLiveProcesses, type LiveProcessPolicy, settleLiveProcesses } from "../live-processes.js";
import { editedCopiesOf } from "../provision/index.js";
import { gitAt, type Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";

/** What `refuseHeldWork` read: git's worktree list, and the worktree's initialised submodules. */
export interface HeldWorkChecked {
  entries: WorktreeEntry[];
  /** Initialised submodules (`populatedSubmodules`): git cannot move such a tree back into the pool. */
  submodules: string[];
  /**
   * Judges the live processes found (`settleLiveProcesses`: exit 4, or `--reap` stops them):
   * the caller's last check, after its own refusals, so that none ever follows a reap.
   */
  settle: () => Promise<unknown>;
}

/**
 * Refuses to release a worktree that holds work or is in use, before anything changes: its
 * folder must still be the worktree git made (`checkWorktreeRoot`), not locked by someone
 * else (exit 4); no merge, rebase, cherry-pick, revert or bisect in progress, nothing `git
 * status` shows, no submodule work (`checkSubmodules`), no copy wt brought that was edited or
 * added to since (`editedCopiesOf`: a release deletes the copies) and no commit only its
 * detached HEAD or its own refs hold (`refuseOwnCommits`; exit 5: a release never resets work away); and, through the `settle` it returns for the caller to run last, no live process of it (cwd
 * inside, its `WT_MAIN`+`WT_ID`, a listener on its ports: exit 4 unless `policy` reaps or forces).
 * @throws WorktreeLockedError / LiveProcessesError (4), DirtyWorktreeError (5), SwappedWorktreeError (3).
 */
export async function refuseHeldWork(
  session: Session,
  record: WorktreeRecord,
  policy: LiveProcessPolicy,
): Promise<HeldWorkChecked> {
  await checkWorktreeRoot(record.path, session.repo.commonDir);
  const { id, path: folder, ports } = record;
  const target = { id, path: folder, ports, main: session.repo.mainPath };
  refuseOperation(record);
  // All only read: side by side (the status is what grows with the repository), and the
  // process table is read while they run; what it found is judged last, below.
  const reads = Promise.all([
    listWorktrees(gitAt(session)),
    statusPorcelain(gitAt(session, record.path)),
    editedCopiesOf(record, session),
    sparseCheckout(gitAt(session, record.path)),
  ]);
  const live = findLiveProcesses(target, policy.env);
  live.catch(() => {}); // awaited by settleLiveProcesses, unless a refusal comes first
  const [entries, status, edited, sparse] = await reads;
  const entry = entries.find((e) => path.resolve(e.path) === record.path);
  // A stopped cleanup's lock (`isTrashLock`) refuses too: git cannot move a locked worktree.
  if (entry?.locked != null && !entry.locked.startsWith(CREATE_LOCK_PREFIX)) {
    throw new WorktreeLockedError(record.id, record.path, entry.locked, false);
  }
  if (status.length > 0) {
    const files = status.map((e) => e.path);
    const shown = status.slice(0, 10).map(shortStatusLine);
    throw new DirtyWorktreeError(
      `worktree ${record.id} has uncommitted changes (${files.length}): ${shown.join(", ")}; nothing was reset`,
      `commit or stash them in ${record.path}${unmarkHint(status)}, then run \`wt release ${record.id}\` again`,
      { id: record.id, files },
    );
  }
  if (edited.length > 0) {
    throw new DirtyWorktreeError(
      `worktree ${record.id} has copies wt brought that were changed since (${edited.length}): ${edited.slice(0, 10).join(", ")}; a release deletes the copies, so nothing was reset`,
      `move what you want to keep out of ${record.path} (or put the copies back as they were), then run \`wt release ${record.id}\` again; \`wt cleanup ${record.id}\` removes the worktree and lists them`,
      { id: record.id, files: edited },
    );
  }
  if (sparse) {
    throw new DirtyWorktreeError(
      `worktree ${record.id} is a sparse checkout; the next claimer would get it sparse, so nothing was reset`,
      `run \`git -C ${record.path} sparse-checkout disable\`, then \`wt release ${record.id}\` again (or \`wt cleanup ${record.id}\`)`,
      { id: record.id },
    );
  }
  const submodules = await checkSubmodules(record, session.env, "");
  if (entry) await refuseOwnCommits(session, record, entry, `then run \`wt release ${record.id}\` again`);
  // Last, by the caller, so that no refusal ever follows a reap (`settleLiveProcesses`).
  return { entries, submodules, settle: () => settleLiveProcesses(target, policy, live) };
}

/** `core.sparseCheckout` in the worktree (git-sparse-checkout(1): `set` turns it on for that worktree alone). */
async function sparseCheckout(at: GitAt): Promise<boolean> {
  const r = await git(["config", "--type=bool", "--get", "core.sparseCheckout"], { ...at, okCodes: [1] });
  return r.stdout.trim() === "true";
}

/**
 * A merge, rebase, cherry-pick, revert or bisect left in progress (`operationInProgress`): its
 * state would go back into the pool with the tree, and git status may show nothing.
 * @throws DirtyWorktreeError (exit 5)
 */
function refuseOperation(record: WorktreeRecord): void {
  const op = operationInProgress(record.path);
  if (op === null) return;
  const finish = op === "bisect" ? "`git bisect reset`" : `\`git ${op} --continue\` or \`git ${op} --abort\``;
  throw new DirtyWorktreeError(
    `worktree ${record.id} has a ${op} in progress; nothing was reset`,
    `finish it in ${record.path} (${finish}), then run \`wt release ${record.id}\` again`,
    { id: record.id, operation: op },
    "in-progress",
  );
}

/**
 * Refuses a release whose switch back to the base would overwrite a file on disk that the base
 * tracks and HEAD (`head`, 40 hex) does not: an ignored `config.local` the branch stopped
 * tracking is overwritten by `git switch` without a word (git-checkout(1), "--overwrite-ignore":
 * the default). The files wt brought (copies, links, the env file) are left out: the release
 * deletes them before it switches.
 * @throws DirtyWorktreeError (exit 5, `details.files`)
 */
export async function refuseOverwrite(
  session: Session,
  record: WorktreeRecord,
  head: string,
  base: string,
): Promise<void> {
  const own = [record.envFile, ...record.included.map((e) => e.path)];
  const mine = (p: string) => own.some((o) => p === o || p.startsWith(`${o}/`));
  const files = (await filesInTheWay(gitAt(session), record.path, head, base)).filter((p) => !mine(p));
  if (files.length === 0) return;
  throw new DirtyWorktreeError(
    `worktree ${record.id} has files the base ${record.base} tracks and its HEAD does not (${files.length}): ${files.slice(0, 10).join(", ")}; switching back to the base would overwrite them, so nothing was reset`,
    `move them out of ${record.path}, then run \`wt release ${record.id}\` again (or \`wt cleanup ${record.id}\`)`,
    { id: record.id, files },
  );
}
