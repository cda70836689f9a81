import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import {
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  WT_BIN,
  wtJson,
} from "../helpers/repo.js";

/**
 * Issue 9, item 2: git's repository-locating variables (`GIT_DIR`, `GIT_WORK_TREE`,
 * `GIT_INDEX_FILE`, ...) in wt's environment never reach the git, hooks, init commands or
 * `wt run` children wt starts: they run in the folder wt names and find the repository there.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

function setUp(extra: Record<string, unknown> = {}): TestRepo {
  repo = makeRepo({ files: { "f.txt": "one\n" } });
  repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47100 }, portSlots: 10, ...extra }));
  repo.commitAll("config");
  return repo;
}

async function dirtyWorktree(): Promise<string> {
  const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
  writeFileSync(path.join(made.path, "f.txt"), "one\nedited\n");
  writeFileSync(path.join(made.path, "new.txt"), "mine\n");
  return made.path;
}

describe("GIT_WORK_TREE / GIT_DIR in the environment", () => {
  it("GIT_WORK_TREE=<main> wt cleanup 1 refuses (exit 5) a worktree with ` M f.txt` and `?? new.txt`", async () => {
    setUp();
    const wt = await dirtyWorktree();
    const run = await runWt(repo.main, ["cleanup", "1", "--json"], { GIT_WORK_TREE: repo.main });
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files?.sort()).toEqual(["f.txt", "new.txt"]);
    expect(readFileSync(path.join(wt, "f.txt"), "utf8")).toBe("one\nedited\n");
    expect(existsSync(path.join(wt, "new.txt"))).toBe(true);
  });

  it("GIT_DIR and GIT_WORK_TREE together (and GIT_INDEX_FILE) do not hide the changes either", async () => {
    setUp();
    const wt = await dirtyWorktree();
    const env = {
      GIT_DIR: path.join(repo.main, ".git"),
      GIT_WORK_TREE: repo.main,
      GIT_INDEX_FILE: path.join(repo.main, ".git", "index"),
    };
    const status = await wtJson<StatusResult>(repo.main, ["status", "--json"], env);
    const row = status.worktrees.find((r) => r.id === "1");
    expect(row).toMatchObject({ changes: 2, dirty: true, path: wt });
    const run = await runWt(wt, ["cleanup", "1"], env);
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain(" M f.txt");
    expect(run.stderr).toContain("?? new.txt");
    expect(existsSync(path.join(wt, "new.txt"))).toBe(true);
  });
});

describe("wt run from a real git hook", () => {
  /**
   * A post-commit hook in the repository (shared by all its worktrees) that runs the built wt.
   * git runs it with GIT_INDEX_FILE (relative `.git/index` in the main worktree) and, in a
   * linked worktree, GIT_DIR=<its admin dir>.
   */
  function installHook(out: string): void {
    const script = [
      "#!/bin/sh",
      `node '${WT_BIN}' status --json > '${out}/status.json' 2> '${out}/status.err'; echo $? > '${out}/status.rc'`,
      // git runs this hook with the test's own environment: trusted through WT_TRUST, not the store.
      `WT_TRUST=1 node '${WT_BIN}' create 2 --json > '${out}/create.json' 2> '${out}/create.err'; echo $? > '${out}/create.rc'`,
      `node '${WT_BIN}' run 2 -- git rev-parse --show-toplevel > '${out}/run.out' 2> '${out}/run.err'`,
      "",
    ].join("\n");
    const hook = path.join(repo.main, ".git", "hooks", "post-commit");
    writeFileSync(hook, script);
    chmodSync(hook, 0o755);
  }

  const read = (out: string, f: string) => readFileSync(path.join(out, f), "utf8");

  async function checkHookRuns(out: string, committedIn: string): Promise<void> {
    expect(read(out, "status.rc").trim(), read(out, "status.err")).toBe("0");
    expect(read(out, "create.rc").trim(), read(out, "create.err")).toBe("0");
    const made = JSON.parse(read(out, "create.json")) as CreateResult;
    const wt2 = path.join(repo.root, "app-worktrees", "issue-2");
    expect(made).toMatchObject({ created: true, path: wt2, branch: "feature/issue-2" });
    // The hook's postCreate saw the new worktree as its repository, and so did `wt run`.
    expect(read(out, "toplevel-2.txt").trim()).toBe(wt2);
    expect(read(out, "run.out").trim(), read(out, "run.err")).toBe(wt2);
    const status = JSON.parse(read(out, "status.json")) as StatusResult;
    expect(status.main).toBe(repo.main);
    // Neither the worktree the commit ran in nor the new one was touched through the hook's index.
    expect(gitSync(committedIn, "status", "--porcelain")).toBe("");
    expect(gitSync(wt2, "status", "--porcelain")).toBe("");
    expect(gitSync(wt2, "rev-parse", "--abbrev-ref", "HEAD")).toBe("feature/issue-2");
    const after = await wtJson<StatusResult>(repo.main, ["status", "--json"]);
    expect(after.worktrees.map((r) => [r.id, r.changes])).toEqual(
      after.worktrees.map((r) => [r.id, 0]), // every row clean, none unknown
    );
  }

  function hookConfig(out: string) {
    return { hooks: { postCreate: [`git rev-parse --show-toplevel > "${out}/toplevel-$WT_ID.txt"`] } };
  }

  it("post-commit in a linked worktree (GIT_DIR=<admin dir>, GIT_INDEX_FILE) runs wt status, create, run", async () => {
    setUp();
    const out = path.join(repo.root, "hook-out");
    gitSync(repo.root, "init", "-q", out); // any folder; a repository so nothing walks up from it
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47100 }, portSlots: 10, ...hookConfig(out) }));
    repo.commitAll("hook config");
    trustRepo(repo.main);
    const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    installHook(out);
    writeFileSync(path.join(made.path, "f.txt"), "one\ncommitted in 1\n");
    gitSync(made.path, "commit", "-q", "-am", "commit in worktree 1");
    await checkHookRuns(out, made.path);
    const status = JSON.parse(read(out, "status.json")) as StatusResult;
    expect(status.worktrees.find((r) => r.id === "1")).toMatchObject({ changes: 0, path: made.path });
  });

  it("post-commit in the main worktree (GIT_INDEX_FILE=.git/index) runs wt create", async () => {
    setUp();
    const out = path.join(repo.root, "hook-out");
    gitSync(repo.root, "init", "-q", out);
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47100 }, portSlots: 10, ...hookConfig(out) }));
    repo.commitAll("hook config");
    trustRepo(repo.main);
    installHook(out);
    repo.write("f.txt", "one\ntwo\n");
    repo.commitAll("commit in main");
    await checkHookRuns(out, repo.main);
  });
});
