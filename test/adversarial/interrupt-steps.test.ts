import { existsSync, readdirSync, watch } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addBigTree, footprint, startWt, waitUntil } from "../helpers/footprint.js";
import { makeRepo, type TestRepo, worktreesDir } from "../helpers/repo.js";

/**
 * SIGINT and SIGTERM that provably land inside one step of `wt create`. interrupt.test.ts
 * waits for a file the step makes, but that file stays after the step, so its signal may
 * arrive in a later one. Here each signal is sent while a condition holds that is true only
 * while the step runs, and `--verbose` (each step's title on stderr before it runs) shows
 * which step was under way when wt started rolling back.
 */
let repo: TestRepo;
const PACKAGES = 800;
const target = () => path.join(worktreesDir(repo.main), "issue-101");

beforeAll(() => {
  repo = makeRepo();
  // 12,000 tracked files (git's checkout takes a while) and an ignored node_modules of 16,000
  // files in PACKAGES folders, copied into each worktree.
  addBigTree(repo, 80, PACKAGES);
}, 180_000);

afterAll(() => repo?.remove());

/** The step titles `--verbose` printed before the signal's "rolling back" line. */
function stepsBeforeSignal(stderr: string): string[] {
  const lines = stderr.split("\n");
  const at = lines.findIndex((l) => /^SIG(INT|TERM): stopping and rolling back/.test(l));
  expect(at, stderr).toBeGreaterThan(0);
  return lines
    .slice(0, at)
    .filter((l) => l.startsWith("  · "))
    .map((l) => l.slice(4));
}

/**
 * Watches `folder` (inotify): the names of entries made or removed in it, and whether the
 * folder itself was removed. Events arrive in order, so once its removal is reported every
 * earlier event has been.
 */
function watchFolder(folder: string): { seen: Set<string>; removed: () => boolean; close: () => void } {
  const seen = new Set<string>();
  let gone = false;
  const watcher = watch(folder, (_event, name) => {
    if (name === path.basename(folder)) gone = true;
    else if (name) seen.add(name);
  });
  watcher.on("error", () => {});
  return { seen, removed: () => gone, close: () => watcher.close() };
}

/** The folder git keeps for the worktree (HEAD, index, lock) in the main repository. */
const adminDir = () => path.join(repo.main, ".git", "worktrees", "issue-101");

describe.each(["SIGINT", "SIGTERM"] as const)("%s inside one step of create", (signal) => {
  it("git checkout of a large tree: the signal lands in it and stops it; exit 130 and nothing left", async () => {
    const before = footprint(repo.main);
    const run = startWt(repo.main, ["--verbose", "create", "101"]);
    const index = path.join(adminDir(), "index");
    // git has written the worktree's .git file but not yet the index its checkout ends with.
    await waitUntil(() => existsSync(path.join(target(), ".git")) && !existsSync(index), "the checkout under way", run);
    // Whether the checkout ever writes its index, and the admin folder's removal, in order (inotify).
    const { seen, removed, close } = watchFolder(adminDir());
    if (existsSync(index)) seen.add("index");
    run.child.kill(signal);
    const { code } = await run.exit;
    try {
      expect(code, run.stderr()).toBe(130);
      // The last step that began before the signal is the checkout.
      expect(stepsBeforeSignal(run.stderr()).at(-1), run.stderr()).toMatch(
        /^add worktree .*issue-101 with new branch feature\/issue-101 at /,
      );
      expect(footprint(repo.main)).toEqual(before);
      expect(existsSync(target())).toBe(false);
      await waitUntil(removed, "the admin folder's removal to be reported");
    } finally {
      close();
    }
    // git was stopped, not left to finish the checkout before the rollback.
    expect(seen.has("index"), [...seen].join(" ")).toBe(false);
  });

  it("include copy of a large node_modules: the signal lands in it and stops it; exit 130 and nothing left", async () => {
    const before = footprint(repo.main);
    const run = startWt(repo.main, ["--verbose", "create", "101"]);
    const copy = path.join(target(), "node_modules");
    // The copy has begun and has not made every package folder yet.
    await waitUntil(() => existsSync(copy) && readdirSync(copy).length < PACKAGES, "the copy under way", run);
    // Every package folder the copy makes from now on, and its own removal, in order (inotify).
    const { seen: made, removed, close } = watchFolder(copy);
    for (const name of readdirSync(copy)) made.add(name);
    run.child.kill(signal);
    const { code } = await run.exit;
    try {
      expect(code, run.stderr()).toBe(130);
      expect(stepsBeforeSignal(run.stderr()).at(-1), run.stderr()).toBe("copy node_modules/");
      expect(footprint(repo.main)).toEqual(before);
      expect(existsSync(target())).toBe(false);
      // The rollback removed the copy; once that event is in, every earlier one is.
      await waitUntil(removed, "the copy's removal to be reported");
    } finally {
      close();
    }
    // The copy was stopped, not left to finish before the rollback.
    expect(made.size).toBeLessThan(PACKAGES);
  });
});
