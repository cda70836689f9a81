import { spawn } from "node:child_process";
import { mkdir, readdir, rename, stat } from "node:fs/promises";
import path from "node:path";

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
export async function moveToTrash(stateDir: string, folder: string): Promise<string | null> {
  const dir = trashDir(stateDir);
  await mkdir(dir, { recursive: true });
  try {
    const [a, b] = await Promise.all([stat(dir), stat(folder)]);
    if (a.dev !== b.dev) return null;
    const target = path.join(dir, `${path.basename(folder)}-${process.pid}-${Date.now()}`);
    await rename(folder, target);
    return target;
  } catch {
    return null;
  }
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

/** Everything in the trash (left by a deleter that was killed), to delete again. */
export async function trashLeftovers(stateDir: string): Promise<string[]> {
  try {
    return (await readdir(trashDir(stateDir))).map((n) => path.join(trashDir(stateDir), n));
  } catch {
    return [];
  }
}
