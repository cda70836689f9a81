import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { worktreeOwnRefs } from "../../src/git/refs.js";
import { gitSync, makeRepo, type TestRepo } from "../helpers/repo.js";

// The per-worktree refs of a linked worktree, read from its admin dir in process: git 2.44+
// makes `<admin>/refs` for every worktree, so no git process may hang on that folder's presence.

let repo: TestRepo;
afterEach(() => repo?.remove());

describe("worktreeOwnRefs", () => {
  it("reads refs/worktree/* and refs/bisect/* of the admin dir without git (PATH empty), and an empty refs folder as none", async () => {
    repo = makeRepo();
    const folder = path.join(repo.root, "w");
    gitSync(repo.main, "worktree", "add", "-q", "--detach", folder);
    const admin = path.join(repo.main, ".git", "worktrees", "w");
    const noGit = { cwd: repo.main, env: { PATH: "" } };
    mkdirSync(path.join(admin, "refs"), { recursive: true });
    expect(await worktreeOwnRefs(noGit, admin)).toEqual([]);
    const head = gitSync(folder, "rev-parse", "HEAD");
    gitSync(folder, "update-ref", "refs/worktree/keep", "HEAD");
    gitSync(folder, "update-ref", "refs/bisect/bad", "HEAD");
    gitSync(folder, "symbolic-ref", "refs/worktree/alias", "refs/worktree/keep");
    const found = (await worktreeOwnRefs(noGit, admin)).sort((a, b) => a.ref.localeCompare(b.ref));
    expect(found).toEqual([
      { ref: "refs/bisect/bad", commit: head },
      { ref: "refs/worktree/keep", commit: head },
    ]);
    // What git itself lists there.
    expect(gitSync(folder, "for-each-ref", "--format=%(refname)", "refs/worktree/keep", "refs/bisect/")).toBe(
      "refs/bisect/bad\nrefs/worktree/keep",
    );
  });
});
