import { rename, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { deleteBranch } from "../git/refs.js";
import { removeWorktree } from "../git/worktree.js";
import type { BranchFate, CheckedWorktree } from "./cleanup-check.js";
import type { IgnoredRemoved } from "./cleanup-files.js";
import { removeDatabaseFiles } from "./databases.js";
import { removeExcludes } from "./exclude.js";
import { isInside, lstatOrNull, refusalInside } from "./fs-safe.js";
import { idKey } from "./names.js";
import { gitAt, type Session } from "./session.js";
import { deleteRecord, readRecords, type WorktreeRecord, writeRecord } from "./state.js";
import type { Step } from "./steps/step.js";
import { moveToTrash } from "./trash.js";

/** What the removal steps report back as they run. */
export interface RemovalOutcome {
  branchDeleted: boolean;
  /** Folders moved into the trash, deleted in the background once the run ends. */
  trash: string[];
}

/**
 * The steps that remove a checked worktree, from its record alone, in order: what is deleted
 * beyond wt's own files (reported), its links (never followed), its databases, the worktree,
 * the branch (or why it is kept), then its info/exclude block and record. Run under the
 * repository lock.
 */
export function removalSteps(
  session: Session,
  checked: CheckedWorktree,
  fate: BranchFate,
  folderExists: boolean,
  warn: (m: string) => void,
  out: RemovalOutcome,
): Step[] {
  const { record, files } = checked;
  const { repo } = session;
  const links = record.included.filter((i) => i.mode === "symlink");
  return [
    ...files.edited.map(
      (p): Step => ({
        kind: "report",
        title: `delete ${p}: copied by wt and EDITED since (ignored by git, so not an uncommitted change)`,
        run: async () => warn(`${record.id}: ${p} was copied by wt and edited since; it goes with the worktree`),
      }),
    ),
    ...files.ignored.map(
      (i): Step => ({
        kind: "report",
        title: `delete ${describeIgnored(i)}: ignored by git, not made by wt`,
        run: async () => {},
      }),
    ),
    ...links.map(
      (l): Step => ({
        kind: "unlink",
        title: `unlink ${l.path} (never followed)`,
        // Each checked to still be a link, and never followed.
        run: async () => {
          const at = path.join(record.path, l.path);
          if ((await lstatOrNull(at))?.isSymbolicLink()) await unlink(at);
        },
      }),
    ),
    ...record.databases.map(
      (d): Step => ({
        kind: "delete-database",
        title: `delete database ${d.path} and its sidecars`,
        run: () => deleteDatabase(record, d.path, warn),
      }),
    ),
    worktreeStep(session, checked, folderExists, warn, out),
    fate.delete
      ? {
          kind: "delete-branch",
          title: `delete branch ${record.branch}`,
          run: async () => {
            await deleteBranch(gitAt(session), record.branch);
            out.branchDeleted = true;
          },
        }
      : { kind: "keep-branch", title: `keep branch ${record.branch} (${fate.kept})`, run: async () => {} },
    {
      kind: "release",
      title: "release its port slot, info/exclude entries and record",
      run: async () => {
        await removeExcludes(repo.commonDir, record.id);
        await deleteRecord(repo.stateDir, record.id);
      },
    },
  ];
}

/**
 * A database inside the worktree is deleted only when no symlinked folder the branch has put
 * on the way since leads elsewhere (the folder itself goes with the worktree, links unfollowed).
 */
async function deleteDatabase(record: WorktreeRecord, file: string, warn: (m: string) => void): Promise<void> {
  if (isInside(record.path, file)) {
    const through = await refusalInside(record.path, file);
    if (through !== null) {
      warn(`${record.id}: not deleting ${file} separately: ${through}`);
      return;
    }
  }
  await removeDatabaseFiles(file);
}

/** Removes (or forgets) the worktree folder and the parent folders its create made. */
function worktreeStep(
  session: Session,
  { record, entry }: CheckedWorktree,
  folderExists: boolean,
  warn: (m: string) => void,
  out: RemovalOutcome,
): Step {
  const { repo } = session;
  const run = async () => {
    if (entry === null) {
      if (folderExists) warn(`git no longer lists ${record.path} as a worktree; its folder is left in place`);
      // Neither registered nor there (a create killed before or during `git worktree add`,
      // which removes its own half-made worktree): the parent folders it made go too.
      else await removeMadeFolder(repo.stateDir, repo.mainPath, record);
      return;
    }
    const trashed = folderExists ? await moveToTrash(repo.stateDir, record.path) : null;
    try {
      // Also unregisters a worktree whose folder is gone (moved to the trash, or deleted by hand).
      await removeWorktree(gitAt(session), record.path, { locked: entry.locked !== null });
    } catch (e) {
      if (trashed) await rename(trashed, record.path).catch(() => {});
      throw e;
    }
    if (trashed) out.trash.push(trashed);
    await removeMadeFolder(repo.stateDir, repo.mainPath, record);
  };
  return {
    kind: "remove-worktree",
    title: folderExists ? `remove worktree ${record.path}` : `forget worktree ${record.path} (folder already gone)`,
    detail: { path: record.path },
    run,
  };
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
