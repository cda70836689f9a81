// @ts-check
/**
 * The two SQLite engines wt can use, behind one small interface: Node's own `node:sqlite`
 * (`DatabaseSync`, unflagged from Node 22.13 and 23.4: https://nodejs.org/api/sqlite.html) where
 * the running Node has it, else the better-sqlite3 package. A plain JS module so that the child
 * program `sqlite-vacuum.js` and `sqlite.ts` share it, from src/ (tests) and dist/ (the CLI).
 *
 * wt only ever opens a connection, runs statements through `exec` (no statement objects: see
 * `retained`) and closes it, so both engines give the same guarantees: the same SQLite file
 * format, locks, busy timeout (`PRAGMA busy_timeout`, https://sqlite.org/pragma.html#pragma_busy_timeout),
 * hot-journal rollback and `VACUUM INTO`. Errors carry better-sqlite3's `code` names
 * (`SQLITE_BUSY`, `SQLITE_READONLY_ROLLBACK`...) with either engine.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * better-sqlite3 12 wraps its objects in Node's raw `ObjectWrap`, whose destructor aborts
 * Node >= 24.19 when the garbage collector finalises it outside a JavaScript context
 * ("Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook; WiseLibs/better-sqlite3
 * #1515, fixed in better-sqlite3 13, which needs Node 22). `wt` runs once and exits, so it keeps
 * every connection reachable until then and creates no other wrapper objects: statements run
 * through `exec`, which makes none.
 */
const retained = [];

/** @typedef {"node:sqlite" | "better-sqlite3"} SqliteEngineName */
/**
 * The part of `node:sqlite` wt uses (declared here: @types/node 20, the oldest Node wt supports,
 * has no types for it).
 * @typedef {{ DatabaseSync: new (file: string, options?: { readOnly?: boolean }) => SqliteConnection }} NodeSqlite
 */
/** @typedef {{ exec(sql: string): void, close(): void }} SqliteConnection */
/** @typedef {{ readonly?: boolean, mustExist?: boolean, busyTimeoutMs?: number }} OpenOptions */
/**
 * @typedef {object} SqliteDriver
 * @property {SqliteEngineName} name
 * @property {(file: string, options?: OpenOptions) => SqliteConnection} open opens `file` (created
 *   when missing unless `readonly` or `mustExist`); throws an Error with a `SQLITE_*` code
 */

/**
 * The engine to use: `WT_SQLITE_ENGINE` (`node:sqlite` or `better-sqlite3`) when set, else
 * `node:sqlite` when this Node has it, else better-sqlite3.
 * @param {Readonly<Record<string, string | undefined>>} env the caller's environment (`ctx.env`)
 * @returns {SqliteEngineName}
 * @throws Error with code `invalid-engine-choice` for any other value of WT_SQLITE_ENGINE
 */
export function chooseSqliteEngine(env) {
  const forced = env.WT_SQLITE_ENGINE;
  if (forced === "node:sqlite" || forced === "better-sqlite3") return forced;
  if (forced !== undefined && forced !== "") {
    throw Object.assign(new Error(`WT_SQLITE_ENGINE is '${forced}': it must be node:sqlite or better-sqlite3`), {
      code: "invalid-engine-choice",
    });
  }
  return nodeSqliteModule() === null ? "better-sqlite3" : "node:sqlite";
}

/** @type {NodeSqlite | null | undefined} */
let nodeSqlite;

/**
 * `node:sqlite`, or null where this Node has none (before 22.13 it needs --experimental-sqlite).
 * Loaded with its one-time ExperimentalWarning ("SQLite is an experimental feature", Node 22)
 * swallowed: it is emitted synchronously through `process.emitWarning` while the module loads,
 * so only that warning, only during the load, is filtered; every other warning is left alone.
 * @returns {NodeSqlite | null}
 */
export function nodeSqliteModule() {
  if (nodeSqlite !== undefined) return nodeSqlite;
  const emitWarning = process.emitWarning;
  process.emitWarning = /** @type {typeof process.emitWarning} */ (
    (/** @type {string | Error} */ warning, /** @type {unknown[]} */ ...rest) => {
      const type = typeof rest[0] === "string" ? rest[0] : /** @type {{ type?: string } | undefined} */ (rest[0])?.type;
      const text = typeof warning === "string" ? warning : warning.message;
      if (type === "ExperimentalWarning" && /sqlite/i.test(text)) return;
      return Reflect.apply(emitWarning, process, [warning, ...rest]);
    }
  );
  try {
    nodeSqlite = require("node:sqlite");
  } catch {
    nodeSqlite = null;
  } finally {
    process.emitWarning = emitWarning;
  }
  return /** @type {NodeSqlite | null} */ (nodeSqlite);
}

/**
 * Loads the chosen engine and returns its driver.
 * @param {SqliteEngineName} name
 * @returns {SqliteDriver}
 * @throws the loader's error: for better-sqlite3 `MODULE_NOT_FOUND` when the package is absent
 *   (its native binary is only loaded by `open`); for node:sqlite code `ERR_UNKNOWN_BUILTIN_MODULE`
 */
export function loadSqliteDriver(name) {
  if (name === "node:sqlite") {
    const sqlite = nodeSqliteModule();
    if (sqlite === null) {
      throw Object.assign(new Error(`Node ${process.version} has no node:sqlite (Node >= 22.13 has it)`), {
        code: "ERR_UNKNOWN_BUILTIN_MODULE",
      });
    }
    return { name, open: (file, options = {}) => openNodeSqlite(sqlite, file, options) };
  }
  /** @type {typeof import("better-sqlite3")} */
  const Database = require("better-sqlite3");
  return { name, open: (file, options = {}) => openBetterSqlite(Database, file, options) };
}

/**
 * @param {typeof import("better-sqlite3")} Database
 * @param {string} file
 * @param {OpenOptions} options
 * @returns {SqliteConnection}
 */
function openBetterSqlite(Database, file, options) {
  const readonly = options.readonly === true;
  const fileMustExist = readonly || options.mustExist === true;
  const db = new Database(file, { readonly, fileMustExist, timeout: options.busyTimeoutMs ?? 0 });
  retained.push(db);
  return db;
}

/**
 * @param {NodeSqlite} sqlite
 * @param {string} file
 * @param {OpenOptions} options
 * @returns {SqliteConnection}
 */
function openNodeSqlite(sqlite, file, options) {
  const readOnly = options.readonly === true;
  // DatabaseSync has no fileMustExist: without this check a read-write open would create the file.
  if ((readOnly || options.mustExist === true) && file !== ":memory:" && !existsSync(file)) {
    throw Object.assign(new Error(`unable to open database file ${file}`), { code: "SQLITE_CANTOPEN" });
  }
  const db = withSqliteCode(() => new sqlite.DatabaseSync(file, { readOnly }));
  retained.push(db);
  const connection = {
    exec: (/** @type {string} */ sql) => withSqliteCode(() => db.exec(sql)),
    close: () => withSqliteCode(() => db.close()),
  };
  connection.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 0))}`);
  return connection;
}

/** Primary result codes by number (https://sqlite.org/rescode.html). */
const PRIMARY = /** @type {Record<number, string>} */ ({
  1: "ERROR",
  3: "PERM",
  5: "BUSY",
  6: "LOCKED",
  8: "READONLY",
  10: "IOERR",
  11: "CORRUPT",
  13: "FULL",
  14: "CANTOPEN",
  26: "NOTADB",
});
/** The extended codes wt tells apart (https://sqlite.org/rescode.html#extrc). */
const EXTENDED = /** @type {Record<number, string>} */ ({
  261: "BUSY_RECOVERY",
  517: "BUSY_SNAPSHOT",
  773: "BUSY_TIMEOUT",
  262: "LOCKED_SHAREDCACHE",
  264: "READONLY_RECOVERY",
  520: "READONLY_CANTLOCK",
  776: "READONLY_ROLLBACK",
  1032: "READONLY_DBMOVED",
});

/**
 * Runs `fn`; a node:sqlite error (`ERR_SQLITE_ERROR` with a numeric `errcode`) is rethrown with
 * better-sqlite3's code name, e.g. errcode 5 -> `SQLITE_BUSY`, 776 -> `SQLITE_READONLY_ROLLBACK`.
 * @template T
 * @param {() => T} fn
 * @returns {T}
 */
function withSqliteCode(fn) {
  try {
    return fn();
  } catch (e) {
    const error = /** @type {{ code?: unknown, errcode?: unknown }} */ (e);
    if (error?.code === "ERR_SQLITE_ERROR" && typeof error.errcode === "number") {
      const name = EXTENDED[error.errcode] ?? PRIMARY[error.errcode & 0xff] ?? `ERROR_${error.errcode}`;
      error.code = `SQLITE_${name}`;
    }
    throw e;
  }
}
