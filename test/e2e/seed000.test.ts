import { existsSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult, StatusResult } from "../../src/index.js";
import { branchExists, gitSync, json, makeRepo, runWt, type TestRepo, worktreePaths, wtJson } from "../helpers/repo.js";

/**
 * Seed 000_08702b5094c0b49f.txt ("Git Worktrees + Amp: Quick Start"), replayed through the
 * built binary with zero configuration: repository `asyncAgent` with an origin, issues 101,
 * 102 and 103, ports 3101/3102, commit, merge, push and cleanup.
 */

let repo: TestRepo;
afterEach(() => repo?.remove());

const status = (cwd: string) => wtJson<StatusResult>(cwd, ["status", "--json"]);

function commitIn(worktree: string, file: string, content: string, message: string): string {
  writeFileSync(path.join(worktree, file), content);
  gitSync(worktree, "add", "--", file);
  gitSync(worktree, "commit", "-q", "-m", message);
  return gitSync(worktree, "rev-parse", "HEAD");
}

describe("seed 000: Git Worktrees + Amp quick start", () => {
  it("create 101 and 102, commit in 101, cleanup both: unmerged branch kept with its commit, merged one deleted", async () => {
    repo = makeRepo({ name: "asyncAgent", origin: true, files: { "package.json": '{"name":"asyncAgent"}\n' } });
    const main = realpathSync(repo.main);
    const wtRoot = path.join(repo.root, "asyncAgent-worktrees");
    const p101 = path.join(wtRoot, "issue-101");
    const p102 = path.join(wtRoot, "issue-102");

    // ./scripts/create-issue-worktree.sh 101 / 102
    for (const [id, folder, port] of [
      ["101", p101, 3101],
      ["102", p102, 3102],
    ] as const) {
      const run = await runWt(repo.main, ["create", id, "--json"]);
      expect(run.code, run.stderr).toBe(0);
      const doc = json<CreateResult>(run);
      expect(doc.path).toBe(folder);
      expect(doc.branch).toBe(`feature/issue-${id}`);
      expect(doc.ports).toEqual({ PORT: port });
      expect(doc.created).toBe(true);
      expect(existsSync(folder)).toBe(true);
    }

    // ./scripts/worktree-status.sh
    let st = await status(repo.main);
    expect(st.main).toBe(main);
    expect(st.worktrees.map((r) => r.path)).toEqual([main, p101, p102]);
    for (const [id, port] of [
      ["101", 3101],
      ["102", 3102],
    ] as const) {
      const row = st.worktrees.find((r) => r.id === id);
      expect(row, id).toMatchObject({
        id,
        name: `issue-${id}`,
        branch: `feature/issue-${id}`,
        managed: true,
        state: "ok",
        dirty: false,
        changes: 0,
        ahead: 0,
        behind: 0,
        ports: { PORT: port },
      });
    }

    // Work with Amp: commit in 101.
    const sha = commitIn(p101, "feature-101.txt", "implemented\n", "feat: implement issue 101");
    st = await status(repo.main);
    expect(st.worktrees.find((r) => r.id === "101")).toMatchObject({ ahead: 1, behind: 0, dirty: false, head: sha });
    expect(st.worktrees.find((r) => r.id === "102")).toMatchObject({ ahead: 0, behind: 0 });

    // ./scripts/cleanup-worktree.sh 101 102
    const clean = await runWt(repo.main, ["cleanup", "101", "102", "--json"]);
    expect(clean.code, clean.stderr).toBe(0);
    const doc = json<CleanupResult>(clean);
    expect(doc.skipped).toEqual([]);
    expect(doc.removed.map((r) => r.id).sort()).toEqual(["101", "102"]);
    const r101 = doc.removed.find((r) => r.id === "101");
    const r102 = doc.removed.find((r) => r.id === "102");
    expect(r102).toMatchObject({ path: p102, branch: "feature/issue-102", branchDeleted: true, branchKept: null });
    expect(r101).toMatchObject({ path: p101, branch: "feature/issue-101", branchDeleted: false });
    expect(r101?.branchKept).toMatch(/not merged/);

    // The unmerged work survives on its branch; the empty branch is gone.
    expect(branchExists(repo.main, "feature/issue-102")).toBe(false);
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-101")).toBe(sha);
    expect(repo.git("show", `${sha}:feature-101.txt`)).toBe("implemented");

    expect(existsSync(p101)).toBe(false);
    expect(existsSync(p102)).toBe(false);
    expect(worktreePaths(repo.main)).toEqual([main]);
    st = await status(repo.main);
    expect(st.worktrees.map((r) => r.path)).toEqual([main]);
    expect(st.worktrees[0]?.managed).toBe(false);
  });

  it("merge --no-ff into main and push, then cleanup 103 deletes the branch because it is merged into origin/main", async () => {
    repo = makeRepo({ name: "asyncAgent", origin: true });
    const p103 = path.join(repo.root, "asyncAgent-worktrees", "issue-103");
    const create = await runWt(repo.main, ["create", "103", "--json"]);
    expect(create.code, create.stderr).toBe(0);
    expect(json<CreateResult>(create).ports).toEqual({ PORT: 3103 });
    const sha = commitIn(p103, "feature-103.txt", "done\n", "feat: implement issue 103");

    // Back in the main repo: git checkout main; git pull origin main; merge; push.
    repo.git("checkout", "-q", "main");
    repo.git("pull", "-q", "origin", "main");
    repo.git("merge", "-q", "--no-ff", "-m", "Merge feature/issue-103", "feature/issue-103");
    repo.git("push", "-q", "origin", "main");
    expect(gitSync(repo.origin as string, "merge-base", "--is-ancestor", sha, "main")).toBe("");

    const st = await status(repo.main);
    // ahead/behind are against origin/main, which now holds the branch plus one merge commit.
    expect(st.worktrees.find((r) => r.id === "103")).toMatchObject({ ahead: 0, behind: 1, state: "ok" });

    const clean = await runWt(repo.main, ["cleanup", "103", "--json"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(json<CleanupResult>(clean).removed).toEqual([
      expect.objectContaining({ id: "103", branch: "feature/issue-103", branchDeleted: true, branchKept: null }),
    ]);
    expect(branchExists(repo.main, "feature/issue-103")).toBe(false);
    expect(existsSync(p103)).toBe(false);
    // The work itself lives on in main.
    expect(repo.git("show", "HEAD:feature-103.txt")).toBe("done");
    expect(worktreePaths(repo.main)).toEqual([realpathSync(repo.main)]);
  });
});
