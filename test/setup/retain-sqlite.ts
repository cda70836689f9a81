import { createRequire } from "node:module";

/**
 * better-sqlite3 12 objects abort Node >= 24.19 when the garbage collector finalises them
 * (WiseLibs/better-sqlite3#1515; see `retained` in src/core/db/sqlite.ts). The tests open
 * databases in-process to check what wt wrote, so every connection and statement they make is
 * kept reachable for the life of the test worker.
 */
const require = createRequire(import.meta.url);
const Database = require("better-sqlite3") as { prototype: { prepare: (...args: unknown[]) => unknown } };
const retained: unknown[] = [];
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: unknown, ...args: unknown[]) {
  const statement = prepare.apply(this, args);
  retained.push(this, statement);
  return statement;
};
