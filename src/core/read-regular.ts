import { constants } from "node:fs";
import { lstat, open, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "./errors.js";
import { isInside } from "./fs-safe.js";

/** Largest `wt.config.json` or `.worktreeinclude` wt reads, in bytes. */
export const READ_LIMIT = 1024 * 1024;

/**
 * Reads a file that comes from the repository (`wt.config.json`, `.worktreeinclude`) only
 * when it is a regular file of at most `limit` bytes: a FIFO, a device (a committed link to
 * `/dev/stdin`), a folder or a socket would block or fail the read, and wt reads them before
 * it takes the repository lock. A symlink is followed only to a regular file inside `root`
 * (the main worktree): nothing outside it is read.
 *
 * The file is opened with O_NONBLOCK (open(2): opening a FIFO for reading does not wait for a
 * writer) and checked again with fstat on the open descriptor, so a file swapped for a FIFO
 * after the first check still cannot block wt.
 * @param file absolute path
 * @param root absolute path of the main worktree
 * @returns the text, or null when the file does not exist.
 * @throws ConfigError (exit 2, code `invalid-config`) naming the file and what it is.
 */
export async function readRegularFile(file: string, root: string, limit = READ_LIMIT): Promise<string | null> {
  let st: import("node:fs").Stats;
  try {
    st = await lstat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw refusal(file, `cannot be read (${(e as Error).message})`);
  }
  let target = file;
  if (st.isSymbolicLink()) {
    // /dev/stdin -> /proc/self/fd/0 -> `pipe:[123]` does not resolve at all: refused the same way.
    const resolved = await realpath(file).catch(() => null);
    const realRoot = await realpath(root).catch(() => root);
    if (resolved === null || !isInside(realRoot, resolved)) {
      const shown = resolved ?? (await readlink(file).catch(() => "?"));
      throw refusal(file, `is a symlink to ${shown}, not to a file inside the main worktree`);
    }
    target = resolved;
  }
  const handle = await open(target, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY).catch(
    (e: Error) => {
      throw refusal(file, `cannot be read (${e.message})`);
    },
  );
  try {
    const fst = await handle.stat();
    if (!fst.isFile()) throw refusal(file, `is ${kindOf(fst)}, not a regular file`);
    if (fst.size > limit) throw refusal(file, `is ${fst.size} bytes, over wt's limit of ${limit} bytes`);
    // One byte more than fstat said: a file that grows while it is read is noticed, and bounded.
    const buffer = Buffer.alloc(fst.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > fst.size) throw refusal(file, "changed while wt read it");
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    await handle.close();
  }
}

function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function refusal(file: string, what: string): ConfigError {
  return new ConfigError(
    `${file} ${what}; wt reads ${path.basename(file)} only when it is a regular file`,
    `replace ${file} with a regular file (or remove it), then run the command again`,
  );
}
