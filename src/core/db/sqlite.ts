import { spawn } from "node:child_process";
import { access, open, rm } from "node:fs/promises";
import { type Env, repoFreeEnv } from "../../git/run.js";
import { copyInChildProcess } from "../copy.js";
import { BusyError, CommandFailedError, WtError } from "../errors.js";
import { codePath } from "../package-root.js";
import { loadSqlite, missingEngine, type SqliteDriver } from "./engines.js";

/** How a template copy runs: the wait for a writer (ms), the caller's environment, Ctrl-C. */
export interface CopyRun {
  busyTimeoutMs: number;
  /** `ctx.env`: picks the SQLite engine (`WT_SQLITE_ENGINE`) and is the copy child's environment. */
  env: Env;
  signal?: AbortSignal;
}

/** The program `vacuumInChild` runs (a plain JS module beside this one, in src/ and in dist/). */
const VACUUM_PROGRAM = codePath("core", "db", "sqlite-vacuum.js");

/**
 * Writes a SQLite database at `temp`: a consistent copy of `source` (a template's real file,
 * see `templateSource`), or, without one, a valid empty database.
 *
 * A template in rollback-journal mode (the database file alone holds every committed page):
 * the file is cloned by `cp` while this process holds a SHARED lock inside a read
 * transaction. Under SHARED no writer can change the file (https://sqlite.org/lockingv3.html,
 * "SHARED"), so the clone is the consistent database, byte for byte, as fast as the filesystem
 * copies (a copy-on-write clone on btrfs, XFS or APFS); `cp` runs in a child process because
 * closing a descriptor of the file here would drop the lock (`copyInChildProcess`). A writer
 * holding the file locked makes it wait the busy timeout, then fail with SQLITE_BUSY (exit 4).
 *
 * A template in WAL mode (committed pages may still be in its `-wal`), or where no `cp` runs:
 * `VACUUM INTO` (https://sqlite.org/lang_vacuum.html#vacuuminto) writes a transactionally
 * consistent snapshot taken by the engine, `-wal` pages included. It runs in a child process
 * (`vacuumInChild`): it is one synchronous call that takes seconds for a large template, and
 * on this thread it would stop the event loop, and with it the repository lock's refresh
 * (issue 9, item 12).
 *
 * Without a template: a database whose header is written (a real, valid SQLite file).
 *
 * The engine is `node:sqlite` or better-sqlite3 (`loadSqlite`, sqlite-driver.js); the child
 * process uses the same one. Both are SQLite itself, so the locks, the hot-journal rollback and
 * `VACUUM INTO` behave the same.
 * @throws BusyError (exit 4) when a writer holds the template; UsageError (exit 2) when
 *   no SQLite engine loads; CommandFailedError (exit 6) when `cp` or the copy's
 *   child process fails; AbortError when `signal` aborts (the child is stopped first)
 */
export async function writeSqlite(source: string | null, temp: string, run: CopyRun): Promise<void> {
  const { busyTimeoutMs } = run;
  const driver = await loadSqlite(run.env);
  if (source === null) {
    const db = driver.open(temp);
    try {
      // Writing the header makes a real one-page database rather than a 0-byte file.
      db.exec("PRAGMA user_version = 1; PRAGMA user_version = 0;");
    } finally {
      db.close();
    }
    return;
  }
  try {
    if ((await sqliteJournalMode(source)) === "rollback") {
      if (await cloneRollbackTemplate(driver, source, temp, busyTimeoutMs)) return;
    }
    await vacuumInChild(driver, source, temp, run, true);
  } catch (e) {
    // A hot journal (a writer died mid-transaction) must be rolled back before anyone can read
    // the file, and a read-only connection may not do that (SQLITE_READONLY_ROLLBACK,
    // https://sqlite.org/rescode.html#readonly_rollback). A read-write connection rolls it back
    // on its first read, as SQLite does for whoever opens the file next, and copies from there
    // (in the child: the rollback's length depends on the dead transaction's size).
    const code = (e as { code?: string }).code ?? "";
    if (!code.startsWith("SQLITE_READONLY") || !(await exists(`${source}-journal`))) throw sqliteBusyOr(e, source);
    try {
      await vacuumInChild(driver, source, temp, run, false);
    } catch (again) {
      if (again instanceof WtError || (again as Error).name === "AbortError") throw again;
      throw new BusyError(
        `the template database ${source} was left mid-transaction by a writer that died (a hot journal), and wt could not roll it back: ${(again as Error).message}`,
        "open it once with sqlite3 as a user who may write its folder (that rolls it back), then run the command again",
      );
    }
  }
}

/**
 * The rollback-journal branch of `writeSqlite`: clones `source` to `temp` inside a read
 * transaction of a read-only connection (SHARED lock held from the first read to COMMIT).
 * On this thread: its only synchronous waits are the busy timeout (`busyTimeoutMs`, well
 * under the lock's stale time) and a read of the first page; `cp` runs in a child process.
 * @returns false, leaving nothing at `temp`, when no `cp` can run or the clone turns out not
 *   to be a rollback-journal database (the template switched to WAL before the lock was
 *   taken): then the caller uses `VACUUM INTO`.
 * @throws the engine's error (SQLITE_BUSY when a writer keeps the lock past the busy timeout)
 */
async function cloneRollbackTemplate(
  driver: SqliteDriver,
  source: string,
  temp: string,
  busyTimeoutMs: number,
): Promise<boolean> {
  const db = driver.open(source, { readonly: true, mustExist: true, busyTimeoutMs });
  try {
    db.exec("BEGIN; SELECT 1 FROM sqlite_master LIMIT 1;");
    let cloned = false;
    try {
      cloned = await copyInChildProcess(source, temp);
    } finally {
      db.exec("COMMIT");
    }
    if (cloned && (await sqliteJournalMode(temp)) === "rollback") return true;
    // Nobody opened the clone through an engine, so it has no sidecars.
    await rm(temp, { force: true });
    return false;
  } finally {
    db.close();
  }
}

/**
 * Runs `VACUUM INTO temp` on `source` in a child Node process (`sqlite-vacuum.js`), so that
 * this process's event loop keeps running (timers, the lock's refresh, Ctrl-C) however long
 * the copy takes. A child process rather than a worker thread: a worker's teardown would
 * finalise better-sqlite3's objects (see `retained` in sqlite-driver.js), and a process can be
 * stopped mid-copy. The child uses `driver`'s engine.
 * @param readonly false only to roll back a hot journal
 * @throws an Error carrying the engine's `code` (SQLITE_BUSY...) as the child reported it;
 *   UsageError (exit 2) when the child cannot load the engine; CommandFailedError (exit 6)
 *   when the child died without a report; AbortError once the child has exited after `signal`
 *   aborted it
 */
async function vacuumInChild(
  driver: SqliteDriver,
  source: string,
  temp: string,
  { busyTimeoutMs, env, signal }: CopyRun,
  readonly: boolean,
): Promise<void> {
  const request = JSON.stringify({ engine: driver.name, source, temp, busyTimeoutMs, readonly });
  const run = await runNode([VACUUM_PROGRAM, request], env, signal);
  if (run.code === 0) return;
  const report = parseReport(run.stdout);
  if (report === null) {
    throw new CommandFailedError(`node sqlite-vacuum.js (VACUUM INTO of ${source})`, run.code, run.stderr);
  }
  if (LOAD_FAILURES.has(report.code)) throw missingEngine(driver.name, "sqlite", new Error(report.message));
  throw Object.assign(new Error(report.message), { code: report.code });
}

/** The child's report codes that mean the engine itself did not load. */
const LOAD_FAILURES = new Set([
  "MODULE_NOT_FOUND",
  "ERR_MODULE_NOT_FOUND",
  "ERR_UNKNOWN_BUILTIN_MODULE",
  "ERR_DLOPEN_FAILED",
]);

interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` (this Node binary), collecting its output; rejects with AbortError only after it exited. */
function runNode(args: string[], env: Env, signal?: AbortSignal): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: repoFreeEnv(env), signal });
    let stdout = "";
    let stderr = "";
    let failure: Error | null = null;
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    // An abort kills the child; settle once it has exited ("close"), so that the caller never
    // removes a file the child is still writing.
    child.on("error", (e) => {
      failure = e;
    });
    child.on("close", (code) => {
      if (failure) reject(failure);
      else resolve({ code, stdout, stderr });
    });
  });
}

/** The `{"code","message"}` line the child prints on failure, or null. */
function parseReport(stdout: string): { code: string; message: string } | null {
  try {
    const report = JSON.parse(stdout.trim()) as { code?: unknown; message?: unknown };
    if (typeof report.code === "string" && typeof report.message === "string") {
      return { code: report.code, message: report.message };
    }
  } catch {
    // not a report: the child died before it could print one
  }
  return null;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The journal mode a SQLite file's header records: bytes 18 and 19 (file format write and read
 * versions) are 1 for rollback journal, 2 for WAL (https://sqlite.org/fileformat.html, 1.3.3).
 * Read before the engine opens the file: closing this descriptor later would drop its locks.
 * @returns "rollback", "wal", or null for anything else (too short, not SQLite).
 */
async function sqliteJournalMode(file: string): Promise<"rollback" | "wal" | null> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(100);
    const { bytesRead } = await handle.read(header, 0, 100, 0);
    if (bytesRead < 100 || header.subarray(0, 16).toString("latin1") !== "SQLite format 3\0") return null;
    if (header[18] === 1 && header[19] === 1) return "rollback";
    if (header[18] === 2 && header[19] === 2) return "wal";
    return null;
  } finally {
    await handle.close();
  }
}

/** The engine's SQLITE_BUSY / SQLITE_LOCKED as a BusyError (exit 4) naming the template; anything else as it is. */
function sqliteBusyOr(e: unknown, template: string): unknown {
  const code = (e as { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new BusyError(
      `the template database ${template} is locked by a writer (${code}); no consistent copy could be taken`,
      "stop the process writing to it (or let its transaction finish) and run the command again",
    );
  }
  return e;
}
