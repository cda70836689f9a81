import {
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { dropEarlyGit } from "../git/run.js";
import { ForeignLockError, LockBusyError, LockLostError, WtError } from "./errors.js";
import { nonce } from "./lazy-crypto.js";
import { hostTag, type OwnerState, processState } from "./lock-owner.js";
import { procStat } from "./process.js";

/**
 * The repository-wide lock that serialises create, cleanup and slot allocation.
 *
 * The lock is a symlink, `<stateDir>/repo.lock`, whose target is its owner's token
 * (`wt-lock:1:<pid>:<start>:<host>:<nonce>`), as Emacs' file locks are: `symlink(2)` fails
 * with EEXIST when the name exists, so taking the lock and saying who holds it is one atomic
 * call, with no moment where a lock exists without its owner. A short target lives in the
 * inode (ext4 and tmpfs "fast symlinks"), so it needs no data block and works on a full disk.
 *
 * Liveness decides staleness, never age (issue 9, item 12): proper-lockfile, used before,
 * called a lock stale when its mtime was not refreshed for 5 s, so a wt stopped with Ctrl-Z,
 * or one whose event loop was blocked, lost its lock to a second wt while it still worked.
 * Here a lock is taken over only when its owner process is gone: no such pid (`kill(pid, 0)`
 * gives ESRCH), a zombie, or a pid reused by a process with another start time
 * (`/proc/<pid>/stat` field 22, proc(5)). A lock from another host is never taken over.
 *
 * Purpose and start time of the holder, for messages, sit beside it in `repo.lock-owner.json`,
 * written best effort: a full disk loses only the message, never the lock.
 */
export interface LockOptions {
  /** How long to wait for another `wt` to release the lock, in milliseconds. */
  timeoutMs: number;
  /** Told when a lock left by a dead process is taken over, or when the lock was lost. */
  onWarning?: (message: string) => void;
  /** What this process is doing, recorded for the message another waiter sees. */
  purpose: string;
  /** Told once, when the lock is held by another `wt` and this one starts to wait for it. */
  onWait?: (message: string) => void;
}

/** What the holder's work gets: a signal that aborts (reason: a `BusyError`, exit 4) when the lock is lost. */
export interface HeldLock {
  /** Aborts with a `BusyError` (code `lock-lost`) when another process removed or replaced the lock. */
  signal: AbortSignal;
  /** Throws that `BusyError` once the lock is lost; call before each change. */
  throwIfLost(): void;
}

/** How often a holder checks that the lock is still its own, in milliseconds. */
export const LOCK_CHECK_MS = 500;
/** An empty lock folder of an older wt (proper-lockfile) with no owner note counts as abandoned after this long. */
const LEGACY_GRACE_MS = 10_000;
const TOKEN_PREFIX = "wt-lock:1:";

interface Token {
  raw: string;
  pid: number;
  /** Process start time in clock ticks since boot, or "-" where /proc is not available. */
  start: string;
  host: string;
}

interface OwnerNote {
  token?: string;
  pid: number;
  purpose: string;
  since: string;
}

/** What is at the lock's path. */
type LockState =
  | { kind: "free" }
  | { kind: "token"; token: Token }
  | { kind: "legacy"; mtimeMs: number }
  | { kind: "foreign"; what: string };

/**
 * Runs `fn` while holding the repository lock under `stateDir`. `fn` gets a `HeldLock` whose
 * signal aborts if the lock is lost; when `fn` then fails, the loss is what is thrown.
 * @throws LockBusyError (exit 4, code `lock-busy`) when a live process still holds the lock after
 *   `timeoutMs`, naming it; ForeignLockError (exit 3, code `lock-foreign`) when something wt did
 *   not make sits at the lock's path, naming the path to remove; LockLostError (4, `lock-lost`).
 */
export async function withRepoLock<T>(
  stateDir: string,
  options: LockOptions,
  fn: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  await mkdir(stateDir, { recursive: true });
  const lockPath = path.join(stateDir, "repo.lock");
  const noteFile = path.join(stateDir, "repo.lock-owner.json");
  const token = ownToken();
  await acquire(lockPath, noteFile, token, options);
  // What is read under the lock is read now, not before the wait (git/early.ts).
  dropEarlyGit();
  await writeNote(noteFile, { token, pid: process.pid, purpose: options.purpose, since: new Date().toISOString() });
  const watch = watchLock(lockPath, token, options.purpose);
  try {
    const result = await fn(watch.held);
    if (watch.held.signal.aborted) {
      options.onWarning?.((watch.held.signal.reason as Error).message);
    }
    return result;
  } catch (e) {
    // The failure is a consequence of the loss (a step aborted by it): report the loss.
    if (watch.held.signal.aborted) throw watch.held.signal.reason;
    throw e;
  } finally {
    watch.stop();
    if (!watch.held.signal.aborted) {
      await removeNoteIfOurs(noteFile, token);
      await removeIfToken(lockPath, token, `release-${process.pid}`);
    }
  }
}

/** Throws the lock-loss error when `signal` was aborted by a lost lock (not by Ctrl-C). */
export function throwIfLockLost(signal: AbortSignal | undefined): void {
  if (signal?.aborted && signal.reason instanceof WtError && signal.reason.code === "lock-lost") throw signal.reason;
}

/** `signal` (Ctrl-C) and the lock's loss as one signal, for the work done under the lock. */
export function lockedSignal(signal: AbortSignal | undefined, held: HeldLock): AbortSignal {
  return signal ? AbortSignal.any([signal, held.signal]) : held.signal;
}

async function acquire(lockPath: string, noteFile: string, token: string, options: LockOptions): Promise<void> {
  const deadline = Date.now() + Math.max(0, options.timeoutMs);
  let told = false;
  for (;;) {
    try {
      await symlink(token, lockPath);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const state = await inspect(lockPath);
    if (state.kind === "free") continue;
    if (state.kind === "foreign") throw foreignLock(lockPath, state.what);
    const note = await readNote(noteFile, state);
    const owner = ownerOf(state, note);
    if (!owner.alive) {
      if (await removeStale(lockPath, state)) {
        options.onWarning?.(
          `took over a repository lock left by a process that is gone (${describeOwner(owner.pid, note)}; ${owner.why})`,
        );
      }
      continue;
    }
    if (Date.now() >= deadline) throw busy(owner, note, options.timeoutMs);
    if (!told) {
      told = true;
      // Say so rather than sit silent for up to WT_LOCK_TIMEOUT seconds.
      options.onWait?.(
        `waiting for another wt to release the repository lock (${describeOwner(owner.pid, note)}${owner.stopped ? ", stopped" : ""}), up to ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    await sleep(50 + Math.floor(Math.random() * 100));
  }
}

/** Reads what is at the lock's path without following it. */
async function inspect(lockPath: string): Promise<LockState> {
  let st: import("node:fs").Stats;
  try {
    st = await lstat(lockPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { kind: "free" };
    throw e;
  }
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = await readlink(lockPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { kind: "free" };
      throw e;
    }
    const token = parseToken(target);
    return token ? { kind: "token", token } : { kind: "foreign", what: `a symlink to ${target} that wt did not make` };
  }
  if (st.isDirectory()) {
    // proper-lockfile's lock (wt before issue 9) is an empty folder; anything in it is not wt's.
    const inside = await readdir(lockPath).catch(() => null);
    if (inside !== null && inside.length === 0) return { kind: "legacy", mtimeMs: st.mtimeMs };
    return { kind: "foreign", what: "a folder with files in it" };
  }
  return { kind: "foreign", what: st.isFile() ? "a regular file" : "a special file" };
}

/** Whether the lock's owner still runs. Anything wt cannot check counts as alive. */
function ownerOf(state: Exclude<LockState, { kind: "free" | "foreign" }>, note: OwnerNote | null): OwnerState {
  if (state.kind === "legacy") {
    if (note) return processState(note.pid, "-");
    // An older wt wrote its owner note right after taking the lock; none after the grace
    // period means its holder died in between (e.g. the note's write failed on a full disk).
    const old = Date.now() - state.mtimeMs > LEGACY_GRACE_MS;
    return { pid: null, alive: !old, stopped: false, why: "an empty lock folder an older wt left" };
  }
  const { token } = state;
  if (token.host !== hostTag()) {
    return { pid: token.pid, alive: true, stopped: false, why: "held by a wt on another host" };
  }
  return processState(token.pid, token.start);
}

/** This acquisition's token, under 60 bytes so that it stays a fast symlink. */
function ownToken(): string {
  const start = procStat(process.pid)?.start ?? "-";
  return `${TOKEN_PREFIX}${process.pid}:${start}:${hostTag()}:${nonce()}`;
}

function parseToken(raw: string): Token | null {
  if (!raw.startsWith(TOKEN_PREFIX)) return null;
  const [pid, start, host, nonce] = raw.slice(TOKEN_PREFIX.length).split(":");
  if (!pid || !/^\d+$/.test(pid) || !start || !host || !nonce) return null;
  return { raw, pid: Number(pid), start, host };
}

/**
 * Removes a stale lock without ever removing a fresh one: the lock is renamed to a private
 * name first, and only deleted when what was moved is still the stale lock that was judged.
 * Someone else's fresh lock moved by mistake (they took it over between our look and our
 * rename) is put back with `symlink`, which never replaces anything.
 * @returns true when this call removed the stale lock.
 */
async function removeStale(lockPath: string, state: LockState): Promise<boolean> {
  if (state.kind === "legacy") {
    // rmdir removes only an empty folder, and today's locks are symlinks: it cannot remove a live lock.
    return rmdir(lockPath).then(
      () => true,
      () => false,
    );
  }
  if (state.kind !== "token") return false;
  return removeIfToken(lockPath, state.token.raw, `stale-${process.pid}`);
}

async function removeIfToken(lockPath: string, token: string, tag: string): Promise<boolean> {
  const current = await readlink(lockPath).catch(() => null);
  if (current !== token) return false;
  const aside = `${lockPath}.${tag}-${nonce()}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return false;
  }
  const moved = await readlink(aside).catch(() => null);
  if (moved !== token && moved !== null) await symlink(moved, lockPath).catch(() => {});
  await unlink(aside).catch(() => {});
  return moved === token;
}

/** Checks every `LOCK_CHECK_MS` that the lock still holds `token`; aborts `held.signal` when not. */
function watchLock(lockPath: string, token: string, purpose: string): { held: HeldLock; stop: () => void } {
  const controller = new AbortController();
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    void readlink(lockPath)
      .catch(() => null)
      .then((now) => {
        checking = false;
        if (now === token) return;
        const by = now === null ? "removed" : `replaced (${parseToken(now) ? `now pid ${parseToken(now)?.pid}` : now})`;
        controller.abort(
          new LockLostError(
            `the repository lock was ${by} while \`${purpose}\` held it; wt stopped before its next change`,
          ),
        );
      });
  }, LOCK_CHECK_MS);
  timer.unref();
  const held: HeldLock = {
    signal: controller.signal,
    throwIfLost: () => throwIfLockLost(controller.signal),
  };
  return { held, stop: () => clearInterval(timer) };
}

async function readNote(noteFile: string, state: LockState): Promise<OwnerNote | null> {
  let note: OwnerNote;
  try {
    note = JSON.parse(await readFile(noteFile, "utf8")) as OwnerNote;
  } catch {
    return null;
  }
  if (typeof note?.pid !== "number") return null;
  // A note belongs to the lock it names: today's by token; an older wt's carries none.
  if (state.kind === "token") return note.token === state.token.raw ? note : null;
  return note.token === undefined ? note : null;
}

/** Best effort: on a full disk the lock still works, only the waiters' message is shorter. */
async function writeNote(noteFile: string, note: OwnerNote): Promise<void> {
  await writeFile(noteFile, JSON.stringify(note)).catch(() => rm(noteFile, { force: true }).catch(() => {}));
}

async function removeNoteIfOurs(noteFile: string, token: string): Promise<void> {
  const text = await readFile(noteFile, "utf8").catch(() => null);
  if (text?.includes(token)) await rm(noteFile, { force: true }).catch(() => {});
}

function describeOwner(pid: number | null, note: OwnerNote | null): string {
  const parts = [pid === null ? "owner unknown" : `pid ${pid}`];
  if (note) parts.push(note.purpose, `since ${note.since}`);
  return parts.join(", ");
}

function busy(owner: OwnerState, note: OwnerNote | null, timeoutMs: number): LockBusyError {
  const stopped = owner.stopped ? "; that process is stopped (Ctrl-Z?)" : "";
  const remote = owner.why === "held by a wt on another host" ? `; ${owner.why}` : "";
  return new LockBusyError(
    `another wt holds the repository lock (${describeOwner(owner.pid, note)}${stopped}${remote}); waited ${Math.round(timeoutMs / 1000)} s`,
    owner.stopped && owner.pid !== null
      ? `resume it (\`fg\` in its shell, or \`kill -CONT ${owner.pid}\`) and let it finish, or raise WT_LOCK_TIMEOUT (seconds)`
      : "wait for it to finish and try again, or raise WT_LOCK_TIMEOUT (seconds)",
  );
}

function foreignLock(lockPath: string, what: string): ForeignLockError {
  return new ForeignLockError(lockPath, what);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
