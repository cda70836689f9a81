import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { builtCopyWithout, type ErrorJson, json, makeRepo, runWt, runWtWith, type TestRepo } from "../helpers/repo.js";
import {
  duckdbWriter,
  SQLITE_MODULE,
  sqliteBusyWriter,
  sqliteExclusiveWriter,
  sqliteReservedWriter,
  sqliteWalWriter,
  startWriter,
  type Writer,
} from "../helpers/writers.js";

let repo: TestRepo;
let writers: Writer[] = [];
afterEach(async () => {
  for (const w of writers) await w.kill();
  writers = [];
  repo?.remove();
});

function configure(r: TestRepo, config: object, ignore = "data/\n") {
  r.write(".gitignore", ignore);
  r.write("wt.config.json", JSON.stringify(config));
  r.commitAll("config");
}

/** A folder beside the repository holding `issue-101.db` with `content`: a file wt did not make. */
function outsideFolderWith(r: TestRepo, folder: string, content: string): string {
  const outside = path.join(r.root, folder);
  mkdirSync(outside);
  writeFileSync(path.join(outside, "issue-101.db"), content);
  return outside;
}

/**
 * A repository (in `repo`) whose worktrees copy `data/agent.db`, a rollback-journal SQLite
 * template with an empty `items` table, still open in this process.
 */
function rollbackJournalTemplate(): { template: string; db: InstanceType<typeof Database> } {
  repo = makeRepo();
  configure(repo, { databases: [{ path: "data/{name}.db", template: "data/agent.db" }] });
  mkdirSync(path.join(repo.main, "data"));
  const template = path.join(repo.main, "data", "agent.db");
  const db = new Database(template);
  db.exec("PRAGMA journal_mode = DELETE; CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT);");
  return { template, db };
}

function sqliteCount(file: string, table = "items"): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function duckdbCount(file: string): Promise<number> {
  const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  try {
    const c = await instance.connect();
    const reader = await c.runAndReadAll("SELECT count(*)::INTEGER AS n FROM trips");
    const n = reader.getRowObjects()[0]?.n as number;
    c.closeSync();
    return n;
  } finally {
    instance.closeSync();
  }
}

describe("SQLite databases", () => {
  it("copies a WAL-mode template through the engine (VACUUM INTO) while a writer holds un-checkpointed rows", async () => {
    repo = makeRepo();
    configure(repo, { databases: [{ path: "data/agent-{name}.db", template: "data/agent.db" }] });
    mkdirSync(path.join(repo.main, "data"));
    const template = path.join(repo.main, "data", "agent.db");
    writers.push(await startWriter(repo.root, "wal-writer", sqliteWalWriter(template, 500)));
    // The rows live only in the -wal file: a plain copy of agent.db would miss them.
    expect(statSync(`${template}-wal`).size).toBeGreaterThan(0);

    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CreateResult>(run);
    const target = path.join(doc.path, "data", "agent-issue-101.db");
    expect(doc.databases).toEqual([{ engine: "sqlite", path: target, env: "DATABASE_PATH", source: "template" }]);
    // Nothing the copy made is left beside it (checked before anything opens the copy).
    expect(readdirSync(path.join(doc.path, "data")).sort()).toEqual(["agent-issue-101.db"]);
    expect(sqliteCount(target)).toBe(500);
    const check = new Database(target, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
    expect(gitStatus(doc.path)).toBe("");
    const env = readFileSync(path.join(doc.path, ".env.local"), "utf8");
    expect(env).toContain(`DATABASE_PATH=${target}`);
  });

  it("clones a rollback-journal template byte for byte under a shared lock; a writer's uncommitted rows stay out", async () => {
    const { template, db } = rollbackJournalTemplate();
    db.exec(
      `INSERT INTO items (note) WITH RECURSIVE c(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT printf('%0400d', x) FROM c`,
    );
    // Free pages inside the file: VACUUM INTO would drop them, a clone keeps them.
    db.exec("DELETE FROM items WHERE id > 2000");
    db.close();
    const before = readFileSync(template);
    writers.push(await startWriter(repo.root, "reserved", sqliteReservedWriter(template, 50)));

    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const target = path.join(json<CreateResult>(run).path, "data", "issue-101.db");
    expect(readdirSync(path.dirname(target))).toEqual(["issue-101.db"]);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(sqliteCount(target)).toBe(2000);
    const check = new Database(target, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
  });

  it("a rollback-journal template a writer died in (hot journal): the copy is the committed state", async () => {
    const { template, db } = rollbackJournalTemplate();
    db.exec("INSERT INTO items (note) VALUES ('committed 1'), ('committed 2')");
    db.close();
    // A writer that spills an uncommitted transaction into the file (tiny cache), then dies.
    const script = path.join(repo.root, "dies.cjs");
    writeFileSync(
      script,
      `const Database = require(${JSON.stringify(SQLITE_MODULE)});
const db = new Database(${JSON.stringify(template)});
db.exec("PRAGMA cache_size = 1; BEGIN");
for (let i = 0; i < 300; i++) db.exec("INSERT INTO items (note) VALUES (hex(randomblob(4000)))");
process.kill(process.pid, "SIGKILL");`,
    );
    try {
      execFileSync(process.execPath, [script]);
    } catch {
      // killed, as planned
    }
    expect(existsSync(`${template}-journal`)).toBe(true);

    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const target = path.join(json<CreateResult>(run).path, "data", "issue-101.db");
    expect(sqliteCount(target)).toBe(2);
    const check = new Database(target, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
  });

  it("every copy of a template a writer keeps committing to is a whole committed state", async () => {
    const { template, db } = rollbackJournalTemplate();
    db.exec(
      `INSERT INTO items (note) WITH RECURSIVE c(x) AS (VALUES(1) UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT printf('%0400d', x) FROM c`,
    );
    db.close();
    writers.push(await startWriter(repo.root, "busy", sqliteBusyWriter(template, 50)));
    for (const id of ["101", "102", "103"]) {
      const run = await runWt(repo.main, ["create", id, "--json"]);
      expect(run.code, run.stderr).toBe(0);
      const target = path.join(json<CreateResult>(run).path, "data", `issue-${id}.db`);
      const check = new Database(target, { readonly: true });
      expect(check.pragma("integrity_check", { simple: true }), id).toBe("ok");
      check.close();
      const n = sqliteCount(target);
      expect(n).toBeGreaterThan(20000);
      expect(n % 50, `${id}: ${n} rows`).toBe(0);
    }
  });

  it("gives exit 4 naming the file when a writer holds the template locked", async () => {
    repo = makeRepo();
    configure(repo, { databases: [{ path: "data/{name}.db", template: "data/agent.db" }] });
    mkdirSync(path.join(repo.main, "data"));
    const template = path.join(repo.main, "data", "agent.db");
    writers.push(await startWriter(repo.root, "exclusive", sqliteExclusiveWriter(template)));
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code).toBe(4);
    expect(json<ErrorJson>(run).error.message).toContain(template);
    expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
  });

  it("makes a valid empty database, removes stale sidecars first, and init sees DATABASE_PATH", async () => {
    repo = makeRepo();
    const outside = path.join(repo.root, "dbs");
    mkdirSync(outside);
    const target = path.join(outside, "issue-101.db");
    for (const s of ["-wal", "-shm", "-journal"]) writeFileSync(`${target}${s}`, "stale garbage from another database");
    configure(repo, {
      databases: [{ path: `${outside}/{name}.db`, init: 'printf %s "$DATABASE_PATH" > init-saw.txt' }],
    });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CreateResult>(run);
    expect(doc.databases[0]?.source).toBe("empty");
    expect(readFileSync(path.join(doc.path, "init-saw.txt"), "utf8")).toBe(target);
    for (const s of ["-wal", "-shm", "-journal"]) expect(existsSync(`${target}${s}`)).toBe(false);
    const db = new Database(target, { fileMustExist: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(readFileSync(target).subarray(0, 15).toString()).toBe("SQLite format 3");
    db.close();

    // Cleanup removes the database outside the worktree with its sidecars, and nothing else.
    writeFileSync(`${target}-wal`, "");
    writeFileSync(path.join(outside, "not-made-by-wt.db"), "keep me");
    const clean = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(readdirSync(outside)).toEqual(["not-made-by-wt.db"]);
  });

  it("refuses a missing template with exit 3 naming the path, before anything is made", async () => {
    repo = makeRepo();
    configure(repo, { databases: [{ path: "data/{name}.db", template: "data/nope.db" }] });
    const run = await runWt(repo.main, ["create", "101"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(path.join(repo.main, "data", "nope.db"));
    expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
  });

  it("never replaces a file it did not make: an existing file at an outside database path is exit 3, kept, nothing made", async () => {
    repo = makeRepo();
    const outside = outsideFolderWith(repo, "dbs", "precious");
    configure(repo, { databases: [{ path: `${outside}/{name}.db` }] });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toContain(path.join(outside, "issue-101.db"));
    expect(readFileSync(path.join(outside, "issue-101.db"), "utf8")).toBe("precious");
    expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
    // Another id has its own file.
    const other = await runWt(repo.main, ["create", "102", "--json"]);
    expect(other.code, other.stderr).toBe(0);
    expect(json<CreateResult>(other).databases[0]?.path).toBe(path.join(outside, "issue-102.db"));
  });

  it("refuses database paths that would be shared or land in the main worktree (exit 2), touching nothing", async () => {
    repo = makeRepo();
    mkdirSync(path.join(repo.main, "data"));
    const template = path.join(repo.main, "data", "agent.db");
    const t = new Database(template);
    t.exec("CREATE TABLE items (n INTEGER); INSERT INTO items VALUES (1);");
    t.close();
    const cases = [
      { path: path.join(repo.root, "shared.db") },
      { path: path.join(repo.main, "data", "{name}.db") },
      { path: template, template: "data/agent.db" },
    ];
    for (const db of cases) {
      configure(repo, { databases: [db] });
      const run = await runWt(repo.main, ["create", "101", "--json"]);
      expect(run.code, `${db.path}: ${run.stderr}`).toBe(2);
      expect(json<ErrorJson>(run).error.message).toContain("databases[0].path");
      expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
    }
    expect(sqliteCount(template)).toBe(1);
    expect(readdirSync(path.join(repo.main, "data"))).toEqual(["agent.db"]);
  });

  it("never writes a database through a folder symlink the branch commits", async () => {
    repo = makeRepo();
    const outside = outsideFolderWith(repo, "outside", "victim");
    configure(repo, { databases: [{ path: "data/{name}.db" }] }, "");
    symlinkSync(outside, path.join(repo.main, "data"));
    repo.commitAll("data is a link to a folder outside");
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toMatch(/symlink/);
    expect(readFileSync(path.join(outside, "issue-101.db"), "utf8")).toBe("victim");
    expect(readdirSync(outside)).toEqual(["issue-101.db"]);
    expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
  });

  it("cleanup does not delete through a folder symlink put where the database folder was", async () => {
    repo = makeRepo();
    const outside = outsideFolderWith(repo, "outside", "victim");
    configure(repo, { databases: [{ path: "data/{name}.db" }] });
    const made = json<CreateResult>(await runWt(repo.main, ["create", "101", "--json"]));
    const data = path.join(made.path, "data");
    for (const f of readdirSync(data)) rmSync(path.join(data, f));
    rmSync(data, { recursive: true });
    symlinkSync(outside, data);
    const clean = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).toMatch(/not deleting .*issue-101\.db separately/);
    expect(readFileSync(path.join(outside, "issue-101.db"), "utf8")).toBe("victim");
    expect(existsSync(made.path)).toBe(false);
  });

  it("two databases per worktree, each in the env file, wt env and status with sizes", async () => {
    repo = makeRepo();
    configure(repo, {
      databases: [{ path: "data/app-{name}.db", env: "APP_DB" }, { path: "data/{name}.duckdb" }],
    });
    const run = await runWt(repo.main, ["create", "7", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CreateResult>(run);
    expect(doc.databases.map((d) => [d.engine, d.env])).toEqual([
      ["sqlite", "APP_DB"],
      ["duckdb", "DUCKDB_PATH"],
    ]);
    const env = json<Record<string, string>>(await runWt(repo.main, ["env", "7", "--format", "json"]));
    expect(env.APP_DB).toBe(path.join(doc.path, "data", "app-issue-7.db"));
    expect(env.DUCKDB_PATH).toBe(path.join(doc.path, "data", "issue-7.duckdb"));
    const status = json<StatusResult>(await runWt(repo.main, ["status", "7", "--json"]));
    const sizes = status.worktrees[0]?.databases.map((d) => d.size) ?? [];
    expect(sizes).toHaveLength(2);
    for (const s of sizes) expect(s).toBeGreaterThan(0);
    expect(gitStatus(doc.path)).toBe("");
    expect(await duckdbOpens(env.DUCKDB_PATH as string)).toBe(true);
  });
});

function gitStatus(cwd: string): string {
  return execFileSync("git", ["status", "--porcelain"], { cwd, encoding: "utf8" }).trim();
}

async function duckdbOpens(file: string): Promise<boolean> {
  const instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  const c = await instance.connect();
  await c.run("SELECT 1");
  c.closeSync();
  instance.closeSync();
  return true;
}

describe("DuckDB databases (seed 004)", () => {
  it("refuses a template a live writer holds (exit 4 with its pid), then copies the rows from its .wal", async () => {
    repo = makeRepo({ name: "fagligfredag" });
    configure(repo, {
      worktreeDir: "../{repo}-{name}",
      databases: [{ path: "data/nyc_taxi.duckdb", template: "data/nyc_taxi.duckdb" }],
    });
    mkdirSync(path.join(repo.main, "data"));
    const template = path.join(repo.main, "data", "nyc_taxi.duckdb");
    const writer = await startWriter(repo.root, "duck-writer", duckdbWriter(template, 1000));
    writers.push(writer);

    const busy = await runWt(repo.main, ["create", "feature-api", "--json"]);
    expect(busy.code).toBe(4);
    const message = json<ErrorJson>(busy).error.message;
    expect(message).toContain(template);
    expect(message).toContain(`pid ${writer.pid}`);
    expect(existsSync(path.join(repo.root, "fagligfredag-feature-api"))).toBe(false);

    // A crashed writer leaves its rows in the .wal file only.
    await writer.kill();
    writers = [];
    expect(existsSync(`${template}.wal`)).toBe(true);

    const a = await runWt(repo.main, ["create", "feature-api", "--json"]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runWt(repo.main, ["create", "feature-tests", "--json"]);
    expect(b.code, b.stderr).toBe(0);
    const dbA = json<CreateResult>(a).databases[0]?.path as string;
    const dbB = json<CreateResult>(b).databases[0]?.path as string;
    expect(dbA).toBe(path.join(repo.root, "fagligfredag-feature-api", "data", "nyc_taxi.duckdb"));
    expect(dbA).not.toBe(dbB);
    expect(json<CreateResult>(a).databases[0]?.env).toBe("DUCKDB_PATH");

    // Both copies open at once, read-write, each with every row: DuckDB's one-writer lock is per file.
    const ia = await DuckDBInstance.create(dbA);
    const ib = await DuckDBInstance.create(dbB);
    const ca = await ia.connect();
    const cb = await ib.connect();
    await ca.run("INSERT INTO trips VALUES (-1, 0)");
    const na = (await ca.runAndReadAll("SELECT count(*)::INTEGER AS n FROM trips")).getRowObjects()[0]?.n;
    const nb = (await cb.runAndReadAll("SELECT count(*)::INTEGER AS n FROM trips")).getRowObjects()[0]?.n;
    expect([na, nb]).toEqual([1001, 1000]);
    ca.closeSync();
    cb.closeSync();
    ia.closeSync();
    ib.closeSync();
    expect(await duckdbCount(template)).toBe(1000);

    const clean = await runWt(repo.main, ["cleanup", "feature-api", "feature-tests", "--json"]);
    expect(clean.code, clean.stderr).toBe(0);
    for (const f of [dbA, dbB, `${dbA}.wal`, `${dbB}.wal`]) expect(existsSync(f)).toBe(false);
    expect(existsSync(template)).toBe(true);
  });

  it("an empty DuckDB database is a real DuckDB file", async () => {
    repo = makeRepo();
    configure(repo, { databases: [{ path: "data/{name}.duckdb" }] });
    const run = await runWt(repo.main, ["create", "5", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const file = json<CreateResult>(run).databases[0]?.path as string;
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(await duckdbOpens(file)).toBe(true);
  });
});

describe("engines are optional dependencies", () => {
  it("a configured engine whose package is missing is exit 2 naming the package", async () => {
    repo = makeRepo();
    configure(repo, { databases: [{ path: "data/{name}.duckdb" }] });
    // A copy of the built package whose node_modules lacks both engines.
    const bin = builtCopyWithout(repo.root, ["better-sqlite3", "@duckdb"]);
    const run = await runWtWith(bin, repo.main, ["create", "101", "--json"]);
    expect(run.code).toBe(2);
    const error = json<ErrorJson>(run).error;
    expect(error.code).toBe("missing-package");
    expect(error.message).toContain("@duckdb/node-api");
    // This copy lies in no node_modules: a contributor's checkout, whose dev dependencies have it.
    expect(error.hint).toContain("@duckdb/node-api");
    expect(error.hint).toContain("npm ci");
    expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
  });
});
