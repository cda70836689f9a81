import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { chmod, copyFile, cp, lstat, utimes } from "node:fs/promises";
import { CommandFailedError } from "./errors.js";

/** `cp` flags for a copy-on-write clone where the filesystem offers one, or null (no such cp). */
function cloneFlags(): string[] | null {
  if (process.platform === "linux") return ["-a", "--reflink=auto"];
  if (process.platform === "darwin") return ["-a", "-c"];
  return null;
}

/**
 * Copies a file or folder the way `cp -a` does: modes, times and symlinks kept verbatim,
 * copy-on-write clones where the filesystem offers them (`--reflink=auto` on Linux, `-c`
 * clonefile on macOS). Falls back to `fs.promises.cp` where no such `cp` exists.
 * @throws CommandFailedError (exit 6) when `cp` fails; AbortError when `signal` aborts.
 */
export async function copyTree(source: string, target: string, signal?: AbortSignal): Promise<void> {
  if (await copySmallFile(source, target)) return;
  if (await copyInChildProcess(source, target, signal)) return;
  await cp(source, target, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    errorOnExist: true,
    force: false,
    mode: constants.COPYFILE_FICLONE,
  });
}

/** Up to this size a regular file is copied in this process: a `cp` process costs more than the copy. */
const SMALL_FILE_BYTES = 1024 * 1024;

/**
 * Copies a small regular file in this process, as `cp -a --reflink=auto` would: a clone where
 * the filesystem can (`COPYFILE_FICLONE`, else a plain copy), never over an existing target
 * (`COPYFILE_EXCL`), then its permission bits and times (atime, mtime) set as the source's. An
 * `.env` is the common case: no process spawned (issue 12, item 2). Only `.worktreeinclude`
 * entries come here; database files, which an engine of this process may hold a lock on, are
 * copied by `copyInChildProcess`.
 * @returns false when `source` is not a small regular file (nothing was copied).
 */
async function copySmallFile(source: string, target: string): Promise<boolean> {
  const st = await lstat(source);
  if (!st.isFile() || st.size > SMALL_FILE_BYTES) return false;
  await copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  await chmod(target, st.mode & 0o7777);
  await utimes(target, st.atime, st.mtime);
  return true;
}

/**
 * Copies with `cp` in a child process (a clone where the filesystem can), never opening the
 * files in this process. That matters for a database file an engine in this process holds a
 * POSIX lock on: closing any descriptor of a file drops every fcntl lock the process holds on
 * it (fcntl(2); https://sqlite.org/howtocorrupt.html, 2.2).
 * @returns false when no suitable `cp` exists (then nothing was copied).
 * @throws CommandFailedError (exit 6) when `cp` ran and failed; AbortError when `signal` aborts.
 */
export async function copyInChildProcess(source: string, target: string, signal?: AbortSignal): Promise<boolean> {
  const flags = cloneFlags();
  if (!flags) return false;
  const args = [...flags, "--", source, target];
  return new Promise((resolve, reject) => {
    const child = spawn("cp", args, { stdio: ["ignore", "ignore", "pipe"], signal });
    let stderr = "";
    let aborted: Error | null = null;
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", (e) => {
      // An abort kills cp; reject once it has exited ("close"), so that a rollback never
      // removes a folder cp is still writing into.
      if ((e as Error).name === "AbortError") aborted = e;
      else resolve(false);
    });
    child.on("close", (code) => {
      if (aborted) reject(aborted);
      else if (code === 0) resolve(true);
      else if (/unrecognized|illegal|invalid option|usage/i.test(stderr)) resolve(false);
      else reject(new CommandFailedError(`cp ${args.join(" ")}`, code, stderr));
    });
  });
}
