import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readHeadCommit } from "../../src/git/head-file.js";
import { gitSync, makeRepo, type TestRepo } from "../helpers/repo.js";

let repo: TestRepo | null = null;

afterEach(() => {
  repo?.remove();
  repo = null;
});

/** A repository and a linked worktree at `<root>/wt-a` made by `git worktree add <args>`. */
function withWorktree(...args: string[]): { repo: TestRepo; folder: string; commonDir: string } {
  repo = makeRepo();
  const folder = path.join(repo.root, "wt-a");
  repo.git("worktree", "add", "-q", ...args, folder, ...(args.includes("--detach") ? ["main"] : []));
  return { repo, folder, commonDir: path.join(repo.main, ".git") };
}

describe("readHeadCommit (HEAD of a new worktree from git's files, or null for git to answer)", () => {
  it("a new branch's worktree: the loose ref's id, the one git rev-parse HEAD gives", () => {
    const t = withWorktree("-b", "feature/a");
    expect(readHeadCommit(t.commonDir, t.folder)).toBe(gitSync(t.folder, "rev-parse", "HEAD"));
  });

  it("a detached worktree: the id in its HEAD file", () => {
    const t = withWorktree("--detach");
    expect(readHeadCommit(t.commonDir, t.folder)).toBe(gitSync(t.folder, "rev-parse", "HEAD"));
  });

  it("what a post-checkout hook left (a commit made on the new branch), not the base", () => {
    repo = makeRepo();
    const hook = path.join(repo.main, ".git", "hooks", "post-checkout");
    writeFileSync(hook, '#!/bin/sh\ngit commit -q --allow-empty -m "by the hook"\n');
    chmodSync(hook, 0o755);
    const base = repo.git("rev-parse", "HEAD");
    const folder = path.join(repo.root, "wt-h");
    repo.git("worktree", "add", "-q", "-b", "hooked", folder);
    const head = gitSync(folder, "rev-parse", "HEAD");
    expect(head).not.toBe(base);
    expect(readHeadCommit(path.join(repo.main, ".git"), folder)).toBe(head);
  });

  it("null for a packed branch (no loose ref file), so git answers", () => {
    const t = withWorktree("-b", "packed");
    t.repo.git("pack-refs", "--all");
    expect(readHeadCommit(t.commonDir, t.folder)).toBeNull();
  });

  it("null for a branch that is itself a symbolic ref", () => {
    const t = withWorktree("-b", "real");
    t.repo.git("symbolic-ref", "refs/heads/alias", "refs/heads/main");
    writeFileSync(path.join(t.commonDir, "worktrees", "wt-a", "HEAD"), "ref: refs/heads/alias\n");
    expect(readHeadCommit(t.commonDir, t.folder)).toBeNull();
  });

  it("null for a HEAD outside refs/heads/, with a `..` component, or neither form", () => {
    const t = withWorktree("-b", "b");
    const headFile = path.join(t.commonDir, "worktrees", "wt-a", "HEAD");
    for (const text of [
      "ref: refs/tags/v1\n",
      "ref: refs/heads/../../ORIG_HEAD\n",
      "ref: refs/heads//b\n",
      "garbage\n",
    ]) {
      writeFileSync(headFile, text);
      expect(readHeadCommit(t.commonDir, t.folder), text).toBeNull();
    }
  });

  it("null when the folder's .git does not lead back to its admin dir", () => {
    const t = withWorktree("-b", "c");
    writeFileSync(path.join(t.folder, ".git"), `gitdir: ${path.join(t.commonDir, "worktrees", "elsewhere")}\n`);
    expect(readHeadCommit(t.commonDir, t.folder)).toBeNull();
  });
});
