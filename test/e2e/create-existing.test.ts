import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

/**
 * Issue 11: `wt create` on a branch that already exists says so, with how far it is from the
 * base. Real repositories, the built binary; ports 487xx are this file's.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

/** main with a config, and `feature-x` two commits ahead of where main was, main one further since. */
function setup(): TestRepo {
  const r = makeRepo();
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 48700 }, fetch: false }));
  r.commitAll("wt config");
  r.git("checkout", "-q", "-b", "feature-x");
  for (const n of ["1", "2"]) {
    r.write(`x${n}.txt`, `${n}\n`);
    r.commitAll(`x ${n}`);
  }
  r.git("checkout", "-q", "main");
  r.write("main.txt", "moved on\n");
  r.commitAll("main moves on");
  return r;
}

describe("wt create on an existing branch", () => {
  it("JSON: branchExisted with ahead/behind against the base; a new branch: branchExisted false", async () => {
    repo = setup();
    const tip = repo.git("rev-parse", "feature-x");
    const made = await wtJson<CreateResult>(repo.main, ["create", "201", "--branch", "feature-x", "--json"]);
    expect(made).toMatchObject({
      created: true,
      branch: "feature-x",
      head: tip,
      branchExisted: true,
      ahead: 2,
      behind: 1,
    });
    const fresh = await wtJson<CreateResult>(repo.main, ["create", "202", "--json"]);
    expect(fresh.branchExisted).toBe(false);
    expect(fresh).not.toHaveProperty("ahead");
    const again = await wtJson<CreateResult>(repo.main, ["create", "201", "--json"]);
    expect(again).toMatchObject({ created: false, branchExisted: true });
  });

  it("human output says the branch existed, checked out as it is, and how far from the base", async () => {
    repo = setup();
    const run = await runWt(repo.main, ["create", "203", "--branch", "feature-x"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "the branch feature-x already existed and was checked out as it is: 2 commit(s) ahead of main, 1 behind",
    );
    const fresh = await runWt(repo.main, ["create", "204"]);
    expect(fresh.stdout).not.toContain("already existed");
  });
});
