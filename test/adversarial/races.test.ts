import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { type ErrorJson, json, makeRepo, runWt, type TestRepo } from "../helpers/repo.js";

let repo: TestRepo;
afterEach(() => repo?.remove());

const registered = (r: TestRepo, folder: string) =>
  r
    .git("worktree", "list", "--porcelain")
    .split("\n")
    .filter((l) => l === `worktree ${folder}`).length;

describe("races", () => {
  it("8 parallel creates of one id: exactly one creates, the others report it; one registration, one branch", async () => {
    repo = makeRepo({ origin: true });
    const runs = await Promise.all(Array.from({ length: 8 }, () => runWt(repo.main, ["create", "101", "--json"])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const docs = runs.map((r) => json<CreateResult>(r));
    expect(docs.filter((d) => d.created)).toHaveLength(1);
    expect(new Set(docs.map((d) => d.path)).size).toBe(1);
    expect(new Set(docs.map((d) => d.slot))).toEqual(new Set([101]));
    const folder = docs[0]?.path as string;
    expect(registered(repo, folder)).toBe(1);
    expect(repo.git("branch", "--format=%(refname:short)").split("\n").sort()).toEqual(["feature/issue-101", "main"]);
    expect(readdirSync(path.join(repo.main, ".git", "wt", "worktrees"))).toEqual(["101.json"]);
  });

  it("10 parallel creates of different ids: distinct slots, ports and databases", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ portSlots: 10, databases: [{ path: "data/{name}.db" }] }));
    repo.commitAll("config");
    // Ids 0..9 and 10 all prefer slots that collide (10 % 10 = 0): allocation must serialise.
    const ids = ["0", "10", "20", "3", "13", "5", "6", "7", "8", "9"];
    const runs = await Promise.all(ids.map((id) => runWt(repo.main, ["create", id, "--json"])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const docs = runs.map((r) => json<CreateResult>(r));
    expect(new Set(docs.map((d) => d.slot)).size).toBe(10);
    expect(new Set(docs.map((d) => d.ports.PORT)).size).toBe(10);
    const dbs = docs.map((d) => d.databases[0]?.path as string);
    expect(new Set(dbs).size).toBe(10);
    for (const db of dbs) expect(existsSync(db)).toBe(true);
    // Past the last slot: exit 4.
    const full = await runWt(repo.main, ["create", "11", "--json"]);
    expect(full.code).toBe(4);
    expect(json<ErrorJson>(full).error.code).toBe("slots-exhausted");
  });

  it("create racing cleanup of the same id ends in one consistent state", async () => {
    repo = makeRepo();
    for (let round = 0; round < 4; round++) {
      const [create, cleanup] = await Promise.all([
        runWt(repo.main, ["create", "101", "--json"]),
        runWt(repo.main, ["cleanup", "101", "--json"]),
      ]);
      expect(create.code, create.stderr).toBe(0);
      // The cleanup either ran first (nothing to clean: exit 3) or removed what create made.
      expect([0, 3]).toContain(cleanup.code);
      const folder = path.join(repo.root, "app-worktrees", "issue-101");
      const record = existsSync(path.join(repo.main, ".git", "wt", "worktrees", "101.json"));
      const branch = repo.git("branch", "--list", "feature/issue-101") !== "";
      const state = [existsSync(folder), registered(repo, folder) === 1, record, branch];
      // All four together, or none: never a record without a worktree or a branch left behind.
      expect(state.every((x) => x) || state.every((x) => !x), JSON.stringify(state)).toBe(true);
      expect(state[0]).toBe(cleanup.code === 3);
      if (state[0]) expect((await runWt(repo.main, ["cleanup", "101"])).code).toBe(0);
    }
  });
});
