import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitsOwn, isIntegrated } from "../../src/git/integrated.js";
import {
  changedPaths,
  mergeTree,
  overlappingPaths,
  parseMergeTree,
  updateRefCas,
  updateWorktreeTo,
} from "../../src/git/merge.js";
import type { GitAt } from "../../src/git/run.js";
import { GIT_ENV, gitSync, makeRepo, type TestRepo, worktreePaths } from "../helpers/repo.js";

/**
 * The integration rule (docs/contract.md, "Integrated branches") and the merge plumbing of
 * `wt merge`, on real repositories: squash merges, cherry-picks and rebase merges count as
 * integrated, a branch with real work left does not.
 */

let repo: TestRepo;

/** git at `cwd` with the test environment (a library caller passes its ctx.env). */
const at = (cwd: string): GitAt => ({ cwd, env: { ...process.env, ...GIT_ENV } });
afterEach(() => repo?.remove());

const LINES = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);

function commitFile(r: TestRepo, file: string, content: string, message = `edit ${file}`): string {
  r.write(file, content);
  r.git("add", "--", file);
  r.git("commit", "-q", "-m", message);
  return r.git("rev-parse", "HEAD");
}

/** f.txt: 20 lines, some replaced (line number -> text). */
function text(changes: Record<number, string> = {}): string {
  return `${LINES.map((l, i) => changes[i + 1] ?? l).join("\n")}\n`;
}

/** Branch `topic` from main with two commits on lines 3 and 15 of f.txt; back on main. */
function topicBranch(r: TestRepo): void {
  commitFile(r, "f.txt", text());
  r.git("checkout", "-q", "-b", "topic");
  commitFile(r, "f.txt", text({ 3: "topic three" }), "topic: line 3");
  commitFile(r, "f.txt", text({ 3: "topic three", 15: "topic fifteen" }), "topic: line 15");
  r.git("checkout", "-q", "main");
}

describe("isIntegrated", () => {
  it("same commit, ancestor, a branch whose commits cancel out, equal trees", async () => {
    repo = makeRepo();
    const main = repo.git("rev-parse", "HEAD");
    repo.git("branch", "same");
    expect(await isIntegrated(at(repo.main), "same", "main")).toEqual({ integrated: true, how: "same-commit" });
    repo.git("branch", "old");
    commitFile(repo, "a.txt", "a\n");
    expect(await isIntegrated(at(repo.main), "old", "main")).toEqual({ integrated: true, how: "ancestor" });
    repo.git("checkout", "-q", "-b", "undone", main);
    commitFile(repo, "b.txt", "b\n");
    repo.git("rm", "-q", "b.txt");
    repo.git("commit", "-q", "-m", "remove b");
    expect(await isIntegrated(at(repo.main), "undone", "main")).toEqual({ integrated: true, how: "no-added-changes" });
    repo.git("checkout", "-q", "-b", "same-tree", main);
    commitFile(repo, "a.txt", "a\n", "a, made again");
    repo.git("checkout", "-q", "main");
    expect(await isIntegrated(at(repo.main), "same-tree", "main")).toEqual({ integrated: true, how: "trees-match" });
  });

  it("a squash merge (GitHub's default), also after the target moved on elsewhere", async () => {
    repo = makeRepo();
    topicBranch(repo);
    repo.git("merge", "-q", "--squash", "topic");
    repo.git("commit", "-q", "-m", "topic (#1)");
    commitFile(repo, "other.txt", "later work on main\n");
    const r = await isIntegrated(at(repo.main), "refs/heads/topic", "main");
    expect(r).toEqual({ integrated: true, how: "merge-adds-nothing" });
  });

  it("a squash merge whose lines the target edited again later (merge-tree conflicts): the squashed patch-id", async () => {
    repo = makeRepo();
    topicBranch(repo);
    repo.git("merge", "-q", "--squash", "topic");
    repo.git("commit", "-q", "-m", "topic (#1)");
    commitFile(repo, "f.txt", text({ 3: "main rewrote three", 15: "topic fifteen" }));
    expect((await mergeTree(at(repo.main), "main", "topic")).clean).toBe(false);
    expect(await isIntegrated(at(repo.main), "topic", "main")).toEqual({ integrated: true, how: "patch-id" });
  });

  it("cherry-picked commits whose lines the target edited again later: every patch-id is on the target", async () => {
    repo = makeRepo();
    topicBranch(repo);
    // main moves first: picked onto an unchanged parent in the same second, git would make the very same commits.
    commitFile(repo, "main-only.txt", "main moved on\n");
    const commits = repo.git("rev-list", "--reverse", "main..topic").split("\n");
    repo.git("cherry-pick", ...commits);
    commitFile(repo, "f.txt", text({ 3: "topic three", 15: "main rewrote fifteen" }));
    expect(await isIntegrated(at(repo.main), "topic", "main")).toEqual({ integrated: true, how: "patch-id" });
  });

  it("a rebase merge onto a target that moved on", async () => {
    repo = makeRepo();
    topicBranch(repo);
    commitFile(repo, "main-only.txt", "main moved on\n");
    // GitHub's "rebase and merge": the branch's commits replayed on the target, new ids.
    const commits = repo.git("rev-list", "--reverse", "main..topic").split("\n");
    repo.git("cherry-pick", ...commits);
    const r = await isIntegrated(at(repo.main), "topic", "main");
    expect(r.integrated).toBe(true);
    expect(r.how).not.toBeNull();
  });

  it("real work left: one of two commits cherry-picked, or nothing merged at all, is not integrated", async () => {
    repo = makeRepo();
    topicBranch(repo);
    expect(await isIntegrated(at(repo.main), "topic", "main")).toEqual({ integrated: false, how: null });
    const first = repo.git("rev-list", "--reverse", "main..topic").split("\n")[0] as string;
    repo.git("cherry-pick", first);
    expect(await isIntegrated(at(repo.main), "topic", "main")).toEqual({ integrated: false, how: null });
    expect(await isIntegrated(at(repo.main), "no-such-branch", "main")).toEqual({ integrated: false, how: null });
  });
});

describe("commitsOwn", () => {
  it("0 for a fresh branch at its base commit, the count once it has commits", async () => {
    repo = makeRepo();
    const base = repo.git("rev-parse", "HEAD");
    repo.git("branch", "fresh");
    expect(await commitsOwn(at(repo.main), "refs/heads/fresh", base)).toBe(0);
    repo.git("checkout", "-q", "fresh");
    commitFile(repo, "x.txt", "x\n");
    commitFile(repo, "y.txt", "y\n");
    expect(await commitsOwn(at(repo.main), "refs/heads/fresh", base)).toBe(2);
    expect(await commitsOwn(at(repo.main), "refs/heads/gone", base)).toBeNull();
  });
});

describe("mergeTree", () => {
  it("parses merge-tree's -z --name-only output, each conflicted path once", () => {
    expect(parseMergeTree("t1\0a b.txt\0a b.txt\0c\0", 1)).toEqual({
      clean: false,
      tree: "t1",
      conflicts: ["a b.txt", "c"],
    });
    expect(parseMergeTree("t2\0", 0)).toEqual({ clean: true, tree: "t2", conflicts: [] });
  });

  it.each(["merge-tree", "worktree"] as const)(
    "engine %s: clean tree and conflicting files, touching no worktree and leaving none behind",
    async (engine) => {
      repo = makeRepo({ files: { "shared.txt": "base\n" } });
      repo.git("checkout", "-q", "-b", "clean");
      commitFile(repo, "new.txt", "new\n");
      repo.git("checkout", "-q", "-b", "clash", "main");
      commitFile(repo, "shared.txt", "clash\n");
      repo.git("checkout", "-q", "main");
      commitFile(repo, "shared.txt", "main\n");
      const head = repo.git("rev-parse", "HEAD");
      const ok = await mergeTree(at(repo.main), "main", "clean", { engine });
      expect(ok.clean).toBe(true);
      expect(gitSync(repo.main, "ls-tree", "--name-only", ok.tree as string).split("\n")).toContain("new.txt");
      const bad = await mergeTree(at(repo.main), "main", "clash", { engine });
      expect(bad).toMatchObject({ clean: false, conflicts: ["shared.txt"] });
      expect(repo.git("rev-parse", "HEAD")).toBe(head);
      expect(repo.git("status", "--porcelain")).toBe("");
      expect(worktreePaths(repo.main)).toEqual([repo.main]);
    },
  );
});

describe("updateRefCas, updateWorktreeTo, overlappingPaths", () => {
  it("the ref moves only from the expected commit", async () => {
    repo = makeRepo();
    const a = repo.git("rev-parse", "HEAD");
    const b = commitFile(repo, "b.txt", "b\n");
    repo.git("branch", "t", a);
    expect(await updateRefCas(at(repo.main), "refs/heads/t", b, b)).toBe(false);
    expect(repo.git("rev-parse", "t")).toBe(a);
    expect(await updateRefCas(at(repo.main), "refs/heads/t", b, a)).toBe(true);
    expect(repo.git("rev-parse", "t")).toBe(b);
  });

  it("read-tree -m -u brings the files to the new commit and keeps unrelated local changes", async () => {
    repo = makeRepo({ files: { "keep.txt": "keep\n" } });
    const from = repo.git("rev-parse", "HEAD");
    repo.git("checkout", "-q", "-b", "side");
    const to = commitFile(repo, "added.txt", "added\n");
    repo.git("checkout", "-q", "main");
    writeFileSync(path.join(repo.main, "keep.txt"), "local edit\n");
    writeFileSync(path.join(repo.main, "untracked.txt"), "mine\n");
    repo.git("update-ref", "refs/heads/main", to, from);
    await updateWorktreeTo(at(repo.main), from, to);
    expect(repo.git("diff", "--name-only")).toBe("keep.txt");
    expect(repo.git("diff", "--cached", "--name-only")).toBe("");
    expect(repo.git("ls-files", "--others", "--exclude-standard")).toBe("untracked.txt");
    expect(repo.git("ls-files")).toContain("added.txt");
    expect(await changedPaths(at(repo.main), from, to)).toEqual(["added.txt"]);
  });

  it("a dirty path overlaps a changed one when equal or when one is inside the other", () => {
    expect(overlappingPaths(["a.txt", "docs", "x/y.txt", "z.txt"], ["a.txt", "docs/new.md", "x"])).toEqual([
      "a.txt",
      "docs",
      "x/y.txt",
    ]);
  });
});
