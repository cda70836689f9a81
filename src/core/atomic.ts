import { open, realpath, rename, stat, unlink } from "node:fs/promises";
import { nonce } from "./lazy-crypto.js";

/**
 * Writes `data` to `file` atomically: a temp file beside it (`<file>.<pid>.<hex>.tmp`,
 * created exclusively), written, fsync'd, then renamed over `file` (rename(2) replaces it in
 * one step, so a reader or a crash sees the old file or the new one, never half of one).
 * What write-file-atomic did, without its ~20 ms of loading (issue 12):
 * - a symbolic link is followed: the file it names is replaced, the link stays (a dotfile rc
 *   linked into a dotfiles repository keeps its link);
 * - `options.mode` (e.g. 0o600) is set exactly, not masked by the umask; without it an
 *   existing file keeps its mode, and a new one gets 0o666 less the umask.
 * On failure the temp file is removed and the error names `file`, not the temp file.
 * @throws the system error of open/write/fsync/rename (ENOSPC, EACCES, ...), its `path` set to `file`.
 */
export async function writeAtomic(file: string, data: string, options: { mode?: number } = {}): Promise<void> {
  const target = await realpath(file).catch(() => file);
  const mode = options.mode ?? (await existingMode(target));
  const tmp = `${target}.${process.pid}.${nonce()}.tmp`;
  try {
    const handle = await open(tmp, "wx", mode ?? 0o666);
    try {
      await handle.writeFile(data);
      if (mode !== undefined) await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    const e = error as NodeJS.ErrnoException;
    if (e.path === tmp) e.path = target;
    throw error;
  }
}

/** The permission bits of `file`, or undefined when it does not exist. */
async function existingMode(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
