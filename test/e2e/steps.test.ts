import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import { startWt, waitUntil } from "../helpers/footprint.js";
import {
  builtCopyWithout,
  type ErrorJson,
  json,
  makeRepo,
  runWt,
  runWtWith,
  type TestRepo,
  trustRepo,
} from "../helpers/repo.js";

/**
 * Every verb is a step list run by one executor: `--verbose` names each step as it runs and
 * `--dry-run` lists those very steps. Cleanup's hooks run outside the repository lock.
 * Ports 46xxx are this file's.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

/** The step names `--verbose` printed (`  · <title>` lines on stderr). */
function verboseSteps(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("  · "))
    .map((l) => l.slice(4));
}

function setUp(config: object): TestRepo {
  const r = makeRepo();
  r.write(".gitignore", "node_modules/\n.env\nfixtures/\n*.orig\n");
  r.write(".worktreeinclude", "node_modules/\n.env\nfixtures/\n");
  r.write("node_modules/pkg/index.js", "x\n");
  r.write("fixtures/data.csv", "a,b\n");
  r.write(".env", "SECRET=1\n");
  r.write("wt.config.json", JSON.stringify({ include: { symlink: ["node_modules"] }, ...config }));
  r.commitAll("setup");
  trustRepo(r.main);
  return r;
}

describe("steps", () => {
  it("cleanup --dry-run --json lists exactly the steps --verbose names in the real cleanup", async () => {
    repo = setUp({
      ports: { PORT: 46100 },
      databases: [{ path: "data/app.db" }],
      hooks: { preCleanup: ["true pre"], postCleanup: ["true post"] },
    });
    const made = await runWt(repo.main, ["create", "101", "--json"]);
    expect(made.code, made.stderr).toBe(0);
    const wt = json<CreateResult>(made).path;
    writeFileSync(path.join(wt, "fixtures", "data.csv"), "edited\n");
    writeFileSync(path.join(wt, "notes.txt.orig"), "user file\n");
    const dry = await runWt(repo.main, ["cleanup", "101", "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = json<CleanupResult>(dry).removed[0]?.plan ?? [];
    const real = await runWt(repo.main, ["--verbose", "cleanup", "101"]);
    expect(real.code, real.stderr).toBe(0);
    expect(verboseSteps(real.stderr)).toEqual(plan);
    // Every kind of step is there: hooks, a link, a database, the worktree, branch and record.
    expect(plan[0]).toBe("run preCleanup hook: true pre");
    expect(plan).toContain("unlink node_modules (never followed)");
    expect(plan).toContain(`delete database ${path.join(wt, "data", "app.db")} and its sidecars`);
    expect(plan).toContain(`remove worktree ${wt}`);
    expect(plan.at(-1)).toBe("run postCleanup hook: true post");
    expect(existsSync(wt)).toBe(false);
  });

  it("create of an existing worktree names each step with --verbose, the same that --dry-run lists", async () => {
    repo = setUp({ ports: { PORT: 46200 }, hooks: { postCreate: ["true hook"] } });
    expect((await runWt(repo.main, ["create", "101"])).code).toBe(0);
    const dry = await runWt(repo.main, ["create", "101", "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const again = await runWt(repo.main, ["--verbose", "create", "101"]);
    expect(again.code, again.stderr).toBe(0);
    const steps = verboseSteps(again.stderr);
    expect(steps).toEqual(json<CreateResult>(dry).plan);
    expect(steps).toEqual([
      expect.stringMatching(/^check worktree 101 at /),
      "restore its info/exclude entries",
      expect.stringMatching(/^rewrite \.env\.local \(\d+ variables\)$/),
    ]);
  });

  it("a fresh create --dry-run lists the steps --verbose names, its postCreate hooks included", async () => {
    repo = setUp({ ports: { PORT: 46300 }, hooks: { postCreate: ["true hook"] } });
    const dry = await runWt(repo.main, ["create", "101", "--dry-run", "--json"]);
    const real = await runWt(repo.main, ["--verbose", "create", "101"]);
    expect(real.code, real.stderr).toBe(0);
    expect(verboseSteps(real.stderr)).toEqual(json<CreateResult>(dry).plan);
  });

  it("preCleanup hooks run outside the lock: while one runs, another create goes ahead and the same id is exit 4 in-progress", async () => {
    repo = setUp({
      ports: { PORT: 46400 },
      hooks: {
        preCleanup: ['touch "$WT_MAIN/../hook-started"; while [ ! -e "$WT_MAIN/../hook-go" ]; do sleep 0.05; done'],
      },
    });
    expect((await runWt(repo.main, ["create", "101"])).code).toBe(0);
    const started = path.join(repo.root, "hook-started");
    const cleanup = startWt(repo.main, ["cleanup", "101", "--json"]);
    await waitUntil(() => existsSync(started), "the preCleanup hook to start", cleanup);
    // The lock is free while the hook runs: a 1-second lock wait would fail with lock-busy.
    const other = await runWt(repo.main, ["create", "102", "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(other.code, other.stderr).toBe(0);
    for (const args of [
      ["cleanup", "101", "--json"],
      ["create", "101", "--json"],
      ["cleanup", "101", "--force", "--json"],
    ]) {
      const busy = await runWt(repo.main, args, { WT_LOCK_TIMEOUT: "1" });
      expect(busy.code, busy.stderr).toBe(4);
      expect(json<ErrorJson>(busy).error.code).toBe("in-progress");
    }
    writeFileSync(path.join(repo.root, "hook-go"), "");
    const { code } = await cleanup.exit;
    expect(code, cleanup.stderr()).toBe(0);
    expect(JSON.parse(cleanup.stdout()).removed[0].id).toBe("101");
    const status = await runWt(repo.main, ["status", "--json"]);
    expect(status.stdout).not.toContain('"101"');
  });

  it("a preCleanup hook that fails leaves the worktree as it was (not marked removing)", async () => {
    repo = setUp({ ports: { PORT: 46500 }, hooks: { preCleanup: ["exit 3"] } });
    expect((await runWt(repo.main, ["create", "101"])).code).toBe(0);
    const failed = await runWt(repo.main, ["cleanup", "101"]);
    expect(failed.code, failed.stderr).toBe(6);
    const status = await runWt(repo.main, ["status", "101", "--json"]);
    expect(JSON.parse(status.stdout).worktrees[0].state).toBe("ok");
    expect((await runWt(repo.main, ["cleanup", "101", "--no-hooks"])).code).toBe(0);
  });

  it("a configured engine whose package is missing fails the --dry-run too, before anything exists", async () => {
    // DuckDB: a package on every Node (SQLite is built into Node >= 22.13 as node:sqlite).
    repo = setUp({ ports: { PORT: 46600 }, databases: [{ path: "data/app.duckdb" }] });
    const bin = builtCopyWithout(repo.root, ["better-sqlite3", "@duckdb"]);
    const run = await runWtWith(bin, repo.main, ["create", "101", "--dry-run", "--json"]);
    expect(run.code, run.stderr).toBe(2);
    expect(json<ErrorJson>(run).error.code).toBe("missing-package");
  });
});
