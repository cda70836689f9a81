import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseStatusV2, parseWorktreeList, splitNul, type WorktreeEntry } from "../../src/git/parse.js";
import { GIT_ENV, gitSync, makeRepo, type TestRepo } from "../helpers/repo.js";

/** git with its raw stdout (not trimmed: NUL-separated output ends in NULs that matter). */
function gitRaw(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Builds `git worktree list --porcelain -z` output from records of fields. */
function porcelainZ(...records: string[][]): string {
  return records.map((fields) => `${fields.map((f) => `${f}\0`).join("")}\0`).join("");
}

const SHA1 = "ac55bbafc570666f83d4dd2cdeebbdbd6e747f46";
const SHA2 = "0123456789abcdef0123456789abcdef01234567";
const ZERO = "0".repeat(40);

function entry(overrides: Partial<WorktreeEntry> & { path: string }): WorktreeEntry {
  return { head: null, branch: null, bare: false, detached: false, locked: null, prunable: null, ...overrides };
}

describe("parseWorktreeList (canned output)", () => {
  it("parses the main worktree and a linked one with a branch", () => {
    const out = porcelainZ(
      ["worktree /repo/app", `HEAD ${SHA1}`, "branch refs/heads/main"],
      ["worktree /repo/app-worktrees/issue-101", `HEAD ${SHA2}`, "branch refs/heads/feature/issue-101"],
    );
    expect(parseWorktreeList(out)).toEqual([
      entry({ path: "/repo/app", head: SHA1, branch: "main" }),
      entry({ path: "/repo/app-worktrees/issue-101", head: SHA2, branch: "feature/issue-101" }),
    ]);
  });

  it("keeps paths with spaces, a newline and other odd characters whole", () => {
    const odd = '/tmp/my repo/wt\nwith newline/it\'s "quoted" é';
    const out = porcelainZ(
      ["worktree /tmp/my repo/main", `HEAD ${SHA1}`, "branch refs/heads/main"],
      [`worktree ${odd}`, `HEAD ${SHA2}`, "branch refs/heads/x y"],
    );
    const parsed = parseWorktreeList(out);
    expect(parsed).toHaveLength(2);
    expect(parsed[0]?.path).toBe("/tmp/my repo/main");
    expect(parsed[1]?.path).toBe(odd);
    expect(parsed[1]?.branch).toBe("x y");
  });

  it("reads `locked` without a reason as the empty string and with a reason as the reason", () => {
    const out = porcelainZ(
      ["worktree /r/main", `HEAD ${SHA1}`, "branch refs/heads/main"],
      ["worktree /r/a", `HEAD ${SHA1}`, "branch refs/heads/a", "locked"],
      ["worktree /r/b", `HEAD ${SHA1}`, "branch refs/heads/b", "locked on a usb drive\nthat is unplugged"],
    );
    const parsed = parseWorktreeList(out);
    expect(parsed.map((e) => e.locked)).toEqual([null, "", "on a usb drive\nthat is unplugged"]);
  });

  it("reads `prunable <reason>`", () => {
    const out = porcelainZ([
      "worktree /r/gone",
      `HEAD ${SHA1}`,
      "detached",
      "prunable gitdir file points to non-existent location",
    ]);
    expect(parseWorktreeList(out)).toEqual([
      entry({
        path: "/r/gone",
        head: SHA1,
        detached: true,
        prunable: "gitdir file points to non-existent location",
      }),
    ]);
  });

  it("reads a worktree that is both locked and prunable", () => {
    const out = porcelainZ(["worktree /r/x", `HEAD ${SHA1}`, "branch refs/heads/x", "locked why", "prunable gone"]);
    expect(parseWorktreeList(out)[0]).toMatchObject({ locked: "why", prunable: "gone", branch: "x" });
  });

  it("reads a detached HEAD: branch null, detached true, head kept", () => {
    const out = porcelainZ(["worktree /r/d", `HEAD ${SHA2}`, "detached"]);
    expect(parseWorktreeList(out)).toEqual([entry({ path: "/r/d", head: SHA2, detached: true })]);
  });

  it("reads a bare repository: bare true, head and branch null", () => {
    const out = porcelainZ(["worktree /r/bare.git", "bare"]);
    expect(parseWorktreeList(out)).toEqual([entry({ path: "/r/bare.git", bare: true })]);
  });

  it("reads an unborn HEAD (all zeros, SHA-1 and SHA-256 widths) as head null, branch kept", () => {
    const out = porcelainZ(
      ["worktree /r/a", `HEAD ${ZERO}`, "branch refs/heads/main"],
      ["worktree /r/b", `HEAD ${"0".repeat(64)}`, "branch refs/heads/orphan"],
    );
    expect(parseWorktreeList(out)).toEqual([
      entry({ path: "/r/a", branch: "main" }),
      entry({ path: "/r/b", branch: "orphan" }),
    ]);
  });

  it("does not treat a HEAD that merely contains zeros as unborn", () => {
    const head = `${"0".repeat(39)}1`;
    const out = porcelainZ(["worktree /r/a", `HEAD ${head}`, "detached"]);
    expect(parseWorktreeList(out)[0]?.head).toBe(head);
  });

  it("keeps a branch name that is not under refs/heads/ as given", () => {
    const out = porcelainZ(["worktree /r/a", `HEAD ${SHA1}`, "branch refs/remotes/origin/x"]);
    expect(parseWorktreeList(out)[0]?.branch).toBe("refs/remotes/origin/x");
  });

  it("keeps refs/heads/ only once when the short name itself starts with it", () => {
    const out = porcelainZ(["worktree /r/a", `HEAD ${SHA1}`, "branch refs/heads/refs/heads/x"]);
    expect(parseWorktreeList(out)[0]?.branch).toBe("refs/heads/x");
  });

  it("ignores unknown fields and returns [] for empty output", () => {
    const out = porcelainZ(["worktree /r/a", `HEAD ${SHA1}`, "branch refs/heads/a", "futurekey some value", "flag"]);
    expect(parseWorktreeList(out)).toEqual([entry({ path: "/r/a", head: SHA1, branch: "a" })]);
    expect(parseWorktreeList("")).toEqual([]);
  });

  it("still returns the last record when the final empty field is missing", () => {
    const out = `worktree /r/a\0HEAD ${SHA1}\0branch refs/heads/a\0`;
    expect(parseWorktreeList(out)).toEqual([entry({ path: "/r/a", head: SHA1, branch: "a" })]);
  });

  it("does not let a path that looks like a field start a record", () => {
    // A worktree whose path literally is "/x\nHEAD 123" must stay one path.
    const out = porcelainZ(["worktree /x\nHEAD 123", `HEAD ${SHA1}`, "detached"]);
    const parsed = parseWorktreeList(out);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]?.path).toBe("/x\nHEAD 123");
    expect(parsed[0]?.head).toBe(SHA1);
  });
});

describe("parseStatusV2 (canned output)", () => {
  const hH = "1111111111111111111111111111111111111111";
  const hI = "2222222222222222222222222222222222222222";

  it("skips headers and parses ordinary, renamed, copied, unmerged, untracked and ignored entries", () => {
    const out = [
      `# branch.oid ${SHA1}`,
      "# branch.head main",
      "# branch.upstream origin/main",
      "# branch.ab +1 -2",
      `1 .M N... 100644 100644 100644 ${hH} ${hH} src/a file.ts`,
      `1 A. N... 000000 100644 100644 ${ZERO} ${hI} new.txt`,
      `2 R. N... 100644 100644 100644 ${hH} ${hH} R100 dir/new name.txt`,
      "old name.txt",
      `2 C. N... 100644 100644 100644 ${hH} ${hH} C75 copy.txt`,
      "orig.txt",
      `u UU N... 100644 100644 100644 100644 ${hH} ${hI} ${hH} conflict file.txt`,
      "? untracked with space.txt",
      "! ignored/node_modules/",
      "",
    ].join("\0");
    expect(parseStatusV2(out)).toEqual([
      { kind: "changed", xy: ".M", path: "src/a file.ts" },
      { kind: "changed", xy: "A.", path: "new.txt" },
      { kind: "renamed", xy: "R.", path: "dir/new name.txt", origPath: "old name.txt" },
      { kind: "renamed", xy: "C.", path: "copy.txt", origPath: "orig.txt" },
      { kind: "unmerged", xy: "UU", path: "conflict file.txt" },
      { kind: "untracked", xy: "??", path: "untracked with space.txt" },
      { kind: "ignored", xy: "!!", path: "ignored/node_modules/" },
    ]);
  });

  it("keeps newlines, leading spaces and '#' in paths, including a rename's original path", () => {
    const out = [
      `1 .M N... 100644 100644 100644 ${hH} ${hH}  leading space`,
      `2 R. N... 100644 100644 100644 ${hH} ${hH} R90 line\nbreak.txt`,
      "# not a header, an original path",
      "? #hash.txt",
      "? new\nline.txt",
      "",
    ].join("\0");
    expect(parseStatusV2(out)).toEqual([
      { kind: "changed", xy: ".M", path: " leading space" },
      { kind: "renamed", xy: "R.", path: "line\nbreak.txt", origPath: "# not a header, an original path" },
      { kind: "untracked", xy: "??", path: "#hash.txt" },
      { kind: "untracked", xy: "??", path: "new\nline.txt" },
    ]);
  });

  it("reads a submodule entry's path after its 8 fields", () => {
    const out = `1 .M SC.. 160000 160000 160000 ${hH} ${hH} vendor/lib\0`;
    expect(parseStatusV2(out)).toEqual([{ kind: "changed", xy: ".M", path: "vendor/lib" }]);
  });

  it("returns [] for a clean tree (headers only or nothing)", () => {
    expect(parseStatusV2("")).toEqual([]);
    expect(parseStatusV2(`# branch.oid ${SHA1}\0# branch.head main\0`)).toEqual([]);
  });
});

describe("splitNul", () => {
  it("splits NUL-terminated items and drops empty ones", () => {
    expect(splitNul("a b\0c\nd\0\0")).toEqual(["a b", "c\nd"]);
    expect(splitNul("")).toEqual([]);
  });
});

describe("parsers against real git output", () => {
  let repo: TestRepo;
  afterEach(() => repo?.remove());

  /** The non -z porcelain line of `key` for the record of `wtPath` (git's own wording of reasons). */
  function plainField(wtPath: string, key: string): string | undefined {
    const plain = gitRaw(repo.main, "worktree", "list", "--porcelain");
    const record = plain.split("\n\n").find((r) => r.split("\n")[0] === `worktree ${wtPath}`);
    const line = record?.split("\n").find((l) => l === key || l.startsWith(`${key} `));
    return line === undefined ? undefined : line.slice(key.length + 1);
  }

  it("parses every field of `git worktree list --porcelain -z`", () => {
    repo = makeRepo();
    const head = repo.git("rev-parse", "HEAD");
    const base = path.join(repo.root, "trees");
    mkdirSync(base);
    const odd = path.join(base, "odd name\nwith newline");
    const locked = path.join(base, "locked");
    const lockedNoReason = path.join(base, "locked-no-reason");
    const gone = path.join(base, "gone");
    const detached = path.join(base, "detached");
    const unborn = path.join(base, "unborn");
    repo.git("worktree", "add", "-q", "-b", "feature/odd-name", odd);
    repo.git("worktree", "add", "-q", "-b", "locked", locked);
    repo.git("worktree", "lock", "--reason", "on a usb drive", locked);
    repo.git("worktree", "add", "-q", "-b", "locked-no-reason", lockedNoReason);
    repo.git("worktree", "lock", lockedNoReason);
    repo.git("worktree", "add", "-q", "-b", "gone", gone);
    rmSync(gone, { recursive: true, force: true });
    repo.git("worktree", "add", "-q", "--detach", detached);
    repo.git("worktree", "add", "-q", "-b", "will-be-orphaned", unborn);
    gitSync(unborn, "checkout", "-q", "--orphan", "orphan");

    const parsed = parseWorktreeList(gitRaw(repo.main, "worktree", "list", "--porcelain", "-z"));
    const byPath = new Map(parsed.map((e) => [e.path, e]));
    expect(parsed).toHaveLength(7);
    expect(parsed[0]).toEqual(entry({ path: repo.main, head, branch: "main" }));
    expect(byPath.get(odd)).toEqual(entry({ path: odd, head, branch: "feature/odd-name" }));
    expect(byPath.get(locked)).toEqual(entry({ path: locked, head, branch: "locked", locked: "on a usb drive" }));
    expect(byPath.get(lockedNoReason)).toEqual(
      entry({ path: lockedNoReason, head, branch: "locked-no-reason", locked: "" }),
    );
    const goneReason = plainField(gone, "prunable");
    expect(goneReason).toBeTruthy();
    expect(byPath.get(gone)).toEqual(entry({ path: gone, head, branch: "gone", prunable: goneReason as string }));
    expect(byPath.get(detached)).toEqual(entry({ path: detached, head, detached: true }));
    expect(byPath.get(unborn)).toEqual(entry({ path: unborn, head: null, branch: "orphan" }));
  });

  it("keeps a lock reason holding a newline exactly", () => {
    repo = makeRepo();
    const wt = path.join(repo.root, "locked");
    repo.git("worktree", "add", "-q", "-b", "l", wt);
    repo.git("worktree", "lock", "--reason", "line one\nline two", wt);
    const parsed = parseWorktreeList(gitRaw(repo.main, "worktree", "list", "--porcelain", "-z"));
    expect(parsed.find((e) => e.path === wt)?.locked).toBe("line one\nline two");
  });

  it("parses a real unborn main worktree and a real bare repository", () => {
    repo = makeRepo();
    const fresh = path.join(repo.root, "fresh");
    mkdirSync(fresh);
    gitSync(fresh, "init", "-q", "-b", "trunk");
    expect(parseWorktreeList(gitRaw(fresh, "worktree", "list", "--porcelain", "-z"))).toEqual([
      entry({ path: fresh, branch: "trunk" }),
    ]);
    const bare = path.join(repo.root, "bare.git");
    gitSync(repo.root, "init", "-q", "--bare", bare);
    expect(parseWorktreeList(gitRaw(bare, "worktree", "list", "--porcelain", "-z"))).toEqual([
      entry({ path: bare, bare: true }),
    ]);
  });

  it("parses every entry of `git status --porcelain=v2 -z --untracked-files=all`", () => {
    repo = makeRepo({ files: { "old name.txt": "rename me\n", "mod.txt": "one\n", "dir/keep.txt": "k\n" } });
    repo.git("mv", "old name.txt", "dir/new name.txt");
    writeFileSync(path.join(repo.main, "mod.txt"), "two\n");
    repo.write("untracked file.txt", "u\n");
    repo.write("deep/er/also untracked.txt", "u\n");
    repo.write("new\nline.txt", "u\n");
    repo.write("staged.txt", "s\n");
    repo.git("add", "staged.txt");
    repo.write(".gitignore", "*.log\n");
    repo.write("debug.log", "ignored\n");

    const out = gitRaw(repo.main, "status", "--porcelain=v2", "-z", "--untracked-files=all", "--branch", "--ignored");
    const parsed = parseStatusV2(out);
    const sort = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect([...parsed].sort(sort)).toEqual(
      [
        { kind: "renamed", xy: "R.", path: "dir/new name.txt", origPath: "old name.txt" },
        { kind: "changed", xy: ".M", path: "mod.txt" },
        { kind: "changed", xy: "A.", path: "staged.txt" },
        { kind: "untracked", xy: "??", path: ".gitignore" },
        { kind: "untracked", xy: "??", path: "untracked file.txt" },
        { kind: "untracked", xy: "??", path: "deep/er/also untracked.txt" },
        { kind: "untracked", xy: "??", path: "new\nline.txt" },
        { kind: "ignored", xy: "!!", path: "debug.log" },
      ].sort(sort),
    );
  });

  it("parses a real merge conflict as unmerged UU", () => {
    repo = makeRepo({ files: { "conflict file.txt": "base\n" } });
    repo.git("checkout", "-q", "-b", "other");
    repo.write("conflict file.txt", "other\n");
    repo.commitAll("other");
    repo.git("checkout", "-q", "main");
    repo.write("conflict file.txt", "main\n");
    repo.commitAll("main");
    expect(() => repo.git("merge", "-q", "other")).toThrow();
    const parsed = parseStatusV2(gitRaw(repo.main, "status", "--porcelain=v2", "-z"));
    expect(parsed).toEqual([{ kind: "unmerged", xy: "UU", path: "conflict file.txt" }]);
  });

  it("gives [] for a clean real worktree", () => {
    repo = makeRepo();
    expect(parseStatusV2(gitRaw(repo.main, "status", "--porcelain=v2", "-z", "--branch"))).toEqual([]);
  });
});
