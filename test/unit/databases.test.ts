import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planDatabases, provisionDatabase, unprovisionDatabase } from "../../src/core/databases.js";
import { ConflictError } from "../../src/core/errors.js";

/** Real folders: a main worktree, a new worktree and a folder outside both. */
let root: string;
let main: string;
let worktree: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "wt-db-unit-"));
  main = path.join(root, "app");
  worktree = path.join(root, "app-worktrees", "issue-1");
  outside = path.join(root, "dbs");
  for (const d of [main, worktree, outside]) mkdirSync(d, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const values = { repo: "app", id: "1", name: "issue-1" };

describe("an outside database path another repository takes meanwhile", () => {
  it("is never replaced: provisionDatabase is exit 3 and unprovisionDatabase leaves the other file", async () => {
    const [plan] = await planDatabases(
      [{ path: `${outside}/{name}.db` }],
      { cwd: main, env: process.env },
      worktree,
      values,
    );
    if (!plan) throw new Error("no plan");
    expect(plan.worktree).toBeNull();
    // Another repository's wt (not under our lock) makes the same file after we planned.
    const target = path.join(outside, "issue-1.db");
    writeFileSync(target, "the other repository's database");
    const err = await provisionDatabase(plan, process.env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).exitCode).toBe(3);
    expect((err as Error).message).toContain(target);
    await unprovisionDatabase(plan);
    expect(readFileSync(target, "utf8")).toBe("the other repository's database");
    expect(readdirSync(outside)).toEqual(["issue-1.db"]);
  });

  it("is made when free, and then its undo removes it with its sidecars", async () => {
    const [plan] = await planDatabases(
      [{ path: `${outside}/{name}.db` }],
      { cwd: main, env: process.env },
      worktree,
      values,
    );
    if (!plan) throw new Error("no plan");
    await provisionDatabase(plan, process.env);
    const target = path.join(outside, "issue-1.db");
    expect(readFileSync(target).subarray(0, 15).toString()).toBe("SQLite format 3");
    writeFileSync(`${target}-wal`, "");
    await unprovisionDatabase(plan);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });
});
