import { rename, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { parseStatusV2, type WorktreeEntry } from "../git/parse.js";
import { isAncestor, listWorktrees, refExists, resolveCommit } from "../git/repo.js";
import { git, gitOut } from "../git/run.js";
import { auditWorktreeFiles, type IgnoredRemoved, type WorktreeFiles } from "./cleanup-files.js";
import { checkNotInProgress, checkSubmodules } from "./cleanup-guards.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import { CREATE_LOCK_PREFIX, releaseStaleCreateLocks } from "./create-lock.js";
import { removeDatabaseFiles } from "./databases.js";
import { worktreeVariables } from "./envfile.js";
import { BusyError, ConflictError, DirtyWorktreeError, UsageError, WorktreeNotFoundError, WtError } from "./errors.js";
import { removeExcludes } from "./exclude.js";
import { checkWorktreeRoot, isInside, lstatOrNull, refusalInside } from "./fs-safe.js";
import { runHooks } from "./hooks.js";
import { type HeldLock, lockedSignal, throwIfLockLost, withRepoLock } from "./lock.js";
import { idKey, validateId } from "./names.js";
import { openSession, type Session } from "./session.js";
import { deleteRecord, readRecords, type WorktreeRecord, writeRecord } from "./state.js";
import { deleteInBackground, moveToTrash, trashLeftovers } from "./trash.js";

export interface CleanupOptions {
  ids?: string[];
  /** Every managed worktree whose branch is merged into its base. */
  merged?: boolean;
  /** Every managed worktree. */
  all?: boolean;
  /**
   * Remove despite uncommitted changes, a lock, unreachable commits, submodule work, files
   * `cleanup.protect` names or a failing preCleanup hook. Never a worktree whose create is running.
   */
  force?: boolean;
  /** Never delete the branch. */
  keepBranch?: boolean;
  /** Delete the branch even when it is not merged. */
  deleteBranch?: boolean;
  dryRun?: boolean;
  /** false: skip preCleanup and postCleanup hooks. */
  hooks?: boolean;
}

export interface RemovedWorktree {
  id: string;
  path: string;
  branch: string;
  branchDeleted: boolean;
  /** Why the branch was kept, or null when it was deleted. */
  branchKept: string | null;
  /** With --dry-run: the steps that would run. */
  plan?: string[];
  /** Files wt copied in that were edited since (listed, not kept: git ignores them). */
  editedCopies?: string[];
  /** Ignored paths deleted with the worktree that wt did not make (a folder ends with `/`). */
  ignoredRemoved: IgnoredRemoved[];
}

/** A worktree cleanup left in place, and why (`code`: the refusal's error code, e.g. `dirty`, `in-progress`). */
export interface SkippedWorktree {
  id: string;
  reason: string;
  code: string;
}

/** The JSON document of `wt cleanup` (docs/contract.md). */
export interface CleanupResult {
  removed: RemovedWorktree[];
  skipped: SkippedWorktree[];
  warnings: string[];
  dryRun?: boolean;
}

/**
 * `wt cleanup <id>... | --merged | --all`: removes the worktree, the links and files wt made,
 * its databases, env file, slot and record, and the branch when it is merged into the base.
 * Named ids are checked first and nothing is removed when one of them is refused.
 * @throws UsageError (2) for bad flags or ids; WorktreeNotFoundError (3); BusyError (4) for a
 *   locked worktree, one whose create is still running (code `in-progress`) or the repository
 *   lock; DirtyWorktreeError (5) for uncommitted changes, commits no branch holds, submodule
 *   work that exists nowhere else, or files `cleanup.protect` protects (`details.files` /
 *   `details.commits` / `details.submodules`); CommandFailedError (6).
 */
export async function cleanupWorktrees(ctx: WtContext, options: CleanupOptions): Promise<CleanupResult> {
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
  const session = await openSession(ctx);
  const result: CleanupResult = { removed: [], skipped: [], warnings: [] };
  const warn = (m: string) => {
    result.warnings.push(m);
    ctx.onWarning?.(m);
  };
  // Under the lock, `held` says when it was lost: no further worktree is touched then.
  const work = async (held?: HeldLock) => {
    const records = await readRecords(session.repo.stateDir);
    const entries = await listWorktrees(session.repo.mainPath);
    if (!options.dryRun) await releaseStaleCreateLocks(session.repo.mainPath, entries, records);
    let targets: WorktreeRecord[];
    if (ids.length > 0) {
      targets = ids.map((id) => {
        const r = records.find((x) => idKey(x.id) === idKey(id));
        if (!r) throw new WorktreeNotFoundError(id);
        return r;
      });
      targets = targets.filter((r, i) => targets.indexOf(r) === i);
    } else {
      targets = records;
    }
    const checked: { record: WorktreeRecord; entry: WorktreeEntry | null; files: WorktreeFiles }[] = [];
    // Named ids: the first refusal fails the whole run; --merged/--all: skipped, with its code.
    const skip = (record: WorktreeRecord, e: unknown) => {
      if (ids.length > 0 || !(e instanceof WtError)) throw e;
      result.skipped.push({ id: record.id, reason: e.message, code: e.code });
    };
    for (const record of targets) {
      const entry = entries.find((e) => path.resolve(e.path) === record.path) ?? null;
      try {
        checkNotInProgress(session.repo.stateDir, record);
      } catch (e) {
        skip(record, e);
        continue;
      }
      if (options.merged && !(await branchMerged(session, record))) continue;
      try {
        await checkSafe(session, record, entry, entries, options.force === true);
        const files = await auditBeyondStatus(session, record, entry, options.force === true);
        checked.push({ record, entry, files });
      } catch (e) {
        skip(record, e);
      }
    }
    const trash = options.dryRun ? [] : await trashLeftovers(session.repo.stateDir);
    try {
      const lockCtx = held ? { ...ctx, signal: lockedSignal(ctx.signal, held) } : ctx;
      for (const { record, entry, files } of checked) {
        held?.throwIfLost();
        const removed = await removeOne(session, record, entry, files, options, lockCtx, warn, trash, entries);
        if (removed) result.removed.push(removed);
      }
    } finally {
      deleteInBackground(trash);
    }
  };
  if (options.dryRun) {
    result.dryRun = true;
    await work();
    return result;
  }
  await withRepoLock(
    session.repo.stateDir,
    {
      timeoutMs: lockTimeoutMs(ctx.env),
      onWarning: warn,
      onWait: ctx.onNotice,
      purpose: `wt cleanup ${ids.join(" ") || (options.all ? "--all" : "--merged")}`,
    },
    work,
  );
  return result;
}

/**
 * Refuses to remove a worktree that holds work: uncommitted changes (what `git status` shows,
 * which leaves out wt's own files through info/exclude), a lock someone else set, or a
 * detached HEAD whose commits no branch, tag or remote-tracking ref reaches.
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
  if (entry?.locked != null && !entry.locked.startsWith(CREATE_LOCK_PREFIX)) {
    throw new BusyError(
      `worktree ${record.id} is locked${entry.locked ? `: ${entry.locked}` : ""}`,
      `unlock it (\`git worktree unlock ${record.path}\`) or pass --force`,
      "locked",
    );
  }
  if (entry === null) {
    const moved = entries.find((e) => e.branch === record.branch && path.resolve(e.path) !== record.path);
    if (moved) {
      throw new ConflictError(
        `worktree ${record.id} is recorded at ${record.path}, but its branch ${record.branch} is checked out in ${moved.path} (moved with \`git worktree move\`?)`,
        `move it back (\`git worktree move ${moved.path} ${record.path}\`) and run \`wt cleanup ${record.id}\` again`,
      );
    }
  }
  if ((await lstatOrNull(record.path)) === null || entry === null) return;
  const status = parseStatusV2(
    (await git(["status", "--porcelain=v2", "-z", "--untracked-files=all"], { cwd: record.path })).stdout,
  ).filter((e) => e.kind !== "ignored");
  if (status.length > 0) {
    // `git status --short` letters (porcelain v2 writes an unchanged side as `.`).
    const files = status.map((e) => `${e.xy.replace(/\./g, " ")} ${e.path}`);
    const shown = files.slice(0, 20).join("\n  ");
    throw new DirtyWorktreeError(
      `worktree ${record.id} has uncommitted changes:\n  ${shown}${files.length > 20 ? `\n  … and ${files.length - 20} more` : ""}`,
      `commit or stash them in ${record.path}, or pass --force to discard them`,
      { id: record.id, files: status.map((e) => e.path) },
    );
  }
  if (entry.detached && entry.head) {
    const lost = (
      await gitOut(["rev-list", entry.head, "--not", "--branches", "--tags", "--remotes"], { cwd: repo.mainPath })
    )
      .split("\n")
      .filter(Boolean);
    if (lost.length > 0) {
      throw new DirtyWorktreeError(
        `worktree ${record.id} has a detached HEAD with ${lost.length} commit(s) no branch holds: ${lost.slice(0, 10).join(" ")}`,
        `save them with \`git -C ${record.path} branch <name>\`, or pass --force to lose them`,
        { id: record.id, commits: lost },
        "unreachable-commits",
      );
    }
  }
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
  if (!force) await checkSubmodules(record);
  return auditWorktreeFiles(session.repo.stateDir, record, session.config.cleanup.protect, force);
}

/** True when the branch tip is reachable from the worktree's base (`git branch -d` semantics). */
async function branchMerged(session: Session, record: WorktreeRecord): Promise<boolean> {
  const cwd = session.repo.mainPath;
  if (!(await refExists(cwd, `refs/heads/${record.branch}`))) return true;
  const base = await resolveCommit(cwd, record.base);
  if (base === null) return false;
  return isAncestor(cwd, `refs/heads/${record.branch}`, base);
}

async function removeOne(
  session: Session,
  record: WorktreeRecord,
  entry: WorktreeEntry | null,
  files: WorktreeFiles,
  options: CleanupOptions,
  ctx: WtContext,
  warn: (m: string) => void,
  trash: string[],
  entries: readonly WorktreeEntry[],
): Promise<RemovedWorktree | null> {
  const { repo, config } = session;
  const cwd = repo.mainPath;
  const rootCheck = { registered: entry !== null };
  const folderExists = await checkWorktreeRoot(record.path, repo.commonDir, rootCheck);
  const vars = worktreeVariables(record, repo.mainPath);
  const hooks = options.hooks !== false;
  const plan: string[] = [];
  const out: RemovedWorktree = {
    id: record.id,
    path: record.path,
    branch: record.branch,
    branchDeleted: false,
    branchKept: null,
    ignoredRemoved: files.ignored,
  };

  const branchExists = await refExists(cwd, `refs/heads/${record.branch}`);
  const elsewhere = entries.find((e) => e.branch === record.branch && path.resolve(e.path) !== record.path);
  let deleteBranch = false;
  if (!branchExists) out.branchKept = "the branch no longer exists";
  else if (elsewhere) out.branchKept = `checked out in ${elsewhere.path}`;
  else if (options.keepBranch) out.branchKept = "--keep-branch";
  else if (options.deleteBranch) deleteBranch = true;
  else if (!record.createdBranch) out.branchKept = "the branch existed before wt create";
  else if (await branchMerged(session, record)) deleteBranch = true;
  else {
    const ahead = (
      await gitOut(["rev-list", "--count", `refs/heads/${record.branch}`, "--not", "--end-of-options", record.base], {
        cwd,
      }).catch(() => "?")
    ).trim();
    out.branchKept = `not merged into ${record.base} (${ahead} commit(s) only on ${record.branch})`;
  }

  const edited = files.edited;
  if (edited.length > 0) out.editedCopies = edited;
  if (hooks && folderExists) plan.push(...config.hooks.preCleanup.map((c) => `run preCleanup hook: ${c}`));
  plan.push(
    ...edited.map((p) => `delete ${p}: copied by wt and EDITED since (ignored by git, so not an uncommitted change)`),
    ...files.ignored.map((i) => `delete ${describeIgnored(i)}: ignored by git, not made by wt`),
  );
  const links = record.included.filter((i) => i.mode === "symlink");
  plan.push(...links.map((l) => `unlink ${l.path} (never followed)`));
  plan.push(...record.databases.map((d) => `delete database ${d.path} and its sidecars`));
  plan.push(folderExists ? `remove worktree ${record.path}` : `forget worktree ${record.path} (folder already gone)`);
  if (deleteBranch) plan.push(`delete branch ${record.branch}`);
  else plan.push(`keep branch ${record.branch} (${out.branchKept})`);
  plan.push("release its port slot, info/exclude entries and record");
  if (hooks) plan.push(...config.hooks.postCleanup.map((c) => `run postCleanup hook: ${c}`));
  if (options.dryRun) {
    out.plan = plan;
    return out;
  }

  for (const p of edited) warn(`${record.id}: ${p} was copied by wt and edited since; it goes with the worktree`);
  if (hooks && folderExists && config.hooks.preCleanup.length > 0) {
    try {
      await runHooks(config.hooks.preCleanup, {
        cwd: record.path,
        vars,
        output: ctx.output ?? null,
        signal: ctx.signal,
        label: "preCleanup hook",
      });
    } catch (e) {
      if (!options.force) throw e;
      warn(`preCleanup hook failed, going on because of --force: ${(e as Error).message}`);
    }
  }
  throwIfLockLost(ctx.signal);
  // Again after the hooks, right before the first deletion.
  if (folderExists) await checkWorktreeRoot(record.path, repo.commonDir, rootCheck);
  // Links first, each checked to still be a link, and never followed.
  for (const link of links) {
    const at = path.join(record.path, link.path);
    const st = await lstatOrNull(at);
    if (st?.isSymbolicLink()) await unlink(at);
  }
  for (const db of record.databases) {
    // Inside the worktree, never through a symlinked folder the branch has put on the way
    // since (the folder itself goes with the worktree, links unfollowed).
    if (isInside(record.path, db.path)) {
      const through = await refusalInside(record.path, db.path);
      if (through !== null) {
        warn(`${record.id}: not deleting ${db.path} separately: ${through}`);
        continue;
      }
    }
    await removeDatabaseFiles(db.path);
  }
  throwIfLockLost(ctx.signal);
  if (entry !== null) {
    const trashed = folderExists ? await moveToTrash(repo.stateDir, record.path) : null;
    // `remove --force` also unregisters a worktree whose folder is gone (moved to the trash,
    // or deleted by hand); a second --force is git's way to override a lock.
    const force = ["--force", ...(entry.locked !== null ? ["--force"] : [])];
    try {
      await git(["worktree", "remove", ...force, "--", record.path], { cwd });
    } catch (e) {
      if (trashed) await rename(trashed, record.path).catch(() => {});
      throw e;
    }
    if (trashed) trash.push(trashed);
    await removeMadeFolder(repo.stateDir, repo.mainPath, record);
  } else if (folderExists) {
    warn(`git no longer lists ${record.path} as a worktree; its folder is left in place`);
  } else {
    // Neither registered nor there (a create killed before or during `git worktree add`,
    // which removes its own half-made worktree): the parent folders it made go too.
    await removeMadeFolder(repo.stateDir, repo.mainPath, record);
  }
  await removeExcludes(repo.commonDir, record.id);
  if (deleteBranch) {
    await git(["branch", "-D", "--", record.branch], { cwd });
    out.branchDeleted = true;
  }
  await deleteRecord(repo.stateDir, record.id);
  if (hooks && config.hooks.postCleanup.length > 0) {
    await runHooks(config.hooks.postCleanup, {
      cwd,
      vars,
      output: ctx.output ?? null,
      signal: ctx.signal,
      label: "postCleanup hook",
    });
  }
  return out;
}

/** `notes/ (12 files)`, or a file's own path. */
export function describeIgnored(row: IgnoredRemoved): string {
  return row.path.endsWith("/") ? `${row.path} (${row.files} file${row.files === 1 ? "" : "s"})` : row.path;
}

/**
 * The folder `git worktree add` made for a worktree (`../app-worktrees/`, recorded as
 * `madeFolder`) goes with the last worktree in it: removed (rmdir, so only when empty) from the
 * worktree's parent up to it, or, while other worktrees are still inside, handed over to one of
 * their records. A folder wt did not make, or one in the main worktree, is never removed.
 * Runs under the repository lock.
 */
async function removeMadeFolder(stateDir: string, mainPath: string, record: WorktreeRecord): Promise<void> {
  const made = record.madeFolder;
  if (!made || isInside(made, mainPath) || isInside(mainPath, made)) return;
  for (let at = path.dirname(record.path); isInside(made, at); at = path.dirname(at)) {
    try {
      await rmdir(at);
    } catch {
      break;
    }
    if (at === made) return;
  }
  const heir = (await readRecords(stateDir)).find(
    (r) => idKey(r.id) !== idKey(record.id) && !r.madeFolder && isInside(made, r.path),
  );
  if (heir) await writeRecord(stateDir, { ...heir, madeFolder: made });
}
