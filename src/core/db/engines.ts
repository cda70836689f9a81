import { existsSync } from "node:fs";
import path from "node:path";
import type { Env } from "../../git/run.js";
import { type DatabaseConfig, databaseEngine } from "../config.js";
import { UsageError } from "../errors.js";
import { packageRoot } from "../package-root.js";
import { chooseSqliteEngine, loadSqliteDriver, type SqliteDriver, type SqliteEngineName } from "./sqlite-driver.js";

export type { SqliteConnection, SqliteDriver, SqliteEngineName } from "./sqlite-driver.js";

/** The DuckDB package (an optional peer dependency: installed only by users who configure DuckDB). */
const DUCKDB_PACKAGE = "@duckdb/node-api";

/**
 * Loads and checks, before anything is made (`--dry-run` included), the engine of every
 * configured database: SQLite's (`node:sqlite` or better-sqlite3, see `loadSqlite`) and
 * DuckDB's, each by opening an in-memory database, which also loads a native binary that an
 * install with scripts blocked never built.
 * @param databases the config's `databases` (their `engine`, or the default from the path)
 * @param env the caller's environment (`ctx.env`): its `WT_SQLITE_ENGINE` picks the SQLite engine
 * @throws UsageError (exit 2, code `missing-package`) naming the package, with a hint that fits
 *   how wt itself is installed (`installHint`); UsageError (exit 2) for a bad WT_SQLITE_ENGINE
 */
export async function checkEngines(databases: readonly DatabaseConfig[], env: Env): Promise<void> {
  const engines = new Set(databases.map((db) => databaseEngine(db)));
  if (engines.has("sqlite")) await loadSqlite(env);
  if (engines.has("duckdb")) {
    const { DuckDBInstance } = await loadDuckdb();
    try {
      (await DuckDBInstance.create(":memory:")).closeSync();
    } catch (e) {
      throw brokenEngine(DUCKDB_PACKAGE, "duckdb", e);
    }
  }
}

/**
 * The SQLite driver wt uses in this process (`WT_SQLITE_ENGINE`, else `node:sqlite` where Node
 * has it, else better-sqlite3), checked by opening `:memory:` once.
 * @throws UsageError (exit 2): the engine cannot be loaded (code `missing-package`), or
 *   WT_SQLITE_ENGINE names no engine (code `invalid-config`)
 */
export async function loadSqlite(env: Env): Promise<SqliteDriver> {
  const name = sqliteEngineName(env);
  let driver: SqliteDriver;
  try {
    driver = loadSqliteDriver(name);
  } catch (e) {
    throw missingEngine(name, "sqlite", e);
  }
  try {
    const db = driver.open(":memory:");
    db.exec("SELECT 1");
    db.close();
  } catch (e) {
    throw brokenEngine(name, "sqlite", e);
  }
  return driver;
}

/**
 * The SQLite engine's name for this process (also passed to the copy's child process), from
 * `WT_SQLITE_ENGINE` of `env` (the caller's environment) or what this Node has.
 * @throws UsageError (exit 2) when WT_SQLITE_ENGINE is set to anything but the two names
 */
export function sqliteEngineName(env: Env): SqliteEngineName {
  try {
    return chooseSqliteEngine(env);
  } catch (e) {
    throw new UsageError((e as Error).message, "unset WT_SQLITE_ENGINE, or set it to node:sqlite or better-sqlite3");
  }
}

/**
 * Loads @duckdb/node-api, an optional peer dependency, only when a DuckDB database is configured.
 * @throws UsageError (exit 2, code `missing-package`) when it is not installed
 */
export async function loadDuckdb(): Promise<typeof import("@duckdb/node-api")> {
  try {
    return await import("@duckdb/node-api");
  } catch (e) {
    throw missingEngine(DUCKDB_PACKAGE, "duckdb", e);
  }
}

/**
 * The exit-2 error for an engine that cannot be loaded; `cause` is the loader's error.
 * `pkg` is the engine's package, or `node:sqlite` (forced by WT_SQLITE_ENGINE on a Node without it).
 */
export function missingEngine(pkg: string, engine: string, cause: unknown): UsageError {
  const reason = firstLine(cause);
  if (pkg === "node:sqlite") {
    return new UsageError(
      `WT_SQLITE_ENGINE=node:sqlite, but this Node (${process.version}) has no node:sqlite (${reason})`,
      "run wt on Node >= 22.13, or unset WT_SQLITE_ENGINE to use better-sqlite3",
      "missing-package",
    );
  }
  return new UsageError(
    `a ${engine} database is configured but the package ${pkg} is not installed (${reason})`,
    `${installHint(pkg)}${engine === "sqlite" ? orNewerNode() : ""}`,
    "missing-package",
  );
}

/** The exit-2 error for an engine package that is installed but does not load (its native binary was never built?). */
function brokenEngine(pkg: string, engine: string, cause: unknown): UsageError {
  return new UsageError(
    `a ${engine} database is configured but the package ${pkg} does not load (${firstLine(cause)}); its install script may not have run (npm install --ignore-scripts, or scripts blocked by default)`,
    `${rebuildHint(pkg)}${engine === "sqlite" && pkg !== "node:sqlite" ? orNewerNode() : ""}`,
    "missing-package",
  );
}

function orNewerNode(): string {
  return "; or run wt on Node >= 22.13, whose built-in node:sqlite needs no package";
}

function firstLine(cause: unknown): string {
  return String((cause as Error)?.message ?? cause).split("\n")[0] ?? "";
}

/** How wt itself is installed, read from the real path of its own package. */
export type InstallMode =
  | { kind: "global" }
  | { kind: "npx" }
  | { kind: "local"; project: string }
  | { kind: "checkout"; root: string };

/**
 * How the package at `root` (wt's own, by default) was installed: under npx's cache
 * (`.../_npx/<hash>/node_modules/...`); in a project (the folder holding the first
 * `node_modules` on the path has a package.json); globally (that folder has none: npm's
 * `<prefix>/lib/node_modules`, or `%APPDATA%\npm\node_modules` on Windows); or not in a
 * node_modules at all (a contributor's checkout, or `npm link`, which Node follows to it).
 */
export function installMode(root = packageRoot()): InstallMode {
  const parts = root.split(path.sep);
  if (parts.includes("_npx")) return { kind: "npx" };
  const first = parts.indexOf("node_modules");
  if (first === -1) return { kind: "checkout", root };
  const project = parts.slice(0, first).join(path.sep) || path.sep;
  return existsSync(path.join(project, "package.json")) ? { kind: "local", project } : { kind: "global" };
}

/**
 * The one command that installs `pkg` where wt (installed as `mode`) resolves it. A global
 * wt finds a package installed globally beside it, since `<prefix>/lib/node_modules` is an
 * ancestor of its own folder (Node's module resolution walks up the node_modules folders).
 */
export function installHint(pkg: string, mode = installMode()): string {
  switch (mode.kind) {
    case "global":
      return `install it beside wt: npm install -g ${pkg}`;
    case "npx":
      return `run wt with it: npx -p issue-worktree -p ${pkg} wt ${process.argv.slice(2).join(" ")}`.trimEnd();
    case "local":
      return `install it in the project that has wt: cd ${shellQuote(mode.project)} && npm install ${pkg}`;
    case "checkout":
      return `install the checkout's dev dependencies (${pkg} is one): cd ${shellQuote(mode.root)} && npm ci`;
  }
}

/** For a package that is there but does not load: run its install script (it builds the native binary). */
function rebuildHint(pkg: string, mode = installMode()): string {
  if (pkg === "node:sqlite") return "unset WT_SQLITE_ENGINE";
  switch (mode.kind) {
    case "global":
      return `let its install script run: npm rebuild -g ${pkg} (or npm install -g ${pkg})`;
    case "npx":
      return installHint(pkg, mode);
    case "local":
      return `let its install script run: cd ${shellQuote(mode.project)} && npm rebuild ${pkg}`;
    case "checkout":
      return `let its install script run: cd ${shellQuote(mode.root)} && npm rebuild ${pkg}`;
  }
}

/** A path as one shell word: bare when it is plainly safe, else single-quoted. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
