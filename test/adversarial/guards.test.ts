import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import { footprint, type Started, startWt, waitUntil } from "../helpers/footprint.js";
import {
  branchExists,
  type ErrorJson,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  worktreePaths,
  worktreesDir,
} from "../helpers/repo.js";
import { duckdbWriter, startWriter } from "../helpers/writers.js";

/**
 * Guards that other tests pass without: each test here fails when the guard it names is
 * taken out of the built code.
 */
let repo: TestRepo;
let started: Started[] = [];
let gate: string | null = null;
afterEach(async () => {
  // Let a create held at its gate finish, so nothing keeps running after the test.
  if (gate && existsSync(gate)) writeFileSync(path.join(gate, "release"), "");
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
    await s.exit;
  }
  started = [];
  gate = null;
  repo?.remove();
});

describe("include.symlink of node_modules", () => {
  const symlinkWarning = /node_modules is a symlink to the main worktree's: an install \(npm\/pnpm\/yarn\)/;

  function setup(symlink: string[]) {
    repo = makeRepo({
      files: {
        ".gitignore": "node_modules/\n",
        ".worktreeinclude": "node_modules/\n",
        "wt.config.json": JSON.stringify({ include: { symlink } }),
      },
    });
    repo.write("node_modules/left-pad/index.js", "module.exports = 1;\n");
  }

  it("a symlinked node_modules is warned about on stderr and in --json warnings", async () => {
    setup(["node_modules"]);
    const plain = await runWt(repo.main, ["create", "101"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(new RegExp(`warning: ${symlinkWarning.source}`));

    const run = await runWt(repo.main, ["create", "102", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CreateResult>(run);
    expect(doc.included).toEqual([{ path: "node_modules", mode: "symlink" }]);
    expect(doc.warnings.filter((w) => symlinkWarning.test(w))).toHaveLength(1);
    expect(run.stderr).toMatch(symlinkWarning);
  });

  it("a copied node_modules gives no such warning", async () => {
    setup([]);
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CreateResult>(run);
    expect(doc.included).toEqual([{ path: "node_modules", mode: "copy" }]);
    expect(doc.warnings).toEqual([]);
    expect(run.stderr).not.toMatch(/symlink/);
  });
});

describe("create and cleanup of one id take the repository lock", () => {
  const id = "101";
  const folder = () => path.join(worktreesDir(repo.main), "issue-101");
  const record = () => path.join(repo.main, ".git", "wt", "worktrees", "101.json");
  const dbFile = () => path.join(folder(), "data", "issue-101.db");
  /** Worktree, registration, record, branch and database: which of them exist. */
  const state = () => [
    existsSync(folder()),
    worktreePaths(repo.main).includes(folder()),
    existsSync(record()),
    branchExists(repo.main, "feature/issue-101"),
    existsSync(dbFile()),
  ];

  /**
   * A create held inside its plan, and so inside the repository lock: the database `init`
   * touches `gate/started`, then waits for `gate/release` (or for the test folder to go).
   */
  async function heldCreate(): Promise<Started> {
    repo = makeRepo();
    gate = path.join(repo.root, "gate");
    mkdirSync(gate);
    const init = `touch '${gate}/started'; while [ -d '${gate}' ] && [ ! -e '${gate}/release' ]; do sleep 0.05; done`;
    repo.write(".gitignore", "data/\n");
    repo.write("wt.config.json", JSON.stringify({ databases: [{ path: "data/{name}.db", init }] }));
    repo.commitAll("config");
    trustRepo(repo.main);
    const create = startWt(repo.main, ["create", id, "--json"]);
    started.push(create);
    await waitUntil(() => existsSync(path.join(gate as string, "started")), "create's database init", create);
    // Half-made: everything but the ready mark is there.
    expect(state()).toEqual([true, true, true, true, true]);
    return create;
  }

  const extra = () => [folder(), path.join(folder(), ".git"), path.join(folder(), ".env.local"), dbFile()];

  it("a cleanup with WT_LOCK_TIMEOUT=1 exits 4 naming the create, and removes nothing", async () => {
    const create = await heldCreate();
    const before = footprint(repo.main, { extra: extra(), worktreeDetails: true });
    const busy = await runWt(repo.main, ["cleanup", id, "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(busy.code, busy.stderr).toBe(4);
    const error = json<ErrorJson>(busy).error;
    expect(error.code).toBe("lock-busy");
    expect(error.message).toContain(`pid ${create.child.pid}, wt create ${id}`);
    // It said it was waiting, and for whom, rather than sitting silent.
    expect(busy.stderr).toMatch(
      new RegExp(
        `waiting for another wt to release the repository lock \\(pid ${create.child.pid}, wt create ${id}, since [^)]+\\), up to 1 s`,
      ),
    );
    expect(footprint(repo.main, { extra: extra(), worktreeDetails: true })).toEqual(before);

    writeFileSync(path.join(gate as string, "release"), "");
    const done = await create.exit;
    expect(done.code, create.stderr()).toBe(0);
    expect(JSON.parse(create.stdout()).created).toBe(true);
    expect(state()).toEqual([true, true, true, true, true]);
  });

  it("a cleanup waits for a create holding the lock, then removes the whole finished worktree", async () => {
    const create = await heldCreate();
    const before = footprint(repo.main, { extra: extra(), worktreeDetails: true });
    const trace = path.join(repo.root, "cleanup-git-trace");
    const cleanup = startWt(repo.main, ["cleanup", id, "--json"], { GIT_TRACE: trace });
    started.push(cleanup);
    let cleanupExited = false;
    void cleanup.exit.then(() => {
      cleanupExited = true;
    });
    const traced = () => (existsSync(trace) ? readFileSync(trace, "utf8") : "");
    // Its session is open (it found the repository); the lock comes next.
    await waitUntil(() => traced().includes("rev-parse"), "cleanup to find the repository", cleanup);
    // A clock that is wt's own: a second cleanup gives up after 2 s of a held lock.
    const clock = await runWt(repo.main, ["cleanup", id, "--json"], { WT_LOCK_TIMEOUT: "2" });
    expect(clock.code, clock.stderr).toBe(4);
    // Meanwhile the first cleanup is still waiting and has not even listed the worktrees.
    expect(cleanupExited, cleanup.stderr()).toBe(false);
    expect(traced()).not.toMatch(/worktree (list|remove)/);
    expect(footprint(repo.main, { extra: extra(), worktreeDetails: true })).toEqual(before);

    writeFileSync(path.join(gate as string, "release"), "");
    const made = await create.exit;
    expect(made.code, create.stderr()).toBe(0);
    expect(JSON.parse(create.stdout()).created).toBe(true);
    const cleaned = await cleanup.exit;
    expect(cleaned.code, cleanup.stderr()).toBe(0);
    expect(JSON.parse(cleanup.stdout()) as CleanupResult).toMatchObject({
      removed: [{ id, path: folder(), branchDeleted: true }],
    });
    expect(state()).toEqual([false, false, false, false, false]);
    expect(repo.git("worktree", "list", "--porcelain")).not.toContain("issue-101");
  });
});

describe("wt cleanup --no-hooks", () => {
  it("runs neither preCleanup nor postCleanup; plain cleanup runs both", async () => {
    repo = makeRepo();
    // Markers outside the worktree: a file inside it would be uncommitted work.
    repo.write(
      "wt.config.json",
      JSON.stringify({
        hooks: {
          preCleanup: ['touch "$WT_MAIN/../pre-$WT_ID"'],
          postCleanup: ['touch "$WT_MAIN/../post-$WT_ID"'],
        },
      }),
    );
    repo.commitAll("hooks");
    trustRepo(repo.main);
    const marker = (kind: string, id: string) => path.join(repo.root, `${kind}-${id}`);
    for (const id of ["101", "102"]) expect((await runWt(repo.main, ["create", id])).code).toBe(0);

    const skipped = await runWt(repo.main, ["cleanup", "101", "--no-hooks"]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(existsSync(path.join(worktreesDir(repo.main), "issue-101"))).toBe(false);
    expect(existsSync(marker("pre", "101"))).toBe(false);
    expect(existsSync(marker("post", "101"))).toBe(false);

    const plain = await runWt(repo.main, ["cleanup", "102"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(existsSync(path.join(worktreesDir(repo.main), "issue-102"))).toBe(false);
    expect(existsSync(marker("pre", "102"))).toBe(true);
    expect(existsSync(marker("post", "102"))).toBe(true);
  });
});

describe("a stale DuckDB .wal at a database target", () => {
  it("is removed before the new database is written: the new database opens with no tables", async () => {
    repo = makeRepo();
    const outside = path.join(repo.root, "dbs");
    mkdirSync(outside);
    const target = path.join(outside, "issue-101.duckdb");
    // A real WAL, not garbage (DuckDB 1.5 skips a garbage one but replays a valid one onto
    // whatever file it sits beside): the rows a killed writer of another database left.
    const other = path.join(repo.root, "other.duckdb");
    const writer = await startWriter(repo.root, "duck-writer", duckdbWriter(other, 100));
    await writer.kill();
    const stale = readFileSync(`${other}.wal`);
    expect(stale.length).toBeGreaterThan(0);
    writeFileSync(`${target}.wal`, stale);
    repo.write("wt.config.json", JSON.stringify({ databases: [{ path: `${outside}/{name}.duckdb` }] }));
    repo.commitAll("config");

    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CreateResult>(run).databases).toEqual([
      { engine: "duckdb", path: target, env: "DUCKDB_PATH", source: "empty" },
    ]);
    const leftover = existsSync(`${target}.wal`) ? readFileSync(`${target}.wal`) : null;
    expect(leftover?.equals(stale) ?? false, "the stale .wal is still beside the new database").toBe(false);

    const instance = await DuckDBInstance.create(target, {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    try {
      const c = await instance.connect();
      const tables = (await c.runAndReadAll("SELECT table_name FROM information_schema.tables")).getRowObjects();
      c.closeSync();
      expect(tables).toEqual([]);
    } finally {
      instance.closeSync();
    }
  });
});

describe("Ctrl-C during postCreate hooks when the rollback cannot take the lock", () => {
  it("still exits 130, says the worktree is left incomplete, and cleanup removes it later", async () => {
    repo = makeRepo();
    gate = path.join(repo.root, "gate");
    mkdirSync(gate);
    const g = gate;
    // Worktree 1's hook signals and sleeps; worktree 2's init holds the lock until released.
    const hook = `if [ "$WT_ID" = 1 ]; then touch '${g}/hook-1'; sleep 30; fi`;
    const init = `if [ "$WT_ID" = 2 ]; then touch '${g}/started'; while [ -d '${g}' ] && [ ! -e '${g}/release' ]; do sleep 0.05; done; fi`;
    repo.write(".gitignore", "data/\n");
    repo.write(
      "wt.config.json",
      JSON.stringify({ databases: [{ path: "data/{name}.db", init }], hooks: { postCreate: [hook] } }),
    );
    repo.commitAll("config");
    trustRepo(repo.main);
    const one = startWt(repo.main, ["create", "1", "--json"], { WT_LOCK_TIMEOUT: "1" });
    started.push(one);
    await waitUntil(() => existsSync(path.join(g, "hook-1")), "worktree 1's postCreate hook", one);
    const two = startWt(repo.main, ["create", "2", "--json"]);
    started.push(two);
    await waitUntil(() => existsSync(path.join(g, "started")), "worktree 2 holding the lock", two);
    one.child.kill("SIGINT");
    const { code } = await one.exit;
    expect(code, one.stderr()).toBe(130);
    const error = JSON.parse(one.stdout()).error as ErrorJson["error"];
    expect(error.message).toMatch(/rollback could not run .*worktree 1 is left incomplete/);
    expect(error.hint).toBe("run `wt cleanup 1` to remove it");

    writeFileSync(path.join(g, "release"), "");
    expect((await two.exit).code, two.stderr()).toBe(0);
    const clean = await runWt(repo.main, ["cleanup", "1"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(branchExists(repo.main, "feature/issue-1")).toBe(false);
  });
});
