// @ts-check
/**
 * The child process of `vacuumInChild` (sqlite.ts): one `VACUUM INTO` of a SQLite template,
 * away from wt's event loop (issue 9, item 12). A plain JS module so that the same file runs
 * from src/ (tests) and dist/ (the CLI).
 *
 * Input: argv[2], JSON `{"engine","source","temp","busyTimeoutMs","readonly"}` (`engine`: the
 * parent's choice, `node:sqlite` or `better-sqlite3`, see sqlite-driver.js).
 * Output: exit 0 once `temp` holds the copy; otherwise exit 1 with one JSON line on stdout,
 * `{"code","message"}`: the engine's code (`SQLITE_BUSY`, `SQLITE_READONLY_ROLLBACK`...) or
 * the loader's (`MODULE_NOT_FOUND`, or `ERR_DLOPEN_FAILED` for a native binary that cannot load).
 */
import { loadSqliteDriver } from "./sqlite-driver.js";

/** @param {unknown} e */
function fail(e) {
  const error = /** @type {{ code?: unknown, message?: unknown }} */ (e ?? {});
  const code = typeof error.code === "string" ? error.code : "ERROR";
  process.stdout.write(`${JSON.stringify({ code, message: String(error.message ?? e) })}\n`);
  process.exit(1);
}

/** A SQL string literal: single quotes doubled (https://sqlite.org/lang_expr.html). */
function sqlString(/** @type {string} */ text) {
  return `'${text.replace(/'/g, "''")}'`;
}

try {
  const request = JSON.parse(process.argv[2] ?? "");
  const driver = loadSqliteDriver(request.engine);
  const db = driver.open(request.source, {
    readonly: request.readonly,
    mustExist: true,
    busyTimeoutMs: request.busyTimeoutMs,
  });
  // Pages stream through; a big cache would only raise the peak memory (issue 5: <= 100 MB).
  db.exec("PRAGMA cache_size = -512");
  db.exec(`VACUUM INTO ${sqlString(request.temp)}`);
  db.close();
} catch (e) {
  fail(e);
}
process.exit(0);
