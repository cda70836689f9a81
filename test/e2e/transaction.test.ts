import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GIT_ENV, json, makeRepo, runWt, type TestRepo, WT_BIN } from "../helpers/repo.js";

let repo: TestRepo;
afterEach(() => repo?.remove());

/** Everything a create leaves behind, to compare before and after a failed one. */
function footprint(r: TestRepo) {
  const stateDir = path.join(r.main, ".git", "wt", "worktrees");
  return {
    branches: r.git("branch", "--format=%(refname:short)").split("\n").sort(),
    worktrees: r
      .git("worktree", "list", "--porcelain")
      .split("\n")
      .filter((l) => l.startsWith("worktree ")),
    records: existsSync(stateDir) ? readdirSync(stateDir).sort() : [],
    exclude: existsSync(path.join(r.main, ".git", "info", "exclude"))
      ? readFileSync(path.join(r.main, ".git", "info", "exclude"), "utf8").replace(/\n+$/, "")
      : "",
    folders: existsSync(path.join(r.root, "app-worktrees")) ? readdirSync(path.join(r.root, "app-worktrees")) : [],
  };
}

describe("create is a transaction", () => {
  it("a failing init rolls back branch, folder, registration, record, excludes and database", async () => {
    repo = makeRepo({ origin: true });
    repo.write(
      "wt.config.json",
      JSON.stringify({ databases: [{ path: "data/{name}.db", init: "echo init-output >&2; exit 7" }] }),
    );
    repo.commitAll("config");
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--no-fetch"]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("init-output");
    expect(run.stderr).toMatch(/exit code 7/);
    expect(footprint(repo)).toEqual(before);
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
    const before = footprint(repo);
    const child = spawn(process.execPath, [WT_BIN, "create", "101", "--no-fetch"], {
      cwd: repo.main,
      env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // Wait until the init command is running: the marker file is the observable signal.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 30_000;
      const poll = () => {
        if (existsSync(marker)) resolve();
        else if (Date.now() > deadline) reject(new Error(`init never started:\n${stderr}`));
        else setTimeout(poll, 20);
      };
      poll();
    });
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/rolled back|rolling back/);
    expect(footprint(repo)).toEqual(before);
  });
});

describe("repository lock", () => {
  it("waits for a live lock and gives exit 4 after WT_LOCK_TIMEOUT", async () => {
    repo = makeRepo();
    mkdirSync(path.join(repo.main, ".git", "wt", "repo.lock"), { recursive: true });
    const run = await runWt(repo.main, ["create", "101", "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(run.code).toBe(4);
    expect(json<{ error: { code: string } }>(run).error.code).toBe("lock-busy");
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
    expect(json<{ warnings: string[] }>(run).warnings.join("\n")).toMatch(/took over/);
  });
});
