import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
/** Absolute entry points, so writer scripts in temp folders load this checkout's engines. */
export const SQLITE_MODULE = require.resolve("better-sqlite3");
export const DUCKDB_MODULE = require.resolve("@duckdb/node-api");

export interface Writer {
  child: ChildProcess;
  pid: number;
  /** Sends SIGKILL and waits for the process to end. */
  kill(): Promise<void>;
}

/**
 * Starts `node -e`-style `script` in a child process and resolves once it prints `ready`,
 * the observable signal that it holds the database the way the test wants.
 */
export function startWriter(dir: string, name: string, script: string): Promise<Writer> {
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const closed = new Promise<void>((r) => child.on("close", () => r()));
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("ready")) {
        resolve({
          child,
          pid: child.pid as number,
          kill: async () => {
            child.kill("SIGKILL");
            await closed;
          },
        });
      }
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    child.on("close", (code) => reject(new Error(`writer ${name} exited ${code} before ready:\n${err}`)));
  });
}

/** A SQLite writer in WAL mode that commits `rows` rows and never checkpoints them. */
export function sqliteWalWriter(db: string, rows: number): string {
  return `
import Database from ${JSON.stringify(SQLITE_MODULE)};
const db = new Database(${JSON.stringify(db)});
db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;");
db.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, note TEXT)");
const insert = db.prepare("INSERT INTO items (note) VALUES (?)");
for (let i = 0; i < ${rows}; i++) insert.run("row " + i);
const KEEP = [db, insert];
console.log("ready");
// Referenced from a live timer: an unreferenced connection may be garbage-collected (and
// closed, releasing its lock) once the module has run, as Node 22 does; and on Node 24 a
// collected better-sqlite3 object aborts the process (see src/core/databases.ts).
setInterval(() => KEEP, 1000);
`;
}

/** A SQLite writer (rollback journal) that holds an EXCLUSIVE lock inside an open transaction. */
export function sqliteExclusiveWriter(db: string): string {
  return `
import Database from ${JSON.stringify(SQLITE_MODULE)};
const db = new Database(${JSON.stringify(db)});
db.exec("PRAGMA journal_mode = DELETE");
db.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, note TEXT)");
db.exec("BEGIN EXCLUSIVE");
db.exec("INSERT INTO items (note) VALUES ('held')");
const KEEP = db;
console.log("ready");
// Referenced from a live timer: an unreferenced connection may be garbage-collected (and
// closed, releasing its lock) once the module has run, as Node 22 does; and on Node 24 a
// collected better-sqlite3 object aborts the process (see src/core/databases.ts).
setInterval(() => KEEP, 1000);
`;
}

/** A DuckDB writer that inserts `rows` rows (left in the .wal) and keeps the file open. */
export function duckdbWriter(db: string, rows: number): string {
  return `
import { DuckDBInstance } from ${JSON.stringify(DUCKDB_MODULE)};
const instance = await DuckDBInstance.create(${JSON.stringify(db)}, { autoinstall_known_extensions: "false", autoload_known_extensions: "false" });
const c = await instance.connect();
await c.run("CREATE TABLE IF NOT EXISTS trips (id INTEGER, fare DOUBLE)");
await c.run("INSERT INTO trips SELECT range, range * 1.5 FROM range(${rows})");
const KEEP = [instance, c];
console.log("ready");
// Referenced from a live timer: an unreferenced connection may be garbage-collected (and
// closed, releasing its lock) once the module has run, as Node 22 does; and on Node 24 a
// collected better-sqlite3 object aborts the process (see src/core/databases.ts).
setInterval(() => KEEP, 1000);
`;
}

/**
 * A SQLite writer (rollback journal) inside an open `BEGIN IMMEDIATE` transaction: it holds
 * the RESERVED lock with `rows` uncommitted rows, which readers may not see.
 */
export function sqliteReservedWriter(db: string, rows: number): string {
  return `
import Database from ${JSON.stringify(SQLITE_MODULE)};
const db = new Database(${JSON.stringify(db)});
db.exec("BEGIN IMMEDIATE");
for (let i = 0; i < ${rows}; i++) db.exec("INSERT INTO items (note) VALUES ('uncommitted')");
const KEEP = db;
console.log("ready");
// Referenced from a live timer (see sqliteWalWriter).
setInterval(() => KEEP, 1000);
`;
}

/**
 * A SQLite writer (rollback journal) that commits `batch` rows at a time, every few
 * milliseconds, until killed: a copy taken at any moment must hold a whole number of batches.
 */
export function sqliteBusyWriter(db: string, batch: number): string {
  return `
import Database from ${JSON.stringify(SQLITE_MODULE)};
const db = new Database(${JSON.stringify(db)}, { timeout: 10000 });
const pause = new Int32Array(new SharedArrayBuffer(4));
const note = "x".repeat(400);
let commits = 0;
const KEEP = db;
setInterval(() => KEEP, 1000);
for (;;) {
  db.exec("BEGIN IMMEDIATE");
  for (let i = 0; i < ${batch}; i++) db.exec("INSERT INTO items (note) VALUES ('" + note + "')");
  db.exec("COMMIT");
  if (++commits === 3) console.log("ready");
  Atomics.wait(pause, 0, 0, 3);
}
`;
}
