import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lockOwnWorktree, unlockOwnLock } from "../../src/git/worktree.js";
import { makeRepo, type TestRepo } from "../helpers/repo.js";

let repo: TestRepo | null = null;

afterEach(() => {
  repo?.remove();
  repo = null;
});

/**
 * A repository with a linked worktree locked with `reason`, and a PATH whose first git logs its
 * arguments to a file and then runs the real git: what ran is countable.
 */
function lockedWorktree(reason: string) {
  repo = makeRepo();
  const folder = path.join(repo.root, "wt-a");
  repo.git("worktree", "add", "-q", "--lock", "--reason", reason, "-b", "a", folder);
  const fakeDir = path.join(repo.root, "fake-bin");
  const log = path.join(repo.root, "git.log");
  mkdirSync(fakeDir);
  const realGit = (process.env.PATH ?? "")
    .split(":")
    .map((d) => path.join(d, "git"))
    .find((f) => existsSync(f)) as string;
  writeFileSync(path.join(fakeDir, "git"), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
  chmodSync(path.join(fakeDir, "git"), 0o755);
  const at = { cwd: repo.main, env: { ...process.env, PATH: `${fakeDir}:${process.env.PATH ?? ""}` } };
  const commonDir = path.join(repo.main, ".git");
  const lockedFile = path.join(commonDir, "worktrees", "wt-a", "locked");
  const gitRuns = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
  const lockedInList = () => repo?.git("worktree", "list", "--porcelain").includes("\nlocked") ?? false;
  return { folder, at, commonDir, lockedFile, gitRuns, lockedInList };
}

describe("unlockOwnLock (the creation lock removed without git when it is the caller's)", () => {
  it("deletes worktrees/<id>/locked holding exactly the caller's reason, with no git process; git then lists it unlocked", async () => {
    const t = lockedWorktree("wt create in progress (pid 4242)");
    expect(t.lockedInList()).toBe(true);
    await unlockOwnLock(t.at, t.commonDir, t.folder, "wt create in progress (pid 4242)");
    expect(existsSync(t.lockedFile)).toBe(false);
    expect(t.gitRuns()).toEqual([]);
    expect(t.lockedInList()).toBe(false);
  });

  it("leaves another reason's lock to git worktree unlock (as before): the file is not touched in process", async () => {
    const t = lockedWorktree("a user's lock");
    await unlockOwnLock(t.at, t.commonDir, t.folder, "wt create in progress (pid 4242)");
    expect(t.gitRuns()).toEqual([`worktree unlock -- ${t.folder}`]);
  });

  it("asks git when the folder's tie to its admin dir does not hold (git finds the worktree by its own listing)", async () => {
    const t = lockedWorktree("wt create in progress (pid 4242)");
    // The .git file points elsewhere: the id cannot be trusted, so nothing is deleted in process.
    writeFileSync(path.join(t.folder, ".git"), `gitdir: ${path.join(t.commonDir, "worktrees", "other")}\n`);
    await expect(
      unlockOwnLock(t.at, t.commonDir, t.folder, "wt create in progress (pid 4242)"),
    ).resolves.toBeUndefined();
    expect(t.gitRuns()).toEqual([`worktree unlock -- ${t.folder}`]);
  });

  it("an unlocked worktree goes to git, which refuses it (exit 6, 'is not locked')", async () => {
    const t = lockedWorktree("wt create in progress (pid 4242)");
    repo?.git("worktree", "unlock", t.folder);
    await expect(unlockOwnLock(t.at, t.commonDir, t.folder, "wt create in progress (pid 4242)")).rejects.toThrow(
      /not locked/,
    );
    expect(t.gitRuns()).toEqual([`worktree unlock -- ${t.folder}`]);
  });
});

describe("lockOwnWorktree (a pool slot locked without git, as git worktree lock would)", () => {
  const reason = "wt pool slot";

  it("creates worktrees/<id>/locked with the reason and a newline, with no git process; git lists it locked and prune keeps it", async () => {
    const t = lockedWorktree("x");
    repo?.git("worktree", "unlock", t.folder);
    await lockOwnWorktree(t.at, t.commonDir, t.folder, reason);
    expect(t.gitRuns()).toEqual([]);
    expect(readFileSync(t.lockedFile, "utf8")).toBe(`${reason}\n`);
    expect(repo?.git("worktree", "list", "--porcelain")).toContain(`worktree ${t.folder}\nHEAD `);
    expect(repo?.git("worktree", "list", "--porcelain")).toMatch(/\nlocked wt pool slot(\n|$)/);
    // git honours the lock: with its folder gone, the entry survives `git worktree prune`.
    renameSync(t.folder, `${t.folder}-away`);
    repo?.git("worktree", "prune");
    expect(repo?.git("worktree", "list", "--porcelain")).toContain(`worktree ${t.folder}\n`);
  });

  it("never overwrites a lock that is there (a user's): git worktree lock runs and refuses, the user's reason stays", async () => {
    const t = lockedWorktree("a user's lock");
    await expect(lockOwnWorktree(t.at, t.commonDir, t.folder, reason)).rejects.toThrow(/already locked/);
    expect(t.gitRuns()).toEqual([`worktree lock --reason ${reason} -- ${t.folder}`]);
    expect(readFileSync(t.lockedFile, "utf8").trim()).toBe("a user's lock");
  });

  it("asks git when the folder's tie to its admin dir does not hold", async () => {
    const t = lockedWorktree("x");
    repo?.git("worktree", "unlock", t.folder);
    writeFileSync(path.join(t.folder, ".git"), `gitdir: ${path.join(t.commonDir, "worktrees", "other")}\n`);
    await lockOwnWorktree(t.at, t.commonDir, t.folder, reason);
    expect(t.gitRuns()).toEqual([`worktree lock --reason ${reason} -- ${t.folder}`]);
    expect(existsSync(path.join(t.commonDir, "worktrees", "other", "locked"))).toBe(false);
  });
});
