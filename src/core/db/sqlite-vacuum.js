// @ts-check
/**
 * The child process of `vacuumInChild` (sqlite.ts): one `VACUUM INTO` of a SQLite template,
 * away from wt's event loop (issue 9, item 12). A plain JS module so that the same file runs
 * from src/ (tests) and dist/ (the CLI).
 *
 * Input: argv[2], JSON `{"source","temp","busyTimeoutMs","readonly"}`.
 * Output: exit 0 once `temp` holds the copy; otherwise exit 1 with one JSON line on stdout,
 * `{"code","message"}`: the engine's code (`SQLITE_BUSY`, `SQLITE_READONLY_ROLLBACK`...) or
 * the import's (`ERR_MODULE_NOT_FOUND`).
 */

/** Connections stay reachable until exit: better-sqlite3 12 objects must not be finalised (see `retained` in sqlite.ts). */
const retained = [];

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
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(request.source, {
    readonly: request.readonly,
    fileMustExist: true,
    timeout: request.busyTimeoutMs,
  });
  retained.push(db);
  // Pages stream through; a big cache would only raise the peak memory (issue 5: <= 100 MB).
  db.exec("PRAGMA cache_size = -512");
  db.exec(`VACUUM INTO ${sqlString(request.temp)}`);
  db.close();
} catch (e) {
  fail(e);
}
process.exit(0);
