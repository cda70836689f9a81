import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { footprint } from "../helpers/footprint.js";
import { branchExists, type ErrorJson, json, makeRepo, runWt, type TestRepo, worktreesDir } from "../helpers/repo.js";

// Planning reads its git facts in one batch (`gatherFacts`: cat-file --batch-check) and the
// tracked-target probes of the env file up front, the databases' in a second batch: each start
// point (a new branch at the base, an existing local branch, a branch tracked from origin) must
// still refuse a tracked target before anything exists.

let repo: TestRepo;
afterEach(() => repo?.remove());

const CONFIG = { ports: { PORT: 43600 }, databases: [{ path: "data/app.sqlite" }] };

function setUp(files: Record<string, string> = {}): TestRepo {
  const r = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify(CONFIG), ...files } });
  return r;
}

function commitOnBranch(r: TestRepo, name: string, file: string): void {
  r.git("checkout", "-q", "-b", name);
  r.write(file, "TRACKED=1\n");
  r.commitAll(`commit on ${name}`);
  r.git("checkout", "-q", "main");
}

async function refused(args: string[]): Promise<ErrorJson["error"]> {
  const before = footprint(repo.main);
  const run = await runWt(repo.main, [...args, "--json"]);
  expect(run.code, run.stderr).toBe(3);
  expect(footprint(repo.main)).toEqual(before);
  expect(existsSync(path.join(worktreesDir(repo.main), "issue-101"))).toBe(false);
  return json<ErrorJson>(run).error;
}

describe("create's planning: tracked targets at every start point", () => {
  it("a base that tracks the env file: exit 3 naming it, nothing made, no branch", async () => {
    repo = setUp({ ".env.local": "TRACKED=1\n" });
    const error = await refused(["create", "101", "--no-fetch"]);
    expect(error.message).toContain("the branch tracks .env.local");
    expect(error.message).toContain("env file");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
  });

  it("an existing local branch that tracks the database path: exit 3 naming the database", async () => {
    repo = setUp();
    commitOnBranch(repo, "feature/issue-101", "data/app.sqlite");
    const error = await refused(["create", "101", "--no-fetch"]);
    expect(error.message).toContain("the branch tracks data/app.sqlite");
    expect(error.message).toContain("the database app.sqlite");
    // The branch was there before and stays as it was.
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
  });

  it("a branch only on origin that tracks the env file: exit 3, no local branch made", async () => {
    repo = setUp();
    commitOnBranch(repo, "feature/issue-101", ".env.local");
    repo.git("push", "-q", "origin", "feature/issue-101");
    repo.git("branch", "-q", "-D", "feature/issue-101");
    const error = await refused(["create", "101", "--no-fetch"]);
    expect(error.message).toContain("the branch tracks .env.local");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
  });

  it("--dry-run refuses a tracked target the same way", async () => {
    repo = setUp({ "data/app.sqlite": "not a database\n" });
    const error = await refused(["create", "101", "--no-fetch", "--dry-run"]);
    expect(error.message).toContain("the branch tracks data/app.sqlite");
  });

  it("untracked targets at the base: the create goes through and plans the same steps", async () => {
    repo = setUp();
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--dry-run", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const plan = json<{ plan: string[] }>(run).plan;
    expect(plan[0]).toBe("record worktree 101 (slot 101: PORT=43701)");
    expect(
      plan.some(
        (s) => s.startsWith("add worktree ") && s.includes("with new branch feature/issue-101 at origin/main ("),
      ),
    ).toBe(true);
  });
});

describe("create's planning: base names read from stdin, never as options", () => {
  it.each(["--output=/tmp/wt-plan-x", "-x", "main\nHEAD"])(
    "--base %j is no commit: exit 3 (base not found)",
    async (base) => {
      repo = setUp();
      const error = await refused(["create", "101", "--no-fetch", `--base=${base}`]);
      expect(error.code).toBe("not-found");
      expect(existsSync("/tmp/wt-plan-x")).toBe(false);
    },
  );

  it("an occupied folder is refused before a missing base (the checkout's order)", async () => {
    repo = setUp();
    repo.write("../app-worktrees/issue-101/x", "mine\n");
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--base=nope", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toContain("not empty");
  });
});
