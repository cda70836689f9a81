import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { footprint, startWt, waitUntil } from "../helpers/footprint.js";
import { type ErrorJson, json, makeRepo, runWt, type TestRepo, trustRepo } from "../helpers/repo.js";

let repo: TestRepo;
afterEach(() => repo?.remove());

describe("create is a transaction", () => {
  it("a failing init rolls back branch, folder, registration, record, excludes and database", async () => {
    repo = makeRepo({ origin: true });
    repo.write(
      "wt.config.json",
      JSON.stringify({ databases: [{ path: "data/{name}.db", init: "echo init-output >&2; exit 7" }] }),
    );
    repo.commitAll("config");
    trustRepo(repo.main);
    const before = footprint(repo.main);
    const run = await runWt(repo.main, ["create", "101", "--no-fetch"]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("init-output");
    expect(run.stderr).toMatch(/exit code 7/);
    expect(footprint(repo.main)).toEqual(before);
    expect(existsSync(path.join(repo.root, "app-worktrees", "issue-101"))).toBe(false);
  });

  it("SIGINT while init runs exits 130 and leaves nothing that run made", async () => {
    repo = makeRepo({ origin: true });
    const marker = path.join(repo.root, "init-started");
    repo.write(
      "wt.config.json",
      JSON.stringify({ databases: [{ path: "data/{name}.db", init: `touch '${marker}'; sleep 30` }] }),
    );
    repo.commitAll("config");
    trustRepo(repo.main);
    const before = footprint(repo.main);
    const run = startWt(repo.main, ["create", "101", "--no-fetch"]);
    // Wait until the init command is running: the marker file is the observable signal.
    await waitUntil(() => existsSync(marker), "init to start", run, 30_000);
    run.child.kill("SIGINT");
    expect((await run.exit).code).toBe(130);
    expect(run.stderr()).toMatch(/rolled back|rolling back/);
    expect(footprint(repo.main)).toEqual(before);
  });
});

describe("repository lock", () => {
  it("waits for a live lock and gives exit 4 after WT_LOCK_TIMEOUT", async () => {
    repo = makeRepo();
    mkdirSync(path.join(repo.main, ".git", "wt", "repo.lock"), { recursive: true });
    const run = await runWt(repo.main, ["create", "101", "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(run.code).toBe(4);
    expect(json<ErrorJson>(run).error.code).toBe("lock-busy");
    expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
  });

  it("takes over a lock its holder stopped refreshing, with a warning", async () => {
    repo = makeRepo();
    const lock = path.join(repo.main, ".git", "wt", "repo.lock");
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    // What a SIGKILLed holder leaves: the lock folder and its owner note.
    writeFileSync(
      path.join(repo.main, ".git", "wt", "repo.lock-owner.json"),
      JSON.stringify({ pid: 999999, purpose: "wt create 7", since: old.toISOString() }),
    );
    const run = await runWt(repo.main, ["create", "101", "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/took over a repository lock .*pid 999999, wt create 7/);
    expect(json<CreateResult>(run).warnings.join("\n")).toMatch(/took over/);
  });
});
