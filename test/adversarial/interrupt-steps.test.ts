import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { footprint, startWt, waitUntil } from "../helpers/footprint.js";
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
  // A tracked tree of 12,000 files: git's checkout of it takes a while.
  for (let d = 0; d < 80; d++) {
    const dir = path.join(repo.main, "src", `mod${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 150; f++) writeFileSync(path.join(dir, `f${f}.ts`), `export const v${f} = ${f};\n`.repeat(20));
  }
  repo.write(".gitignore", "node_modules/\n");
  repo.write(".worktreeinclude", "node_modules/\n");
  repo.commitAll("big tree");
  // An ignored node_modules of 16,000 files in PACKAGES folders, copied into each worktree.
  for (let p = 0; p < PACKAGES; p++) {
    const dir = path.join(repo.main, "node_modules", `pkg${p}`, "lib");
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 20; f++) writeFileSync(path.join(dir, `m${f}.js`), "module.exports = 1;\n");
  }
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

const steps = [
  {
    name: "git checkout of a large tree",
    // git has written the worktree's .git file, but not yet the index its checkout ends with.
    during: () =>
      existsSync(path.join(target(), ".git")) &&
      !existsSync(path.join(repo.main, ".git", "worktrees", "issue-101", "index")),
    title: /^add worktree .*issue-101 with new branch feature\/issue-101 at /,
  },
  {
    name: "include copy of a large node_modules",
    // The copy has begun and has not made every package folder yet.
    during: () => {
      const copy = path.join(target(), "node_modules");
      return existsSync(copy) && readdirSync(copy).length < PACKAGES;
    },
    title: /^copy node_modules\/$/,
  },
];

describe.each(["SIGINT", "SIGTERM"] as const)("%s inside one step of create", (signal) => {
  it.each(steps)("$name: the signal lands in that step; exit 130 and nothing left", async (step) => {
    const before = footprint(repo.main);
    const run = startWt(repo.main, ["--verbose", "create", "101"]);
    await waitUntil(step.during, `${step.name} under way`, run);
    run.child.kill(signal);
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(130);
    const titles = stepsBeforeSignal(run.stderr());
    // The last step that began before the signal is the one it was meant for.
    expect(titles.at(-1), run.stderr()).toMatch(step.title);
    expect(run.stderr()).toMatch(new RegExp(`${signal}: stopping and rolling back`));
    expect(footprint(repo.main)).toEqual(before);
    expect(existsSync(target())).toBe(false);
  });
});
