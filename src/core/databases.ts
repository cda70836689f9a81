import { constants } from "node:fs";
import { access, copyFile, link, mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { type DatabaseConfig, databaseEngine, databaseEnvName } from "./config.js";
import { copyInChildProcess } from "./copy.js";
import { BusyError, ConfigError, ConflictError, UsageError, WtError } from "./errors.js";
import { isInside, lstatOrNull, refusalInside, safeJoin } from "./fs-safe.js";
import { expandTemplate } from "./names.js";

/** One database `wt` will make for a worktree. */
export interface DatabasePlan {
  engine: "sqlite" | "duckdb";
  /** Absolute target path. */
  path: string;
  /**
   * The worktree when the target is inside it: the path is checked again for symlinked
   * folders right before the file is written, since the branch's checkout (which comes after
   * planning) may have put one on the way.
   */
  worktree: string | null;
  env: string;
  /** Absolute template path in the main worktree, or null for an empty database. */
  template: string | null;
  init: string | null;
  /** Set by `provisionDatabase` once the file is in place: what `unprovisionDatabase` may remove outside the worktree. */
  placed?: boolean;
}

/**
 * Sidecar files each engine keeps beside a database: SQLite's `-wal`, `-shm`, `-journal`
 * (https://sqlite.org/tempfiles.html) and DuckDB's `.wal`. A stale one at a new file's path
 * would be replayed onto it, so they are removed before a database is written, and with it.
 */
export const SIDECAR_SUFFIXES = ["-wal", "-shm", "-journal", ".wal"] as const;

/**
 * Resolves the config's `databases` for one new worktree: paths expanded ({repo} {id}
 * {name}), relative ones inside the worktree (checked for symlinked folders), templates in the
 * main worktree. A target outside the worktree must not be in the main worktree (wt writes
 * nothing there), must not be a template, and must not exist yet: wt never replaces a file it
 * did not make (its own stale sidecars aside), so two worktrees can never share one database.
 * @throws ConfigError (exit 2) for a target in the main worktree, a target that is a template,
 *   or two entries with one target; ConflictError (exit 3) for a missing template (code
 *   `template-missing`) or an outside target that already exists (code `conflict`).
 */
export async function planDatabases(
  databases: readonly DatabaseConfig[],
  mainPath: string,
  worktree: string,
  values: { repo: string; id: string; name: string },
): Promise<DatabasePlan[]> {
  const plans: DatabasePlan[] = [];
  for (const [i, db] of databases.entries()) {
    const key = `databases[${i}].path`;
    const rel = expandTemplate(db.path, values, key);
    const target = path.isAbsolute(rel) ? path.resolve(rel) : await safeJoin(worktree, rel);
    const inWorktree = isInside(worktree, target);
    if (!inWorktree && isInside(mainPath, target)) {
      throw new ConfigError(
        `${key}: ${target} is inside the main worktree, where wt writes nothing`,
        "use a path relative to the worktree (data/agent-{name}.db) or one outside the main worktree",
      );
    }
    if (plans.some((p) => p.path === target)) {
      throw new ConfigError(`${key}: ${target} is also the path of an earlier database entry`);
    }
    if (!inWorktree && (await lstatOrNull(target)) !== null) {
      throw new ConflictError(
        `a file already exists at the database path ${target} (${key}); wt never replaces a file it did not make`,
        "move that file away, or point the path elsewhere (with {repo} and {id} or {name} in it)",
      );
    }
    let template: string | null = null;
    if (db.template) {
      template = path.resolve(mainPath, expandTemplate(db.template, values, `databases[${i}].template`));
      try {
        await access(template, constants.R_OK);
      } catch {
        throw new ConflictError(
          `database template not found: ${template} (databases[${i}].template)`,
          "create the template database, or remove `template` to start from an empty database",
          "template-missing",
        );
      }
    }
    plans.push({
      engine: databaseEngine(db),
      path: target,
      worktree: inWorktree ? worktree : null,
      env: databaseEnvName(db),
      template,
      init: db.init ?? null,
    });
  }
  return plans;
}

/**
 * Undoes `provisionDatabase` (also when it stopped half-way): removes the file and its
 * sidecars, except where a folder on the way inside the worktree is a symlink, which wt never
 * goes through (then `provisionDatabase` refused before writing anything), and except outside
 * the worktree when this run did not place the file.
 */
export async function unprovisionDatabase(plan: DatabasePlan): Promise<void> {
  // Outside the worktree, a file this run did not place may be another repository's.
  if (plan.worktree === null && !plan.placed) return;
  if (plan.worktree !== null && (await refusalInside(plan.worktree, plan.path)) !== null) return;
  await removeDatabaseFiles(plan.path);
}

/** Removes a database file and its sidecars; missing files are fine. */
export async function removeDatabaseFiles(file: string): Promise<void> {
  await Promise.all([file, ...SIDECAR_SUFFIXES.map((s) => `${file}${s}`)].map((f) => rm(f, { force: true })));
}

/**
 * Writes the database of `plan`: a consistent copy of the template taken through the engine,
 * or a valid empty database. Written under a temporary name in the same folder, then renamed
 * into place (inside the worktree) or linked there only if nothing is (outside it, see
 * `placeExclusively`); stale sidecars at the target are removed first.
 * @throws BusyError (exit 4) when a writer holds the template so that no consistent copy can
 *   be taken; UsageError (exit 2) when the engine package is not installed; ConflictError
 *   (exit 3) when a folder on the way inside the worktree is a symlink.
 */
export async function provisionDatabase(plan: DatabasePlan, busyTimeoutMs = 2000): Promise<void> {
  // The checkout may have put a symlinked folder (committed by the branch) on the way.
  if (plan.worktree !== null) await safeJoin(plan.worktree, path.relative(plan.worktree, plan.path));
  await mkdir(path.dirname(plan.path), { recursive: true });
  // Inside the new worktree the file is this create's alone; outside it only the sidecars of a
  // file that is not there are stale, and the file itself is never replaced (below).
  if (plan.worktree !== null) await removeDatabaseFiles(plan.path);
  else await removeSidecars(plan.path);
  const temp = path.join(path.dirname(plan.path), `.${path.basename(plan.path)}.wt-${process.pid}.tmp`);
  await removeDatabaseFiles(temp);
  try {
    if (plan.engine === "sqlite") await writeSqlite(plan.template, temp, busyTimeoutMs);
    else await writeDuckdb(plan.template, temp);
    if (plan.worktree !== null) await rename(temp, plan.path);
    else await placeExclusively(temp, plan.path);
    plan.placed = true;
  } finally {
    await removeDatabaseFiles(temp);
  }
}

/**
 * Puts `temp` at `target` only if nothing is there: `link(2)` fails with EEXIST rather than
 * replace, where `rename(2)` would silently replace (another repository's create of the same
 * outside path, whose lock is not ours, may have won the race since planning); where the
 * filesystem has no hard links, an exclusive copy (COPYFILE_EXCL).
 * @throws ConflictError (exit 3) when a file appeared at `target`
 */
async function placeExclusively(temp: string, target: string): Promise<void> {
  try {
    try {
      await link(temp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw e;
      await copyFile(temp, target, constants.COPYFILE_EXCL);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    throw new ConflictError(
      `a file appeared at the database path ${target} while wt was making it (another repository's wt?); wt never replaces a file it did not make`,
      "give each repository its own path: put {repo} and {id} or {name} in databases[].path",
    );
  }
}

/** Removes the sidecars of `file` (not the file). */
async function removeSidecars(file: string): Promise<void> {
  await Promise.all(SIDECAR_SUFFIXES.map((s) => rm(`${file}${s}`, { force: true })));
}

type SqliteModule = typeof import("better-sqlite3");

async function loadSqlite(): Promise<SqliteModule> {
  try {
    return ((await import("better-sqlite3")) as unknown as { default: SqliteModule }).default;
  } catch (e) {
    throw missingEngine("better-sqlite3", "sqlite", e);
  }
}

async function loadDuckdb(): Promise<typeof import("@duckdb/node-api")> {
  try {
    return await import("@duckdb/node-api");
  } catch (e) {
    throw missingEngine("@duckdb/node-api", "duckdb", e);
  }
}

function missingEngine(pkg: string, engine: string, cause: unknown): UsageError {
  return new UsageError(
    `a ${engine} database is configured but the package ${pkg} is not installed (${(cause as Error).message.split("\n")[0]})`,
    `install it: npm install ${pkg}`,
    "missing-package",
  );
}

/**
 * better-sqlite3 12 wraps its objects in Node's raw `ObjectWrap`, whose destructor aborts
 * Node >= 24.19 when the garbage collector finalises it outside a JavaScript context
 * ("Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook; WiseLibs/better-sqlite3
 * #1515, fixed in better-sqlite3 13, which needs Node 22). `wt` runs once and exits, so it keeps
 * every connection reachable until then and creates no other wrapper objects: statements run
 * through `exec`, which makes none.
 */
const retained: unknown[] = [];

/** A SQL string literal: single quotes doubled (https://sqlite.org/lang_expr.html). */
function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * SQLite, a template in rollback-journal mode (the database file alone holds every committed
 * page): the file is cloned by `cp` while this process holds a SHARED lock inside a read
 * transaction. Under SHARED no writer can change the file (https://sqlite.org/lockingv3.html,
 * "SHARED"), so the clone is the consistent database, byte for byte, as fast as the filesystem
 * copies (a copy-on-write clone on btrfs, XFS or APFS); `cp` runs in a child process because
 * closing a descriptor of the file here would drop the lock (`copyInChildProcess`). A writer
 * holding the file locked makes it wait the busy timeout, then fail with SQLITE_BUSY (exit 4).
 *
 * A template in WAL mode (committed pages may still be in its `-wal`), or where no `cp` runs:
 * `VACUUM INTO` (https://sqlite.org/lang_vacuum.html#vacuuminto) writes a transactionally
 * consistent snapshot taken by the engine, `-wal` pages included, with a small page cache
 * (it streams) and without the Backup wrapper object that would need garbage collection (see
 * `retained`).
 *
 * Without a template: a database whose header is written (a real, valid SQLite file).
 */
async function writeSqlite(template: string | null, temp: string, busyTimeoutMs: number): Promise<void> {
  const Database = await loadSqlite();
  if (template === null) {
    const db = new Database(temp);
    retained.push(db);
    try {
      // Writing the header makes a real one-page database rather than a 0-byte file.
      db.exec("PRAGMA user_version = 1; PRAGMA user_version = 0;");
    } finally {
      db.close();
    }
    return;
  }
  try {
    await copySqlite(Database, template, temp, busyTimeoutMs, true);
  } catch (e) {
    // A hot journal (a writer died mid-transaction) must be rolled back before anyone can read
    // the file, and a read-only connection may not do that (SQLITE_READONLY_ROLLBACK,
    // https://sqlite.org/rescode.html#readonly_rollback). A read-write connection rolls it back
    // on its first read, as SQLite does for whoever opens the file next, and copies from there.
    const code = (e as { code?: string }).code ?? "";
    if (!code.startsWith("SQLITE_READONLY") || !(await exists(`${template}-journal`))) throw e;
    await removeDatabaseFiles(temp);
    try {
      await copySqlite(Database, template, temp, busyTimeoutMs, false);
    } catch (again) {
      if (again instanceof WtError) throw again;
      throw new BusyError(
        `the template database ${template} was left mid-transaction by a writer that died (a hot journal), and wt could not roll it back: ${(again as Error).message}`,
        "open it once with sqlite3 as a user who may write its folder (that rolls it back), then run the command again",
      );
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The template branch of `writeSqlite`, through a read-only connection unless `readonly` is false. */
async function copySqlite(
  Database: SqliteModule,
  template: string,
  temp: string,
  busyTimeoutMs: number,
  readonly: boolean,
): Promise<void> {
  // Read before the engine opens the file: closing this descriptor later would drop its locks.
  const cloneable = (await sqliteJournalMode(template)) === "rollback";
  let source: InstanceType<SqliteModule>;
  try {
    source = new Database(template, { readonly, fileMustExist: true, timeout: busyTimeoutMs });
    retained.push(source);
  } catch (e) {
    throw sqliteBusyOr(e, template);
  }
  try {
    if (cloneable && (await cloneUnderSharedLock(source, template, temp))) return;
    // Pages stream through; a big cache would only raise the peak memory (issue 5: <= 100 MB).
    source.exec("PRAGMA cache_size = -512");
    // Synchronous: the event loop (and the repository lock's refresh) waits for it. At about
    // 700 MB/s here, a template would need several GB to outlast the lock's 5 s stale time.
    source.exec(`VACUUM INTO ${sqlString(temp)}`);
    await access(temp);
  } catch (e) {
    throw sqliteBusyOr(e, template);
  } finally {
    source.close();
  }
}

/**
 * Clones `template` to `temp` inside a read transaction of `source` (SHARED lock held from the
 * first read to COMMIT). Returns false, leaving nothing at `temp`, when no `cp` can run or the
 * clone turns out not to be a rollback-journal database (the template switched to WAL before
 * the lock was taken): then the caller uses `VACUUM INTO`.
 * @throws the engine's SQLITE_BUSY when a writer keeps the lock past the busy timeout.
 */
async function cloneUnderSharedLock(
  source: InstanceType<SqliteModule>,
  template: string,
  temp: string,
): Promise<boolean> {
  source.exec("BEGIN; SELECT 1 FROM sqlite_master LIMIT 1;");
  let cloned = false;
  try {
    cloned = await copyInChildProcess(template, temp);
  } finally {
    source.exec("COMMIT");
  }
  if (cloned && (await sqliteJournalMode(temp)) === "rollback") return true;
  await removeDatabaseFiles(temp);
  return false;
}

/**
 * The journal mode a SQLite file's header records: bytes 18 and 19 (file format write and read
 * versions) are 1 for rollback journal, 2 for WAL (https://sqlite.org/fileformat.html, 1.3.3).
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

/**
 * DuckDB: opens the template read-write, which DuckDB allows to one process only, so a live
 * writer makes it fail (exit 4 naming the process DuckDB reports). `CHECKPOINT` folds rows a
 * crashed writer left in `.wal` into the file; the file is then copied while the lock is still
 * held. A file copy (85 ms for 94 MB here) rather than `ATTACH ... (READ_ONLY)` +
 * `COPY FROM DATABASE` (2.8 s): under DuckDB's exclusive lock after a checkpoint the file is
 * complete and nobody can change it, so the engine-level copy would only be slower.
 * Without a template: a database DuckDB itself creates (a 0-byte file is not a valid one).
 */
async function writeDuckdb(template: string | null, temp: string): Promise<void> {
  const { DuckDBInstance } = await loadDuckdb();
  // Extensions are never downloaded or loaded behind the user's back.
  const options = { autoinstall_known_extensions: "false", autoload_known_extensions: "false" };
  const target = template ?? temp;
  let instance: Awaited<ReturnType<typeof DuckDBInstance.create>>;
  try {
    instance = await DuckDBInstance.create(target, options);
  } catch (e) {
    const message = (e as Error).message;
    if (/lock/i.test(message)) {
      const pid = /PID (\d+)/.exec(message)?.[1];
      throw new BusyError(
        `the template database ${target} is held by another process${pid ? ` (pid ${pid})` : ""}: DuckDB allows one writer, so no consistent copy can be taken`,
        "stop that process and run the command again",
      );
    }
    throw new WtError("command-failed", 6, `DuckDB could not open ${target}: ${message}`);
  }
  try {
    const connection = await instance.connect();
    try {
      await connection.run("CHECKPOINT");
      // cp in a child process: closing a descriptor of the file here would drop DuckDB's lock.
      if (template !== null && !(await copyInChildProcess(template, temp))) await copyFile(template, temp);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
