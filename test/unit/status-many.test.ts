import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { splitStatusRuns } from "../../src/git/parse.js";
import { gitInEach, statusMany } from "../../src/git/status.js";
import { gitSync, makeRepo, type TestRepo } from "../helpers/repo.js";

let repo: TestRepo | null = null;
let scratch: string | null = null;
const savedPath = process.env.PATH;

afterEach(() => {
  process.env.PATH = savedPath;
  repo?.remove();
  repo = null;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

/** `git status --porcelain=v2 -z` run on its own in `cwd` (same environment), raw (NULs kept). */
function statusAlone(cwd: string): string {
  return execFileSync("git", ["status", "--porcelain=v2", "-z"], { cwd, encoding: "utf8" });
}

/**
 * A repository with seven linked worktrees, each changed differently: nothing, edits,
 * untracked files, a staged rename whose original name is the group separator itself, a
 * path holding a newline.
 */
function sevenWorktrees(): string[] {
  repo = makeRepo({ files: { "a.txt": "a\n", "b.txt": "b\n", "\u0001wt-end 7": "trap\n" } });
  const folders: string[] = [];
  for (let i = 1; i <= 7; i++) {
    const folder = path.join(repo.root, `wt-${i}`);
    gitSync(repo.main, "worktree", "add", "-q", "-b", `b${i}`, folder);
    folders.push(folder);
  }
  const [, edits, untracked, rename, newline] = folders as [string, string, string, string, string];
  writeFileSync(path.join(edits, "a.txt"), "changed\n");
  writeFileSync(path.join(edits, "b.txt"), "changed\n");
  writeFileSync(path.join(untracked, "new one.txt"), "x\n");
  mkdirSync(path.join(untracked, "dir"));
  writeFileSync(path.join(untracked, "dir", "x"), "x\n");
  gitSync(rename, "mv", "\u0001wt-end 7", "renamed.txt");
  writeFileSync(path.join(newline, "line\nbreak.txt"), "x\n");
  return folders;
}

describe("statusMany", () => {
  it("gives every worktree exactly the output of its own git status, in order, across groups", async () => {
    const folders = [...sevenWorktrees(), (repo as TestRepo).main];
    const expected = folders.map(statusAlone);
    // The fixture really has the cases it claims.
    expect(expected[0]).toBe("");
    expect(expected[3]).toContain("\0\u0001wt-end 7\0");
    expect(expected[4]).toContain("line\nbreak.txt");
    for (const groups of [1, 2, 3, 4, 8]) {
      expect(await statusMany(folders, process.env, groups), `groups=${groups}`).toEqual(expected);
    }
  });

  it("a folder that is gone or is no repository gets null; the others still get their output", async () => {
    const folders = sevenWorktrees();
    scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-not-a-repo-")));
    const gone = folders[2] as string;
    rmSync(gone, { recursive: true, force: true });
    const asked = [...folders, scratch];
    const expected = asked.map((f) => (f === gone || f === scratch ? null : statusAlone(f)));
    // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the scratch folder.
    process.env.GIT_CEILING_DIRECTORIES = path.dirname(scratch);
    try {
      expect(await statusMany(asked, process.env, 2)).toEqual(expected);
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
    }
  });

  it("works without a POSIX sh (one git per folder)", async () => {
    const folders = sevenWorktrees();
    const expected = folders.map(statusAlone);
    scratch = mkdtempSync(path.join(tmpdir(), "wt-no-sh-"));
    const gitPath = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    symlinkSync(gitPath, path.join(scratch, "git"));
    process.env.PATH = scratch;
    expect(await statusMany(folders, process.env, 3)).toEqual(expected);
  });

  it("returns [] for no folders", async () => {
    expect(await statusMany([], process.env, 4)).toEqual([]);
  });
});

describe("gitInEach", () => {
  it("passes each job's last argument as data: shell syntax and option-like values do nothing", async () => {
    const folders = sevenWorktrees();
    const main = (repo as TestRepo).main;
    const pwned = path.join(main, "pwned");
    const jobs = [
      { cwd: folders[0] as string, lastArg: "HEAD" },
      { cwd: folders[1] as string, lastArg: `$(touch ${pwned})` },
      { cwd: folders[2] as string, lastArg: `--output=${pwned}` },
      { cwd: folders[3] as string },
    ];
    const out = await gitInEach(["rev-parse", "--verify", "--quiet", "--end-of-options"], jobs, process.env, 2);
    const head = gitSync(folders[0] as string, "rev-parse", "HEAD");
    expect(out).toEqual([`${head}\n`, null, null, null]);
    expect(existsSync(pwned)).toBe(false);
  });

  it("counts of rev-list (output without NULs) come back from the sh groups, not one git process per folder from Node", async () => {
    const folders = sevenWorktrees();
    const main = (repo as TestRepo).main;
    gitSync(folders[1] as string, "commit", "-q", "--allow-empty", "-m", "ahead");
    // A git in front of the real one that logs its arguments: the groups run `git -C <folder>`.
    scratch = mkdtempSync(path.join(tmpdir(), "wt-gitlog-"));
    const log = path.join(scratch, "log");
    const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    writeFileSync(path.join(scratch, "git"), `#!/bin/sh\necho "$1" >> '${log}'\nexec '${realGit}' "$@"\n`, {
      mode: 0o755,
    });
    const env = { ...process.env, PATH: `${scratch}${path.delimiter}${process.env.PATH ?? ""}` };
    const jobs = folders.map((cwd) => ({ cwd, lastArg: `${gitSync(main, "rev-parse", "main")}...HEAD` }));
    const out = await gitInEach(["rev-list", "--left-right", "--count", "--end-of-options"], jobs, env, 2);
    expect(out[0]).toBe("0\t0\n");
    expect(out[1]).toBe("0\t1\n");
    expect(out).toHaveLength(7);
    const calls = execFileSync("cat", [log], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(calls).toEqual(folders.map(() => "-C"));
  });

  it("refuses fixed arguments that are not plain words (they become script text)", async () => {
    await expect(gitInEach(["status", "$(id)"], [{ cwd: "/" }], process.env)).rejects.toThrow(/not a plain argument/);
  });
});

describe("splitStatusRuns", () => {
  const h = "1111111111111111111111111111111111111111";
  it("splits at the end markers, keeps exit codes, and never takes a rename's original path for a marker", () => {
    const out = [
      `1 .M N... 100644 100644 100644 ${h} ${h} a.txt`,
      "\u0001wt-end 0",
      "\u0001wt-end 128",
      `2 R. N... 100644 100644 100644 ${h} ${h} R100 new.txt`,
      "\u0001wt-end 3",
      "? x",
      "\u0001wt-end 0",
      "",
    ].join("\0");
    expect(splitStatusRuns(out)).toEqual([
      { output: `1 .M N... 100644 100644 100644 ${h} ${h} a.txt\0`, code: 0 },
      { output: "", code: 128 },
      { output: `2 R. N... 100644 100644 100644 ${h} ${h} R100 new.txt\0\u0001wt-end 3\0? x\0`, code: 0 },
    ]);
  });

  it("gives nothing for output without a marker (a group that died before its first end)", () => {
    expect(splitStatusRuns(`? x\0`)).toEqual([]);
  });
});
