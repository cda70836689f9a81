import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { adminDirNaming, originOfMovedWorktree, TRASH_MARK } from "../git/worktree-link.js";

/**
 * Deleting a large worktree takes as long as checking it out. `wt cleanup` instead renames the
 * folder into `<git-common-dir>/wt/trash/` (instant on one filesystem) and deletes it in a
 * detached background process; whatever a killed deleter leaves is swept on the next cleanup.
 */

/** `<git-common-dir>/wt/trash`: where cleanup moves folders before deleting them. */
export function trashDir(stateDir: string): string {
  return path.join(stateDir, "trash");
}

/**
 * Moves `folder` into the trash when both are on one filesystem.
 * @returns the new path, or null when it was not moved (other filesystem, rename refused):
 *   the caller then lets git delete the folder in place.
 */
export async function moveToTrash(stateDir: string, commonDir: string, folder: string): Promise<string | null> {
  const dir = trashDir(stateDir);
  await mkdir(dir, { recursive: true });
  let admin: string | null = null;
  try {
    const [a, b] = await Promise.all([stat(dir), stat(folder)]);
    if (a.dev !== b.dev) return null;
    const target = path.join(dir, `${path.basename(folder)}-${process.pid}-${Date.now()}`);
    // Before the move, the admin dir names its entry (`TRASH_MARK`: nothing done to either
    // folder since makes the entry look like a leftover) and git's lock keeps `git worktree
    // prune` and `git gc` from forgetting the worktree while its folder is away (a lock that
    // is there, the user's, stays as it is).
    admin = adminDirNaming(commonDir, folder);
    if (admin !== null) {
      await writeFile(path.join(admin, TRASH_MARK), `${path.basename(target)}\n${folder}\n`);
      await writeFile(path.join(admin, "locked"), `${trashLockReason(process.pid)}\n`, { flag: "wx" }).catch(() => {});
    }
    await rename(folder, target);
    return target;
  } catch {
    if (admin !== null) await unmarkTrashed(admin);
    return null;
  }
}

/** The start of the git lock reason `moveToTrash` sets: `wt cleanup moved it to wt's trash (pid N)`. */
export const TRASH_LOCK_PREFIX = "wt cleanup moved it to wt's trash";

function trashLockReason(pid: number): string {
  return `${TRASH_LOCK_PREFIX} (pid ${pid})`;
}

/** True for the git lock reason `moveToTrash` set: wt's own, lifted when the folder comes back. */
export function isTrashLock(reason: string | null | undefined): boolean {
  return typeof reason === "string" && reason.startsWith(TRASH_LOCK_PREFIX);
}

/** Removes `admin`'s trash mark and the git lock `moveToTrash` set (never another lock). */
async function unmarkTrashed(admin: string): Promise<void> {
  await rm(path.join(admin, TRASH_MARK), { force: true }).catch(() => {});
  const locked = path.join(admin, "locked");
  const reason = await readFile(locked, "utf8").catch(() => null);
  if (isTrashLock(reason)) await rm(locked, { force: true }).catch(() => {});
}

/** Undoes `moveToTrash`: `trashed` renamed back to `folder`, its admin dir's mark and lock removed. */
export async function takeOutOfTrash(commonDir: string, trashed: string, folder: string): Promise<void> {
  await rename(trashed, folder);
  const admin = adminDirNaming(commonDir, folder);
  if (admin !== null) await unmarkTrashed(admin);
}

/** Deletes `paths` in a detached process that outlives this one. */
export function deleteInBackground(paths: readonly string[]): void {
  if (paths.length === 0) return;
  const child = spawn(
    process.execPath,
    [
      "-e",
      "for (const p of process.argv.slice(1)) require('node:fs').rmSync(p, { recursive: true, force: true, maxRetries: 3 })",
      ...paths,
    ],
    { detached: true, stdio: "ignore" },
  );
  child.unref();
}

/**
 * What a stopped cleanup or a killed background deleter left in the trash, in two kinds:
 * - a folder git still lists as a worktree (`originOfMovedWorktree`: a cleanup stopped between
 *   moving it here and `git worktree remove`, and an agent may have written to it since) is
 *   put back at its path, with a warning, so that this cleanup checks it like any other; when
 *   that path holds something else now, or git lists the worktree at its trash path (`git
 *   worktree repair` run inside it), it stays in the trash, with a warning (never swept);
 * - the rest (git forgot it, or a deleter was killed halfway) is returned to delete, and named
 *   in a warning: nothing leaves the trash unseen.
 * @param commonDir the repository's common dir (`stateDir` is `<commonDir>/wt`)
 * @returns absolute paths to delete
 */
export async function trashLeftovers(
  stateDir: string,
  commonDir: string,
  warn: (m: string) => void,
): Promise<string[]> {
  const dir = trashDir(stateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const sweep: string[] = [];
  for (const name of names.sort()) {
    const at = path.join(dir, name);
    const origin = trashedOrigin(commonDir, at);
    if (origin === null) {
      sweep.push(at);
    } else if (adminDirNaming(commonDir, at) !== null) {
      // `git worktree repair` run inside the entry (an agent's shell followed the rename): git
      // lists the worktree at its trash path now. Moving it would break that tie again.
      warn(
        `left ${at} in wt's trash: git lists it there as a worktree (\`git worktree repair\` was run inside it); \`mv ${at} ${origin}\`, then \`git worktree repair ${origin}\`, puts it back`,
      );
    } else if (await putBack(commonDir, at, origin)) {
      warn(
        `put ${origin} back from wt's trash: a cleanup stopped before git forgot the worktree; it is checked again like any other`,
      );
    } else {
      // Its path holds something else now: git still lists it, so it is never swept.
      warn(
        `left ${at} in wt's trash: git still lists it as the worktree ${origin}, and that path is taken again; move what is there aside, then \`wt doctor --fix\` puts it back`,
      );
    }
  }
  if (sweep.length > 0) {
    warn(`deleting what a stopped cleanup left in ${dir}: ${sweep.map((p) => path.basename(p)).join(", ")}`);
  }
  return sweep;
}

/**
 * The worktree path a trash entry (`<basename>-<pid>-<ms>`, `moveToTrash`) was moved from
 * while git still lists it (`originOfMovedWorktree`), or null.
 */
function trashedOrigin(commonDir: string, entry: string): string | null {
  const m = /^(.+)-\d+-(\d+)$/.exec(path.basename(entry));
  return m ? originOfMovedWorktree(commonDir, entry, m[1] as string, Number(m[2])) : null;
}

/**
 * The trash entry holding the worktree folder `folder` that a stopped cleanup moved there and
 * git still lists (`trashLeftovers` puts such folders back), or null. Sync: `wt doctor` asks
 * this of every worktree whose folder is gone.
 */
export function trashedWorktree(stateDir: string, commonDir: string, folder: string): string | null {
  let names: string[];
  try {
    names = readdirSync(trashDir(stateDir));
  } catch {
    return null;
  }
  const prefix = `${path.basename(folder)}-`;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const entry = path.join(trashDir(stateDir), name);
    if (trashedOrigin(commonDir, entry) === folder) return entry;
  }
  return null;
}

/**
 * Renames the trash entry `from` back to its worktree path `to` (its parent made again when
 * gone) and removes its admin dir's mark (`TRASH_MARK`) and wt's lock; false when the rename fails.
 */
export async function putBack(commonDir: string, from: string, to: string): Promise<boolean> {
  try {
    await mkdir(path.dirname(to), { recursive: true });
    await rename(from, to);
  } catch {
    return false;
  }
  const admin = adminDirNaming(commonDir, to);
  if (admin !== null) await unmarkTrashed(admin);
  return true;
}
