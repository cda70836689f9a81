import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import {
  branchExists,
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  type RepoOptions,
  runWt,
  type TestRepo,
  wtJson,
} from "../helpers/repo.js";

/**
 * Issue 11 in `wt cleanup`: the integration rule for branch deletion and `--merged` (squash,
 * cherry-pick and rebase merges count; the base's local branch too), `no-commits`, coded
 * `skipped[]` rows, and named ids removed as far as safe. Real repositories, the built binary;
 * ports 486xx are this file's.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

function setup(options: RepoOptions = {}): TestRepo {
  const r = makeRepo({ files: { "shared.txt": "base\n", ".gitignore": "scratch/\n" }, ...options });
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 48600 }, fetch: false }));
  r.commitAll("wt config");
  if (r.origin) r.git("push", "-q", "origin", "main");
  return r;
}

const create = (r: TestRepo, id: string) => wtJson<CreateResult>(r.main, ["create", id, "--json"]);

function commitIn(folder: string, file: string, content: string): string {
  writeFileSync(path.join(folder, file), content);
  gitSync(folder, "add", "--", file);
  gitSync(folder, "commit", "-q", "-m", `edit ${file}`);
  return gitSync(folder, "rev-parse", "HEAD");
}

const cleanupMerged = (r: TestRepo) => wtJson<CleanupResult>(r.main, ["cleanup", "--merged", "--json"]);

describe("wt cleanup --merged: the integration rule", () => {
  it("removes a squash-merged worktree and deletes its branch, main having moved on since", async () => {
    repo = setup();
    const w = await create(repo, "101");
    commitIn(w.path, "a.txt", "one\n");
    commitIn(w.path, "a.txt", "two\n");
    repo.git("merge", "-q", "--squash", w.branch);
    repo.git("commit", "-q", "-m", "squash 101");
    commitIn(repo.main, "later.txt", "main moved on\n");
    const r = await cleanupMerged(repo);
    expect(r.removed).toMatchObject([{ id: "101", branchDeleted: true }]);
    expect(existsSync(w.path)).toBe(false);
    expect(branchExists(repo.main, w.branch)).toBe(false);
  });

  it("judges the branch the worktree has checked out: renamed, or a new one after the recorded one merged, with unmerged commits: skipped, its ignored files kept", async () => {
    repo = setup();
    const renamed = await create(repo, "101");
    gitSync(renamed.path, "branch", "-m", renamed.branch, "agent/better-name");
    commitIn(renamed.path, "a.txt", "unmerged\n");
    const switched = await create(repo, "102");
    commitIn(switched.path, "b.txt", "merged\n");
    repo.git("merge", "-q", "--no-ff", "-m", "merge 102", switched.branch);
    gitSync(switched.path, "switch", "-q", "-c", "agent/next");
    commitIn(switched.path, "c.txt", "not merged\n");
    mkdirSync(path.join(renamed.path, "scratch"));
    writeFileSync(path.join(renamed.path, "scratch", "notes.md"), "mine\n");
    const r = await cleanupMerged(repo);
    expect(r.removed).toEqual([]);
    expect(r.skipped.map((s) => [s.id, s.code])).toEqual([
      ["101", "not-integrated"],
      ["102", "not-integrated"],
    ]);
    expect(r.skipped[0]?.reason).toContain("agent/better-name");
    expect(readFileSync(path.join(renamed.path, "scratch", "notes.md"), "utf8")).toBe("mine\n");
    // Once that branch is merged too, --merged removes it.
    repo.git("merge", "-q", "--no-ff", "-m", "merge next", "agent/next");
    expect((await cleanupMerged(repo)).removed.map((w) => w.id)).toEqual(["102"]);
  });

  it("removes cherry-picked and rebase-merged worktrees, and deletes their branches", async () => {
    repo = setup();
    const picked = await create(repo, "102");
    const rebased = await create(repo, "103");
    const c1 = commitIn(picked.path, "b.txt", "b\n");
    const c2 = commitIn(picked.path, "c.txt", "c\n");
    commitIn(rebased.path, "d.txt", "d\n");
    commitIn(repo.main, "shared.txt", "main changed\n");
    repo.git("cherry-pick", c1, c2);
    // A rebase merge: the branch's commits replayed on main, main fast-forwarded to them.
    repo.git("branch", "replay", rebased.branch);
    repo.git("rebase", "-q", "main", "replay");
    repo.git("checkout", "-q", "main");
    repo.git("merge", "-q", "--ff-only", "replay");
    repo.git("branch", "-D", "replay");
    const r = await cleanupMerged(repo);
    expect(r.removed.map((w) => [w.id, w.branchDeleted]).sort()).toEqual([
      ["102", true],
      ["103", true],
    ]);
    expect(r.skipped).toEqual([]);
    expect(branchExists(repo.main, picked.branch)).toBe(false);
    expect(branchExists(repo.main, rebased.branch)).toBe(false);
  });

  it("wt merge into local main, then --merged removes it before any push (base origin/main)", async () => {
    repo = setup({ origin: true });
    const w = await create(repo, "104");
    expect(w.base).toBe("origin/main");
    commitIn(w.path, "e.txt", "e\n");
    expect((await runWt(repo.main, ["merge", "104", "--squash"])).code).toBe(0);
    const r = await cleanupMerged(repo);
    expect(r.removed).toMatchObject([{ id: "104", branchDeleted: true }]);
    expect(branchExists(repo.main, w.branch)).toBe(false);
  });
});

describe("wt cleanup --merged: what it leaves, listed", () => {
  it("keeps a fresh worktree (no-commits) and an unmerged one (not-integrated), each in skipped[] with its code", async () => {
    repo = setup();
    const fresh = await create(repo, "105");
    // An agent's first output: ignored, so nothing `git status` would call uncommitted.
    const note = path.join(fresh.path, "scratch", "notes.txt");
    mkdirSync(path.dirname(note), { recursive: true });
    writeFileSync(note, "half-done work\n");
    const open = await create(repo, "106");
    commitIn(open.path, "f.txt", "f\n");
    const r = await cleanupMerged(repo);
    expect(r.removed).toEqual([]);
    expect(r.skipped.map((s) => [s.id, s.code]).sort()).toEqual([
      ["105", "no-commits"],
      ["106", "not-integrated"],
    ]);
    expect(existsSync(note)).toBe(true);
    expect(branchExists(repo.main, fresh.branch)).toBe(true);
    expect(existsSync(open.path)).toBe(true);
    const human = await runWt(repo.main, ["cleanup", "--merged"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Skipped 105: .*no commit of its own/);
    expect(human.stdout).toMatch(/Skipped 106: not merged into main \(1 commit\(s\) only on /);
  });
});

describe("wt cleanup <id>...: every safe id removed, each refusal reported", () => {
  it("removes 107 and 108, keeps the dirty 101, exits 5 with one document holding removed, skipped and error", async () => {
    repo = setup();
    const [w107, w101, w108] = [await create(repo, "107"), await create(repo, "101"), await create(repo, "108")];
    writeFileSync(path.join(w101.path, "shared.txt"), "uncommitted\n");
    const run = await runWt(repo.main, ["cleanup", "107", "101", "108", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const doc = json<CleanupResult & ErrorJson>(run);
    expect(doc.removed.map((w) => w.id)).toEqual(["107", "108"]);
    expect(doc.skipped).toMatchObject([{ id: "101", code: "dirty" }]);
    expect(doc.error).toMatchObject({ code: "dirty", files: ["shared.txt"] });
    expect(existsSync(w107.path) || existsSync(w108.path)).toBe(false);
    expect(existsSync(path.join(w101.path, "shared.txt"))).toBe(true);
  });

  it("human output lists what was removed and what was refused; an unknown id is refused the same way (exit 3)", async () => {
    repo = setup();
    const w = await create(repo, "109");
    const run = await runWt(repo.main, ["cleanup", "109", "999"]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/Removed 109 /);
    expect(run.stdout).toMatch(/Skipped 999: /);
    expect(run.stderr).toMatch(/^wt: .*999/m);
    expect(existsSync(w.path)).toBe(false);
  });
});
