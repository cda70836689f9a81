import path from "node:path";
import type { StatusEntry, WorktreeEntry } from "../git/parse.js";
import { aheadCount, commitsOnlyOn, unreachableCommits, worktreeOwnRefs } from "../git/refs.js";
import { resolveCommit } from "../git/repo.js";
import type { GitAt } from "../git/run.js";
import { shortStatusLine, stagedInAdminDir, statusPorcelain } from "../git/status.js";
import { adminDirNaming, worktreeAdminDir } from "../git/worktree-link.js";
import { auditWorktreeFiles } from "./cleanup-files.js";
import { checkSubmodules } from "./cleanup-guards.js";
import { CREATE_LOCK_PREFIX } from "./create-lock.js";
import { DirtyWorktreeError, UsageError, WorktreeLockedError, WorktreeMovedError } from "./errors.js";
import { checkWorktreeRoot, isInside, lstatOrNull } from "./fs-safe.js";
import { branchIntegration } from "./integration.js";
import { movedEntry } from "./moved.js";
import { validateId } from "./names.js";
import { readPoolRecords } from "./pool/state.js";
import type { BranchFate, CheckedWorktree, WorktreeFiles } from "./provision/types.js";
import { gitAt, type Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";
import { isTrashLock } from "./trash.js";

/**
 * Checks one worktree before anything of it is removed: `checkSafe`, then what it holds beyond
 * `git status` (`auditBeyondStatus`).
 * @throws as those two do.
 */
export async function checkWorktree(
  session: Session,
  record: WorktreeRecord,
  entries: readonly WorktreeEntry[],
  force: boolean,
): Promise<CheckedWorktree> {
  const entry = entries.find((e) => path.resolve(e.path) === record.path) ?? null;
  await checkSafe(session, record, entry, entries, force);
  const files = await auditBeyondStatus(session, record, entry, force);
  return { record, entry, files };
}

/**
 * Refuses to remove a worktree that holds work: uncommitted changes (what `git status` shows,
 * which leaves out wt's own files through info/exclude), a lock someone else set, or commits
 * only its detached HEAD or its own refs hold (`refuseOwnCommits`).
 * @throws UsageError (2) for the main worktree; WorktreeLockedError (4); WorktreeMovedError (3);
 *   DirtyWorktreeError (5, code `dirty` or `unreachable-commits`).
 */
async function checkSafe(
  session: Session,
  record: WorktreeRecord,
  entry: WorktreeEntry | null,
  entries: readonly WorktreeEntry[],
  force: boolean,
): Promise<void> {
  const { repo } = session;
  if (isInside(record.path, repo.mainPath)) {
    throw new UsageError(`refusing to remove ${record.path}: it holds the main worktree`);
  }
  // Even with --force: a folder swapped for a link (to the main worktree) would have git status,
  // the hooks and every deletion act on the link's target (issue 9, item 8).
  await checkWorktreeRoot(record.path, repo.commonDir, { registered: entry !== null });
  if (force) return;
  if (entry?.locked != null && !entry.locked.startsWith(CREATE_LOCK_PREFIX) && !isTrashLock(entry.locked)) {
    throw new WorktreeLockedError(record.id, record.path, entry.locked);
  }
  if (entry === null) {
    // On its branch, or detached under its admin dir: its databases outside the folder are in use there.
    const onBranch = entries.find((e) => e.branch === record.branch && path.resolve(e.path) !== record.path);
    const slots = onBranch ? [] : readPoolRecords(repo.stateDir).map((r) => r.path);
    const moved = onBranch ?? movedEntry(repo.commonDir, record, entries, (f) => slots.includes(f));
    if (moved) throw new WorktreeMovedError(record.id, record.path, moved.branch ?? null, moved.path);
  }
  if (entry === null) return;
  if ((await lstatOrNull(record.path)) === null) return refuseGoneFolderWork(session, record, entry);
  await refuseUncommitted(session, record);
  await refuseOwnCommits(session, record, entry, "or pass --force to lose them");
}

/** What a worktree whose folder is gone still holds in its admin dir (`goneFolderWork`). */
export interface GoneFolderWork {
  admin: string;
  /** Commits of its detached HEAD and per-worktree refs that no branch, tag or remote-tracking ref reaches. */
  lost: string[];
  /** Its index holds staged changes. */
  staged: boolean;
  /** One sentence: what it holds. */
  what: string;
}

/**
 * A folder gone (moved with `mv`, deleted) that git still lists keeps its HEAD, index and
 * per-worktree refs in its admin dir, which `git worktree remove` deletes: the commits of its
 * detached HEAD and of those refs no branch, tag or remote-tracking ref reaches, and whether
 * its index holds staged changes. null when it holds neither (or git has no admin dir for it).
 * @param at the main worktree; `folder` absolute, as git lists it
 * @throws GitError (exit 6)
 */
export async function goneFolderWork(
  at: GitAt,
  commonDir: string,
  folder: string,
  entry: WorktreeEntry,
): Promise<GoneFolderWork | null> {
  const admin = adminDirNaming(commonDir, folder);
  if (admin === null) return null;
  const own = await worktreeOwnRefs(at, admin);
  const head = entry.detached && entry.head ? [entry.head] : [];
  const [lost, staged] = await Promise.all([
    unreachableCommits(at, [...head, ...own.map((r) => r.commit)]),
    stagedInAdminDir(at, admin),
  ]);
  if (lost.length === 0 && staged !== true) return null;
  const what =
    lost.length > 0
      ? `${lost.length} commit(s) no branch holds (${lost.slice(0, 10).join(" ")})`
      : "staged changes in its index";
  return { admin, lost, staged: staged === true, what };
}

/**
 * Refuses to remove a worktree whose folder is gone while its admin dir holds work
 * (`goneFolderWork`): a moved folder can still be tied back with `git worktree repair`.
 * @throws DirtyWorktreeError (exit 5, code `unreachable-commits` or `dirty`)
 */
async function refuseGoneFolderWork(session: Session, record: WorktreeRecord, entry: WorktreeEntry): Promise<void> {
  const work = await goneFolderWork(gitAt(session), session.repo.commonDir, record.path, entry);
  if (work === null) return;
  throw new DirtyWorktreeError(
    `the folder of worktree ${record.id} (${record.path}) is gone, but git still holds ${work.what} for it in ${work.admin}, which removing it deletes`,
    `if you moved the folder: \`git worktree repair <its new folder>\` (then \`wt doctor --fix\` records the move); else ${work.lost.length > 0 ? "save them with `git branch <name> <commit>`" : "they are lost"} or pass --force`,
    { id: record.id, commits: work.lost, staged: work.staged },
    work.lost.length > 0 ? "unreachable-commits" : "dirty",
  );
}

/** The commits only the worktree holds: its detached HEAD's and its per-worktree refs' tips. */
interface WorktreeTips {
  /** 40 hex each. */
  commits: string[];
  /** `its detached HEAD`, `refs/worktree/keep`...: what holds them, for a message. */
  holders: string[];
}

/** The tips `refuseOwnCommits` and `heldByBranchOnly` ask about (reads `<admin>/refs` first, git only for a ref there). */
async function worktreeTips(session: Session, record: WorktreeRecord, entry: WorktreeEntry): Promise<WorktreeTips> {
  const admin = worktreeAdminDir(session.repo.commonDir, record.path);
  const own = admin === null ? [] : await worktreeOwnRefs(gitAt(session), admin);
  const head = entry.detached && entry.head ? [entry.head] : [];
  return {
    commits: [...head, ...own.map((r) => r.commit)],
    holders: [...(head.length > 0 ? ["its detached HEAD"] : []), ...own.map((r) => r.ref)],
  };
}

/**
 * Refuses to remove or reset a worktree whose detached HEAD, or whose per-worktree refs
 * (`refs/worktree/*`, `refs/bisect/*`: `git worktree remove` deletes them, gitglossary(7)),
 * hold commits no branch, tag or remote-tracking ref reaches.
 * @param then the hint's end: how to go on once they are saved
 * @throws DirtyWorktreeError (exit 5, code `unreachable-commits`, `details.commits`)
 */
export async function refuseOwnCommits(
  session: Session,
  record: WorktreeRecord,
  entry: WorktreeEntry,
  then: string,
): Promise<void> {
  const tips = await worktreeTips(session, record, entry);
  const lost = await unreachableCommits(gitAt(session), tips.commits);
  if (lost.length === 0) return;
  throw new DirtyWorktreeError(
    `worktree ${record.id} has ${lost.length} commit(s) no branch holds (on ${tips.holders.join(", ")}): ${lost.slice(0, 10).join(" ")}`,
    `save them with \`git -C ${record.path} branch <name> <commit>\`, ${then}`,
    { id: record.id, commits: lost },
    "unreachable-commits",
  );
}

/** @throws DirtyWorktreeError (exit 5, code `dirty`, `details.files`) when `git status` shows changes. */
async function refuseUncommitted(session: Session, record: WorktreeRecord): Promise<void> {
  const status = await statusPorcelain(gitAt(session, record.path));
  if (status.length === 0) return;
  const files = status.map(shortStatusLine);
  const shown = files.slice(0, 20).join("\n  ");
  throw new DirtyWorktreeError(
    `worktree ${record.id} has uncommitted changes:\n  ${shown}${files.length > 20 ? `\n  … and ${files.length - 20} more` : ""}`,
    `commit or stash them in ${record.path}${unmarkHint(status)}, or pass --force to discard them`,
    { id: record.id, files: status.map((e) => e.path) },
  );
}

/**
 * What a refusal's hint adds when some of `status` are edits `git status` cannot show: git
 * commits or stashes them only once the bit is cleared (git-update-index(1)). Empty otherwise.
 */
export function unmarkHint(status: readonly StatusEntry[]): string {
  const marked = status.filter((e) => e.hidden !== undefined).map((e) => e.path);
  if (marked.length === 0) return "";
  return ` (first \`git update-index --no-skip-worktree --no-assume-unchanged -- ${marked.slice(0, 3).join(" ")}${marked.length > 3 ? " …" : ""}\`: git status does not show the marked files)`;
}

/**
 * What a worktree holds beyond what `git status` shows, checked before anything is removed:
 * submodule work (refused unless `force`), copies edited since, and ignored files wt did not
 * make (those matching `cleanup.protect` refused unless `force`).
 * @throws DirtyWorktreeError (exit 5).
 */
async function auditBeyondStatus(
  session: Session,
  record: WorktreeRecord,
  entry: WorktreeEntry | null,
  force: boolean,
): Promise<WorktreeFiles> {
  if (entry === null || (await lstatOrNull(record.path)) === null) return { edited: [], ignored: [] };
  if (!force) await checkSubmodules(record, session.env);
  return auditWorktreeFiles(session, record, force);
}

/**
 * Whether cleanup deletes the worktree's branch: never when it is gone, checked out elsewhere,
 * `--keep-branch`, or adopted (wt did not create it); with `--delete-branch` always otherwise;
 * never when it existed before `wt create`; else when
 * it is integrated into the base or the base's local branch (`branchIntegration`: squash,
 * cherry-pick and rebase merges count). A deleted branch's fate carries the commit judged
 * (`tip`), which the deletion expects.
 */
export async function branchFate(
  session: Session,
  record: WorktreeRecord,
  entries: readonly WorktreeEntry[],
  flags: { keepBranch?: boolean; deleteBranch?: boolean },
): Promise<BranchFate> {
  const at = gitAt(session);
  const elsewhere = entries.find((e) => e.branch === record.branch && path.resolve(e.path) !== record.path);
  if (record.branch === "") return { delete: false, kept: "adopted with a detached HEAD: no branch" };
  // The commit judged below is the one the deletion expects: a commit made after this read
  // keeps the branch (`branchFateStep`).
  const tip = await resolveCommit(at, `refs/heads/${record.branch}`);
  if (tip === null) return { delete: false, kept: "the branch no longer exists" };
  if (elsewhere) return { delete: false, kept: `checked out in ${elsewhere.path}` };
  if (flags.keepBranch) return { delete: false, kept: "--keep-branch" };
  // An adopted worktree's branch is never wt's to delete, --delete-branch or not (CONTRACT.md,
  // "Doctor, adopt, processes"): `git branch -D` is the user's own call.
  if (record.adopted && !record.createdBranch) return { delete: false, kept: "adopted: wt did not create it" };
  if (flags.deleteBranch) return { delete: true, tip };
  if (!record.createdBranch) return { delete: false, kept: "the branch existed before wt create" };
  if ((await branchIntegration(at, tip, record.base)).integrated) {
    return (await heldByBranchOnly(session, record, entries)) ?? { delete: true, tip };
  }
  return { delete: false, kept: await notIntegratedReason(session, record) };
}

/**
 * An integrated branch is still kept when the worktree's detached HEAD or its per-worktree refs
 * have commits only that branch holds (a commit and its revert are "integrated": they add nothing), since deleting it
 * would lose them; null when deleting it loses nothing.
 */
export async function heldByBranchOnly(
  session: Session,
  record: WorktreeRecord,
  entries: readonly WorktreeEntry[],
): Promise<BranchFate | null> {
  const entry = entries.find((e) => path.resolve(e.path) === record.path);
  if (!entry) return null;
  const tips = await worktreeTips(session, record, entry);
  const only = await commitsOnlyOn(gitAt(session), tips.commits, record.branch);
  if (only.length === 0) return null;
  return {
    delete: false,
    kept: `the ${only.length} commit(s) of ${tips.holders.join(", ")} are on no other branch, tag or remote`,
  };
}

/** `not merged into <base> (<n> commit(s) only on <branch>)`: why a branch is not integrated. */
export async function notIntegratedReason(session: Session, record: WorktreeRecord): Promise<string> {
  const ahead = await aheadCount(gitAt(session), `refs/heads/${record.branch}`, record.base);
  return `not merged into ${record.base} (${ahead ?? "?"} commit(s) only on ${record.branch})`;
}

/** @returns the named ids. @throws UsageError (exit 2) unless exactly one of ids, --merged, --all. */
export function checkOptions(options: {
  ids?: string[];
  merged?: boolean;
  all?: boolean;
  keepBranch?: boolean;
  deleteBranch?: boolean;
}): string[] {
  const ids = options.ids ?? [];
  const modes = [ids.length > 0, options.merged === true, options.all === true].filter(Boolean).length;
  if (modes !== 1) {
    throw new UsageError(
      "name the worktrees to clean up: <id>..., --merged or --all (exactly one of them)",
      "for example: wt cleanup 101",
    );
  }
  if (options.keepBranch && options.deleteBranch) {
    throw new UsageError("--keep-branch and --delete-branch contradict each other");
  }
  for (const id of ids) validateId(id);
  return ids;
}
