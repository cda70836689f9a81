import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { statusMany } from "../../src/git/status.js";
import type { CleanupResult, CreateResult, StatusResult } from "../../src/index.js";
import {
  type ErrorJson,
  gitOk,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  worktreePaths,
  wtJson,
} from "../helpers/repo.js";

/**
 * Issue 9, item 3: a worktree whose `.git` file is gone, or leads somewhere else, is never
 * checked against an enclosing repository. With `worktreeDir: "trees/{id}"` (inside the main
 * worktree) git run in such a folder finds the main repository above it, where the folder is
 * ignored: "no changes", and cleanup deleted the user's work.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

async function brokenSetUp(): Promise<{ wt: string; record: string }> {
  repo = makeRepo();
  repo.write("wt.config.json", JSON.stringify({ worktreeDir: "trees/{id}", ports: { PORT: 47200 }, portSlots: 10 }));
  repo.commitAll("config");
  const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
  writeFileSync(path.join(made.path, "README.md"), "# test repo\nedited in the worktree\n");
  writeFileSync(path.join(made.path, "untracked.txt"), "mine\n");
  return { wt: made.path, record: path.join(repo.main, ".git", "wt", "worktrees", "1.json") };
}

function expectUntouched(wt: string, record: string): void {
  expect(readFileSync(path.join(wt, "README.md"), "utf8")).toContain("edited in the worktree");
  expect(existsSync(path.join(wt, "untracked.txt"))).toBe(true);
  expect(existsSync(record)).toBe(true);
  expect(worktreePaths(repo.main)).toContain(wt);
}

describe("a worktree whose .git file is gone", () => {
  it("rm trees/1/.git; wt cleanup 1 deletes nothing, exit 3 with `git worktree repair` as the next step", async () => {
    const { wt, record } = await brokenSetUp();
    rmSync(path.join(wt, ".git"));
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const error = json<ErrorJson>(run).error;
    expect(error.code).toBe("broken-worktree");
    expect(error.message).toContain(".git");
    expect(error.hint).toContain(`git worktree repair ${wt}`);
    expectUntouched(wt, record);
  });

  it("wt create 1 again writes nothing into it and exits 3", async () => {
    const { wt, record } = await brokenSetUp();
    rmSync(path.join(wt, ".git"));
    rmSync(path.join(wt, ".env.local"));
    const run = await runWt(repo.main, ["create", "1", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.code).toBe("broken-worktree");
    expect(existsSync(path.join(wt, ".env.local"))).toBe(false);
    expectUntouched(wt, record);
  });

  it("wt cleanup --all skips it and deletes nothing", async () => {
    const { wt, record } = await brokenSetUp();
    rmSync(path.join(wt, ".git"));
    const run = await runWt(repo.main, ["cleanup", "--all", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = json<CleanupResult>(run);
    expect(result.removed).toEqual([]);
    expect(result.skipped.map((s) => s.id)).toEqual(["1"]);
    expectUntouched(wt, record);
  });

  it("wt status shows the row as broken with unknown changes, never changes: 0", async () => {
    const { wt } = await brokenSetUp();
    rmSync(path.join(wt, ".git"));
    const status = await wtJson<StatusResult>(repo.main, ["status", "--json"]);
    const row = status.worktrees.find((r) => r.id === "1");
    expect(row).toMatchObject({ state: "broken", changes: null, dirty: null, path: wt });
    expect(row?.reason).toContain("git worktree repair");
    const human = await runWt(repo.main, ["status"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/broken/);
  });

  it("after `git worktree repair` the same cleanup sees the changes and refuses (exit 5)", async () => {
    const { wt, record } = await brokenSetUp();
    rmSync(path.join(wt, ".git"));
    // git repairs a missing .git file (and says so on stderr with exit 1 in git 2.39).
    gitOk(repo.main, "worktree", "repair", wt);
    expect(existsSync(path.join(wt, ".git"))).toBe(true);
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files?.sort()).toEqual(["README.md", "untracked.txt"]);
    expectUntouched(wt, record);
  });

  it("the status loop's git stops at the folder (GIT_CEILING_DIRECTORIES): no answer, not the main repository's", async () => {
    const { wt } = await brokenSetUp();
    rmSync(path.join(wt, ".git"));
    // One group holding both folders runs them through the sh loop.
    const [main, broken] = await statusMany([repo.main, wt], process.env, 1);
    expect(main).not.toBeNull();
    expect(broken).toBeNull();
  });
});

describe("a worktree whose .git file leads elsewhere", () => {
  it("pointing at another worktree's admin dir: cleanup exits 3 and deletes nothing", async () => {
    const { wt, record } = await brokenSetUp();
    await wtJson<CreateResult>(repo.main, ["create", "2", "--json"]);
    const other = path.join(repo.main, ".git", "worktrees", "2");
    expect(existsSync(other)).toBe(true);
    writeFileSync(path.join(wt, ".git"), `gitdir: ${other}\n`);
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.code).toBe("broken-worktree");
    expectUntouched(wt, record);
    const status = await wtJson<StatusResult>(repo.main, ["status", "--json"]);
    expect(status.worktrees.find((r) => r.id === "1")).toMatchObject({ state: "broken", changes: null });
    expect(status.worktrees.find((r) => r.id === "2")).toMatchObject({ state: "ok", changes: 0 });
  });

  it("pointing at the main repository's .git, or a .git folder of its own: exit 3, nothing deleted", async () => {
    const { wt, record } = await brokenSetUp();
    writeFileSync(path.join(wt, ".git"), `gitdir: ${path.join(repo.main, ".git")}\n`);
    let run = await runWt(repo.main, ["cleanup", "1"]);
    expect(run.code, run.stderr).toBe(3);
    expectUntouched(wt, record);
    rmSync(path.join(wt, ".git"));
    gitSync(wt, "init", "-q");
    run = await runWt(repo.main, ["cleanup", "1"]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/is a folder/);
    expectUntouched(wt, record);
  });
});

describe("healthy worktrees are unaffected", () => {
  it("wt works from a subfolder of the main worktree and of a worktree; a clean worktree cleans up", async () => {
    const { wt } = await brokenSetUp();
    mkdirSync(path.join(repo.main, "docs", "deep"), { recursive: true });
    const fromSub = await wtJson<StatusResult>(path.join(repo.main, "docs", "deep"), ["status", "--json"]);
    expect(fromSub.main).toBe(repo.main);
    mkdirSync(path.join(wt, "sub"));
    const fromWt = await wtJson<StatusResult>(path.join(wt, "sub"), ["status", "--json"]);
    expect(fromWt.worktrees.find((r) => r.id === "1")).toMatchObject({ state: "ok", changes: 2 });
    rmSync(path.join(wt, "untracked.txt"));
    gitSync(wt, "checkout", "--", "README.md");
    const clean = await runWt(repo.main, ["cleanup", "1"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(wt)).toBe(false);
  });
});
