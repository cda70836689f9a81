import { UsageError } from "../errors.js";

/** better-sqlite3's `Database` class (the package's default export). */
export type SqliteModule = typeof import("better-sqlite3");

/**
 * Loads better-sqlite3, an optional dependency, only when a SQLite database is configured.
 * @throws UsageError (exit 2, code `missing-package`) when it is not installed
 */
export async function loadSqlite(): Promise<SqliteModule> {
  try {
    return ((await import("better-sqlite3")) as unknown as { default: SqliteModule }).default;
  } catch (e) {
    throw missingEngine("better-sqlite3", "sqlite", e);
  }
}

/**
 * Loads @duckdb/node-api, an optional dependency, only when a DuckDB database is configured.
 * @throws UsageError (exit 2, code `missing-package`) when it is not installed
 */
export async function loadDuckdb(): Promise<typeof import("@duckdb/node-api")> {
  try {
    return await import("@duckdb/node-api");
  } catch (e) {
    throw missingEngine("@duckdb/node-api", "duckdb", e);
  }
}

/** The exit-2 error for an engine package that is not installed; `cause` is the import's error. */
export function missingEngine(pkg: string, engine: string, cause: unknown): UsageError {
  return new UsageError(
    `a ${engine} database is configured but the package ${pkg} is not installed (${(cause as Error).message.split("\n")[0]})`,
    `install it: npm install ${pkg}`,
    "missing-package",
  );
}
