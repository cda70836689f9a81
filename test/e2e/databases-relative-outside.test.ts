import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { json, makeRepo, runWt, type TestRepo } from "../helpers/repo.js";

/**
 * A database path relative to the worktree may leave it (`../dbs/{name}.sqlite`, issue 14
 * item 5) under the rules of an absolute one: {id} or {name} required, never in the main
 * worktree, never replacing a file wt did not make. A committed config cannot carry one
 * machine's absolute path. Port base 42900.
 */

let repo: TestRepo;
afterEach(() => repo?.remove());

function configure(dbPath: string, worktreeDir?: string): void {
  repo = makeRepo();
  const config = { ports: { PORT: 42900 }, databases: [{ path: dbPath }], ...(worktreeDir ? { worktreeDir } : {}) };
  repo.write("wt.config.json", JSON.stringify(config));
  repo.commitAll("config");
}

const SQLITE_MAGIC = "SQLite format 3\u0000";

describe("a database path relative to the worktree that leaves it", () => {
  it("../dbs/{name}.sqlite is made beside the worktrees (a real SQLite file), in the env, and removed by cleanup", async () => {
    configure("../dbs/{name}.sqlite");
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const target = path.join(repo.root, "app-worktrees", "dbs", "issue-101.sqlite");
    const doc = json<{ databases: { path: string }[] }>(run);
    expect(doc.databases.map((d) => d.path)).toEqual([target]);
    expect(readFileSync(target).subarray(0, 16).toString("latin1")).toBe(SQLITE_MAGIC);
    const env = await runWt(repo.main, ["env", "101", "--format", "dotenv"]);
    expect(env.stdout).toContain(`DATABASE_PATH=${target}`);
    const cleanup = await runWt(repo.main, ["cleanup", "101"]);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it("a detached worktree moved with git worktree move: cleanup refuses (exit 3) and its database outside stays; doctor follows the move", async () => {
    configure("../dbs/{name}.sqlite");
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const made = json<{ path: string }>(run).path;
    const db = path.join(repo.root, "app-worktrees", "dbs", "issue-101.sqlite");
    repo.git("-C", made, "switch", "-q", "--detach");
    const moved = path.join(repo.root, "elsewhere");
    repo.git("worktree", "move", made, moved);
    const cleanup = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(cleanup.code, cleanup.stderr).toBe(3);
    expect(json<{ error: { message: string } }>(cleanup).error.message).toContain(`detached, at ${moved}`);
    expect(existsSync(db)).toBe(true);
    const fixed = await runWt(repo.main, ["doctor", "--fix", "--json"]);
    expect(json<{ checks: { check: string; fix: { applied: boolean } | null }[] }>(fixed).checks).toContainEqual(
      expect.objectContaining({ check: "moved", fix: expect.objectContaining({ applied: true }) }),
    );
    const gone = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(existsSync(db)).toBe(false);
    expect(existsSync(moved)).toBe(false);
  });

  it("without {id} or {name} it is exit 2, as an absolute path is", async () => {
    configure("../dbs/shared.sqlite");
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(run.code).toBe(2);
    expect(json<{ error: { message: string } }>(run).error.message).toMatch(
      /databases\[0\]\.path.*without \{id\} or \{name\}/,
    );
  });

  it("one that lands in the main worktree is exit 2; one on a file wt did not make is exit 3 and the file is kept", async () => {
    // The worktrees sit inside the main worktree's parent; ../../app/ leads back into it.
    configure("../../app/data-{name}.sqlite");
    const inMain = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(inMain.code, inMain.stderr).toBe(2);
    expect(json<{ error: { message: string } }>(inMain).error.message).toMatch(/inside the main worktree/);
    repo.remove();

    configure("../dbs/{name}.sqlite");
    const dbs = path.join(repo.root, "app-worktrees", "dbs");
    mkdirSync(dbs, { recursive: true });
    writeFileSync(path.join(dbs, "issue-101.sqlite"), "mine");
    const taken = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(taken.code, taken.stderr).toBe(3);
    expect(readFileSync(path.join(dbs, "issue-101.sqlite"), "utf8")).toBe("mine");
    expect(existsSync(path.join(repo.root, "app-worktrees", "issue-101"))).toBe(false);
  });
});
