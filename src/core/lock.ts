import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { BusyError } from "./errors.js";

/**
 * The repository-wide lock that serialises create, cleanup and slot allocation.
 *
 * proper-lockfile's `mkdir` lock: atomic on every filesystem, refreshed (mtime) every
 * second while held, and considered stale 5 s after its holder stopped refreshing it, e.g.
 * because the holder was SIGKILLed. A stale lock is taken over with a warning.
 */
export interface LockOptions {
  /** How long to wait for another `wt` to release the lock, in milliseconds. */
  timeoutMs: number;
  /** Told when a stale lock left by a dead process is taken over. */
  onWarning?: (message: string) => void;
  /** What this process is doing, recorded for the message another waiter sees. */
  purpose: string;
  /** Told once, when the lock is held by another `wt` and this one starts to wait for it. */
  onWait?: (message: string) => void;
}

/** Milliseconds after its last refresh that a lock counts as abandoned (proper-lockfile minimum: 2000). */
export const LOCK_STALE_MS = 5000;
const LOCK_UPDATE_MS = 1000;

interface Owner {
  pid: number;
  purpose: string;
  since: string;
}

/**
 * Runs `fn` while holding the repository lock under `stateDir`.
 * @throws BusyError (exit 4, code `lock-busy`) when the lock is still held after `timeoutMs`,
 *   naming the process that holds it.
 */
export async function withRepoLock<T>(stateDir: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(stateDir, { recursive: true });
  const target = path.join(stateDir, "repo");
  const lockDir = path.join(stateDir, "repo.lock");
  const ownerFile = path.join(stateDir, "repo.lock-owner.json");
  const { default: lockfile } = await import("proper-lockfile");
  const attempt = (retries: number) =>
    lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockDir,
      stale: LOCK_STALE_MS,
      update: LOCK_UPDATE_MS,
      retries: { retries, factor: 1, minTimeout: 50, maxTimeout: 150, randomize: true },
      onCompromised: (err) => {
        options.onWarning?.(`the repository lock was lost while held (${err.message})`);
      },
    });
  let release: () => Promise<void>;
  try {
    try {
      release = await attempt(0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ELOCKED" || options.timeoutMs <= 0) throw e;
      // Say so rather than sit silent for up to WT_LOCK_TIMEOUT seconds.
      const owner = await readOwner(ownerFile);
      options.onWait?.(
        `waiting for another wt to release the repository lock${owner ? ` (pid ${owner.pid}, ${owner.purpose})` : ""}, up to ${Math.round(options.timeoutMs / 1000)} s`,
      );
      release = await attempt(Math.ceil(options.timeoutMs / 100));
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOCKED") {
      const owner = await readOwner(ownerFile);
      throw new BusyError(
        `another wt holds the repository lock${owner ? ` (pid ${owner.pid}, ${owner.purpose}, since ${owner.since})` : ""}; waited ${Math.round(options.timeoutMs / 1000)} s`,
        "wait for it to finish and try again, or raise WT_LOCK_TIMEOUT (seconds)",
        "lock-busy",
      );
    }
    throw e;
  }
  // Every holder removes its owner file before releasing; one still there means its holder
  // died with the lock held, and proper-lockfile has just taken the stale lock over.
  const previous = await readOwner(ownerFile);
  if (previous) {
    options.onWarning?.(
      `took over a repository lock left by a process that stopped (pid ${previous.pid}, ${previous.purpose}, since ${previous.since})`,
    );
  }
  const owner: Owner = { pid: process.pid, purpose: options.purpose, since: new Date().toISOString() };
  await writeFile(ownerFile, JSON.stringify(owner));
  try {
    return await fn();
  } finally {
    await rm(ownerFile, { force: true });
    await release().catch(() => {
      // Already compromised and reported through onWarning.
    });
  }
}

async function readOwner(file: string): Promise<Owner | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Owner;
  } catch {
    return null;
  }
}
