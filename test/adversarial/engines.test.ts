import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { type ErrorJson, json, makeRepo, runWtWith, type TestRepo } from "../helpers/repo.js";

/**
 * Issue 15, item 4: every configured engine is loaded and checked before anything is made
 * (`--dry-run` included), a missing or broken one is exit 2 with a hint that fits how wt is
 * installed, and SQLite runs through node:sqlite where Node has it. Each test runs a copy of the
 * built package laid out as a global, a project-local or an npx install would lay it out, with
 * the engine packages missing or unbuilt (an install with scripts blocked).
 */

const here = path.resolve(import.meta.dirname, "../..");
const hasNodeSqlite = (() => {
  try {
    createRequire(import.meta.url)("node:sqlite");
    return true;
  } catch {
    return false;
  }
})();

/**
 * A WAL-mode template holding rows 1..n, rows 2..n only in its `-wal`: the connection stays
 * open (closing the last one would checkpoint them into the file), as a running app keeps it.
 */
function walTemplate(file: string, n: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE items (n INTEGER); INSERT INTO items VALUES (1);");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA wal_autocheckpoint = 0;");
  for (let i = 2; i <= n; i++) db.exec(`INSERT INTO items VALUES (${i})`);
  open.push(db);
}
const open: Database.Database[] = [];

function sqliteRows(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT n FROM items ORDER BY n").all() as { n: number }[]).map((r) => r.n);
  } finally {
    db.close();
  }
}

let repo: TestRepo | null = null;
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  repo?.remove();
  repo = null;
});

interface PackageCopy {
  /** better-sqlite3: absent, or present without its native binary (its install script never ran). */
  sqlite: "missing" | "unbuilt";
  /** @duckdb/node-api present (linked to the checkout's) or absent. */
  duckdb: boolean;
}

/** Copies the built package to `dir` (…/node_modules/issue-worktree) with the engines as `what` says; returns its bin. */
function copyPackage(dir: string, what: PackageCopy): string {
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  for (const f of ["dist", "bin", "package.json", "wt.config.schema.json"]) {
    cpSync(path.join(here, f), path.join(dir, f), { recursive: true });
  }
  for (const name of readdirSync(path.join(here, "node_modules"))) {
    if (name === "better-sqlite3" || name.startsWith(".") || (name === "@duckdb" && !what.duckdb)) continue;
    symlinkSync(path.join(here, "node_modules", name), path.join(dir, "node_modules", name));
  }
  if (what.sqlite === "unbuilt") {
    const from = path.join(here, "node_modules", "better-sqlite3");
    const to = path.join(dir, "node_modules", "better-sqlite3");
    for (const f of ["package.json", "lib"]) cpSync(path.join(from, f), path.join(to, f), { recursive: true });
  }
  return path.join(dir, "bin", "wt.js");
}

function configure(r: TestRepo, databases: object[]): void {
  r.write(".gitignore", "data/\n");
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 46100 }, databases }));
  r.commitAll("config");
}

/** Runs `bin` and expects exit 2, code missing-package, with nothing made; returns the error. */
async function refused(r: TestRepo, bin: string, args: string[], env: Record<string, string> = {}) {
  const run = await runWtWith(bin, r.main, [...args, "--json"], env);
  expect(run.code, run.stderr).toBe(2);
  const error = json<ErrorJson>(run).error;
  expect(error.code).toBe("missing-package");
  expect(r.git("branch", "--list", "feature/issue-*")).toBe("");
  expect(existsSync(path.join(r.root, "repo-worktrees"))).toBe(false);
  return error;
}

describe("engines are checked before anything is made", () => {
  it("an installed engine whose native binary was never built is exit 2 with a rebuild hint, --dry-run too", async () => {
    repo = makeRepo();
    configure(repo, [{ path: "data/{name}.db" }]);
    // A global install with scripts blocked: <prefix>/lib/node_modules/issue-worktree.
    const bin = copyPackage(path.join(repo.root, "prefix", "lib", "node_modules", "issue-worktree"), {
      sqlite: "unbuilt",
      duckdb: false,
    });
    const env = { WT_SQLITE_ENGINE: "better-sqlite3" };
    for (const args of [
      ["create", "101", "--dry-run"],
      ["create", "101"],
    ]) {
      const error = await refused(repo, bin, args, env);
      expect(error.message).toContain("better-sqlite3 does not load");
      expect(error.hint).toContain("npm rebuild -g better-sqlite3");
      expect(error.hint).toContain("Node >= 22.13");
    }
  });

  it("a missing DuckDB package: the hint fits a global, a project-local and an npx install", async () => {
    repo = makeRepo();
    configure(repo, [{ path: "data/{name}.duckdb" }]);
    const project = path.join(repo.root, "proj");
    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), "{}");
    const layouts: [string, string][] = [
      [path.join(repo.root, "prefix", "lib", "node_modules", "issue-worktree"), "npm install -g @duckdb/node-api"],
      [path.join(project, "node_modules", "issue-worktree"), `cd ${project} && npm install @duckdb/node-api`],
      [
        path.join(repo.root, "npm-cache", "_npx", "0123abcd", "node_modules", "issue-worktree"),
        "npx -p issue-worktree -p @duckdb/node-api wt create 7 --dry-run",
      ],
    ];
    for (const [dir, hint] of layouts) {
      const bin = copyPackage(dir, { sqlite: "missing", duckdb: false });
      const error = await refused(repo, bin, ["create", "7", "--dry-run"]);
      expect(error.message).toContain("@duckdb/node-api is not installed");
      expect(error.hint).toContain(hint);
    }
  });

  it("SQLite with no better-sqlite3 installed: node:sqlite where Node has it (WAL rows kept, no warning), else exit 2", async () => {
    repo = makeRepo();
    const template = path.join(repo.main, "data", "app.db");
    configure(repo, [{ path: "data/{name}.db", template: "data/app.db" }]);
    walTemplate(template, 3);
    expect(existsSync(`${template}-wal`)).toBe(true);
    const bin = copyPackage(path.join(repo.root, "prefix", "lib", "node_modules", "issue-worktree"), {
      sqlite: "missing",
      duckdb: false,
    });
    // The automatic choice, whatever engine the suite runs the other tests with.
    const env = { WT_SQLITE_ENGINE: "" };
    if (!hasNodeSqlite) {
      const error = await refused(repo, bin, ["create", "101"], env);
      expect(error.hint).toContain("npm install -g better-sqlite3");
      expect(error.hint).toContain("Node >= 22.13");
      return;
    }
    const run = await runWtWith(bin, repo.main, ["create", "101", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/ExperimentalWarning|experimental feature/);
    const db = json<CreateResult>(run).databases[0]?.path as string;
    expect(sqliteRows(db)).toEqual([1, 2, 3]);
  });

  it("WT_SQLITE_ENGINE must name an engine this Node has: exit 2 otherwise", async () => {
    repo = makeRepo();
    configure(repo, [{ path: "data/{name}.db" }]);
    const bin = path.join(here, "bin", "wt.js");
    const bad = await runWtWith(bin, repo.main, ["create", "101", "--dry-run", "--json"], {
      WT_SQLITE_ENGINE: "sqlite4",
    });
    expect(bad.code, bad.stderr).toBe(2);
    expect(json<ErrorJson>(bad).error.message).toContain("WT_SQLITE_ENGINE");
    if (hasNodeSqlite) return;
    const error = await refused(repo, bin, ["create", "101", "--dry-run"], { WT_SQLITE_ENGINE: "node:sqlite" });
    expect(error.message).toContain("has no node:sqlite");
  });
});
