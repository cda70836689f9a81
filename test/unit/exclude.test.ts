import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exactPattern, removeExcludes, setExcludes } from "../../src/core/exclude.js";
import { GIT_ENV, makeRepo, type TestRepo } from "../helpers/repo.js";

let repo: TestRepo | undefined;
let dir: string | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempDir(): string {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-exclude-")));
  return dir;
}

/** Untracked, not ignored paths of the main worktree, from real git (raw, -z). */
function untracked(r: TestRepo): string[] {
  const out = execFileSync("git", ["status", "--porcelain=v2", "-z", "--untracked-files=all"], {
    cwd: r.main,
    env: { ...process.env, ...GIT_ENV },
    encoding: "utf8",
  });
  return out
    .split("\0")
    .filter((f) => f.startsWith("? "))
    .map((f) => f.slice(2))
    .sort();
}

/** Whether git ignores `rel` (check-ignore matches the path string itself, globs in it are not expanded). */
function ignored(r: TestRepo, rel: string): boolean {
  const res = spawnSync("git", ["check-ignore", "-q", "--no-index", "--", rel], {
    cwd: r.main,
    env: { ...process.env, ...GIT_ENV },
  });
  if (res.status !== 0 && res.status !== 1) throw new Error(`check-ignore failed: ${res.stderr}`);
  return res.status === 0;
}

function commonDir(r: TestRepo): string {
  return path.join(r.main, ".git");
}

function excludeText(r: TestRepo): string {
  return readFileSync(path.join(commonDir(r), "info", "exclude"), "utf8");
}

describe("exactPattern (strings)", () => {
  it.each([
    ["plain.txt", "/plain.txt"],
    [".env.local", "/.env.local"],
    ["dir/sub file.txt", "/dir/sub file.txt"],
    ["a*b", "/a\\*b"],
    ["a?b", "/a\\?b"],
    ["a[x]b", "/a\\[x]b"],
    ["a\\b", "/a\\\\b"],
    ["t ", "/t\\ "],
    ["!bang", "/!bang"],
    ["#hash", "/#hash"],
    ["**/x", "/\\*\\*/x"],
  ])("%j -> %j", (rel, pattern) => {
    expect(exactPattern(rel)).toBe(pattern);
  });

  it("never produces more than one line (a newline in a path must not add patterns)", () => {
    const pattern = exactPattern("evil\n*");
    expect(pattern.includes("\n")).toBe(false);
    expect(pattern.includes("\r")).toBe(false);
  });
});

describe("exactPattern (real git matches exactly that path)", () => {
  /** Each special path with siblings a sloppy pattern would also match. */
  const CASES: [string, string[]][] = [
    ["a*b", ["axb", "ab", "a-long-b"]],
    ["q?b", ["qxb", "qb"]],
    ["c[x]b", ["cxb", "c[y]b"]],
    ["d\\b", ["db", "d\\c"]],
    ["t ", ["t"]],
    ["two  ", ["two ", "two"]],
    ["!bang", ["bang"]],
    ["#hash", ["hash"]],
    ["sp ace.txt", ["sp", "ace.txt"]],
    ["é.txt", ["e.txt"]],
    ["dir/inner[1].txt", ["dir/inner1.txt", "other/dir/inner[1].txt"]],
    [".env.local", ["sub/.env.local", ".env.local.bak"]],
  ];

  it("via info/exclude: only the exact paths leave git status, every sibling stays", async () => {
    repo = makeRepo();
    const r = repo;
    const all = CASES.flatMap(([p, siblings]) => [p, ...siblings]);
    for (const rel of all) r.write(rel, "x\n");
    expect(untracked(r)).toEqual([...all].sort());

    await setExcludes(
      commonDir(r),
      "101",
      CASES.map(([p]) => exactPattern(p)),
    );
    const siblings = CASES.flatMap(([, s]) => s).sort();
    expect(untracked(r)).toEqual(siblings);
    for (const [p, sibs] of CASES) {
      expect(ignored(r, p), p).toBe(true);
      for (const s of sibs) expect(ignored(r, s), `${s} (sibling of ${p})`).toBe(false);
    }
  });

  it.each(CASES)("%j alone is matched without its siblings", async (special, siblings) => {
    repo = makeRepo();
    const r = repo;
    await setExcludes(commonDir(r), "x", [exactPattern(special)]);
    expect(ignored(r, special)).toBe(true);
    for (const s of siblings) expect(ignored(r, s), s).toBe(false);
  });

  it("matches a symlink (no trailing-slash trap) and is anchored at the worktree root", async () => {
    repo = makeRepo();
    const r = repo;
    const target = path.join(r.root, "shared-node-modules");
    mkdirSync(target);
    writeFileSync(path.join(target, "pkg.js"), "x\n");
    symlinkSync(target, path.join(r.main, "node_modules"));
    r.write("packages/a/node_modules/dep.js", "x\n");
    expect(untracked(r)).toEqual(["node_modules", "packages/a/node_modules/dep.js"]);
    await setExcludes(commonDir(r), "101", [exactPattern("node_modules")]);
    expect(untracked(r)).toEqual(["packages/a/node_modules/dep.js"]);
  });

  it("a path holding a newline does not make git ignore unrelated files", async () => {
    repo = makeRepo();
    const r = repo;
    r.write("unrelated.txt", "x\n");
    r.write("sub/unrelated.txt", "x\n");
    // The second line of the path would become its own, unanchored pattern.
    await setExcludes(commonDir(r), "101", [exactPattern("evil\nunrelated.txt")]);
    expect(untracked(r)).toEqual(["sub/unrelated.txt", "unrelated.txt"]);
  });

  it("a path ending in a carriage return is excluded, not its sibling without one", async () => {
    // git drops a CR at the end of an exclude line, so "/cr\r" would become "/cr".
    repo = makeRepo();
    const r = repo;
    r.write("cr\r", "x\n");
    r.write("cr", "x\n");
    await setExcludes(commonDir(r), "101", [exactPattern("cr\r")]);
    expect(untracked(r)).toEqual(["cr"]);
  });
});

describe("setExcludes / removeExcludes", () => {
  const USER = "# my own rules\n*.swp\n\n/build-local/\n";

  function setup(initial: string | null): { common: string; file: string } {
    const common = path.join(tempDir(), "git-common");
    mkdirSync(common);
    const file = path.join(common, "info", "exclude");
    if (initial !== null) {
      mkdirSync(path.dirname(file));
      writeFileSync(file, initial);
    }
    return { common, file };
  }

  it("creates info/exclude (and the info folder) when missing", async () => {
    const { common, file } = setup(null);
    await setExcludes(common, "101", ["/.env.local"]);
    const text = readFileSync(file, "utf8");
    expect(text.split("\n").filter((l) => !l.startsWith("#"))).toEqual(["/.env.local", ""]);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("appends a marked block and keeps the user's lines exactly", async () => {
    const { common, file } = setup(USER);
    await setExcludes(common, "101", ["/.env.local", "/node_modules"]);
    const text = readFileSync(file, "utf8");
    expect(text.startsWith(USER)).toBe(true);
    const added = text.slice(USER.length).split("\n");
    expect(added[0]).toMatch(/^# wt:begin 101\b/);
    expect(added.slice(1, 3)).toEqual(["/.env.local", "/node_modules"]);
    expect(added[3]).toBe("# wt:end 101");
    expect(added.slice(4)).toEqual([""]);
  });

  it("replaces an id's block instead of adding a second one", async () => {
    const { common, file } = setup(USER);
    await setExcludes(common, "101", ["/old-a", "/old-b"]);
    await setExcludes(common, "101", ["/new"]);
    const text = readFileSync(file, "utf8");
    expect(text.match(/# wt:begin 101\b/g)).toHaveLength(1);
    expect(text.match(/# wt:end 101$/gm)).toHaveLength(1);
    expect(text).not.toContain("/old-a");
    expect(text).not.toContain("/old-b");
    expect(text).toContain("\n/new\n");
    expect(text.startsWith(USER)).toBe(true);
  });

  it("removes only the given id's block, leaving other ids and user lines (10 vs 101)", async () => {
    const { common, file } = setup(USER);
    await setExcludes(common, "10", ["/ten"]);
    await setExcludes(common, "101", ["/one-oh-one"]);
    await setExcludes(common, "auth-fix", ["/auth"]);
    writeFileSync(file, `${readFileSync(file, "utf8")}# user line after the blocks\n/after\n`);
    await removeExcludes(common, "10");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("/ten\n");
    expect(text).not.toMatch(/# wt:(begin|end) 10\b(?!1)/);
    expect(text).toContain("# wt:begin 101");
    expect(text).toContain("/one-oh-one\n");
    expect(text).toContain("# wt:begin auth-fix");
    expect(text).toContain("/auth\n");
    expect(text).toContain("# user line after the blocks\n/after\n");
    expect(text.startsWith(USER)).toBe(true);

    await removeExcludes(common, "101");
    await removeExcludes(common, "auth-fix");
    expect(readFileSync(file, "utf8")).toBe(`${USER}# user line after the blocks\n/after\n`);
  });

  it("set then remove gives back git's own default exclude file byte for byte", async () => {
    repo = makeRepo();
    const r = repo;
    const original = excludeText(r);
    expect(original.length).toBeGreaterThan(0);
    await setExcludes(commonDir(r), "101", [exactPattern(".env.local"), exactPattern("data/a.db")]);
    expect(excludeText(r)).not.toBe(original);
    await removeExcludes(commonDir(r), "101");
    expect(excludeText(r)).toBe(original);
  });

  it("removing an id with no block leaves the file as it was", async () => {
    const { common, file } = setup(USER);
    await removeExcludes(common, "nope");
    expect(readFileSync(file, "utf8")).toBe(USER);
  });

  it("removing the last block of a file wt created leaves it empty", async () => {
    const { common, file } = setup(null);
    await setExcludes(common, "101", ["/x"]);
    await removeExcludes(common, "101");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("");
  });

  it("a user line equal to a pattern survives removal of the block holding the same pattern", async () => {
    const { common, file } = setup("/.env.local\n");
    await setExcludes(common, "101", ["/.env.local"]);
    await removeExcludes(common, "101");
    expect(readFileSync(file, "utf8")).toBe("/.env.local\n");
  });

  it("the excluded files really come back into git status after removeExcludes", async () => {
    repo = makeRepo();
    const r = repo;
    r.write(".env.local", "PORT=3101\n");
    await setExcludes(commonDir(r), "101", [exactPattern(".env.local")]);
    expect(untracked(r)).toEqual([]);
    await removeExcludes(commonDir(r), "101");
    expect(untracked(r)).toEqual([".env.local"]);
  });
});
