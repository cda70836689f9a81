// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${IFS} in branch names is the shell code under test
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { parse } from "dotenv";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import { filesUnder } from "../helpers/footprint.js";
import {
  branchExists,
  type ErrorJson,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  worktreePaths,
} from "../helpers/repo.js";

/**
 * Issue 9, items 8, 11 and 14: where `wt create` (and cleanup) write and read, on real
 * repositories: the env file is safe to source, a swapped worktree root is never written
 * through, and worktree folders are never `.worktreeinclude` candidates.
 */

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

/** This file's own port range (never a well-known port). */
const PORTS = { PORT: 47310 };
const config = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ports: PORTS, portSlots: 40, ...extra }, null, 2);

/** Every file named like a marker a hostile value would create, anywhere under `root`. */
function markers(root: string): string[] {
  return filesUnder(root).filter((f) => /(^|\/)(PWNED|F)$/.test(f));
}

/** Sources `envFile` in `shell` (`set -a; . file`) inside `cwd` and prints `name`'s value. */
function sourced(shell: string, cwd: string, envFile: string, name: string): string {
  return execFileSync(shell, ["-c", `set -a; . ./${envFile}; printf '%s' "$${name}"`], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/home/nobody-wt-test" },
  });
}

describe("item 11: the env file is safe to source in sh and bash", () => {
  /** Values that a shell would run, expand or change when quoted carelessly; all writable. */
  const NASTY: Record<string, string> = {
    SUBST: "$(touch PWNED)",
    BACKTICKS: "`touch PWNED`",
    BREAKOUT_SINGLE: "'; touch PWNED; '",
    BREAKOUT_DOUBLE: '"; touch PWNED; "',
    DOLLARS: "$HOME and $1 and $$",
    BACKSLASHES: "a\\b\\\\c \\n \\$(touch PWNED)",
    // Was written bare, and an unquoted backslash escapes the next character in a shell.
    WINDOWS_PATH: "C:\\temp\\new",
    SPACES: "  two  spaces  ",
    HASH_START: "#not a comment",
    HASH_MIDDLE: "a # b",
    UNICODE: "héllo wörld — 日本語 🙂",
    NBSP: "\u00a0nbsp\u00a0",
    LINE_SEPARATOR: "a\u2028b",
    GLOB: "* ? [a-z]",
    TILDE: "~/x:~/y",
    EQUALS: "a=b==c",
    APOSTROPHE: "it's fine",
    WHOLE_SINGLE: "'quoted'",
    WHOLE_DOUBLE: '"quoted"',
    EMPTY: "",
    BANG: "!! !$ !-1",
    OPERATORS: "a;b|c&d>e<f(g)",
    EXPORT_LIKE: "export X=1",
  };

  it("sh and bash read every value back exactly, dotenv too, and nothing runs", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": ".env.local\n",
        ".worktreeinclude": ".env.local\n",
        "wt.config.json": config({ env: NASTY }),
      },
    });
    // The user's own .env.local, brought by .worktreeinclude: its keys stay as they were.
    repo.write(".env.local", "# mine\nSECRET=s3cr3t\nQUOTED='x y'\nPORT=1\n");
    // A branch with `$(...)`, `#` and spaces for the shell to trip on.
    const branch = "feat/$(touch${IFS}PWNED)#x";
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--json", "--branch", branch]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    const text = readFileSync(path.join(r.path, ".env.local"), "utf8");
    const expected: Record<string, string> = { ...NASTY, WT_BRANCH: branch, WT_PATH: r.path, SECRET: "s3cr3t" };

    expect(parse(text)).toMatchObject({ ...expected, QUOTED: "x y", PORT: String(r.ports.PORT) });
    expect(parse(text, { fast: true })).toMatchObject(expected);
    for (const shell of ["/bin/sh", "bash"]) {
      for (const [name, value] of Object.entries(expected)) {
        expect(sourced(shell, r.path, ".env.local", name), `${shell} ${name}`).toBe(value);
      }
    }
    expect(markers(repo.root)).toEqual([]);
  });

  it("a repository under a folder with a single quote: WT_PATH and WT_MAIN source exactly", async () => {
    repo = makeRepo({ parent: "it's here", files: { "wt.config.json": config() } });
    const run = await runWt(repo.main, ["create", "104", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    for (const shell of ["/bin/sh", "bash"]) {
      expect(sourced(shell, r.path, ".env.local", "WT_PATH")).toBe(r.path);
      expect(sourced(shell, r.path, ".env.local", "WT_MAIN")).toBe(repo.main);
    }
  });

  it("a repository under a folder with ' and $: exit 2 naming WT_PATH and `wt env`, nothing made", async () => {
    repo = makeRepo({ parent: "it's $(touch PWNED)", files: { "wt.config.json": config() } });
    const run = await runWt(repo.main, ["create", "105", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(2);
    const err = json<ErrorJson>(run).error;
    expect(err.message).toContain("WT_PATH");
    expect(err.hint).toContain("wt env");
    expect(worktreePaths(repo.main)).toHaveLength(1);
    expect(markers(repo.root)).toEqual([]);
  });

  // Each value holds `'` together with what a shell expands in double quotes, or ends in a
  // backslash: no line reads the same in dotenv and in a shell. Before the fix the first two
  // were written between double quotes or backticks, so sourcing the file ran `touch`.
  const UNWRITABLE: [string, string[]][] = [
    ["a branch with ' \" and $(...) (the issue's)", ["--branch", `x'y'"z"$(touch\${IFS}F)`]],
    ["a branch with ' and backticks", ["--branch", "it's`touch${IFS}PWNED`"]],
    ["a branch with ' and $(...)", ["--branch", "it's$(touch${IFS}PWNED)"]],
  ];
  it.each(UNWRITABLE)("refuses %s: exit 2 naming wt env, and nothing is made", async (_label, args) => {
    repo = makeRepo({ files: { "wt.config.json": config() } });
    const before = worktreePaths(repo.main);
    const run = await runWt(repo.main, ["create", "102", "--no-fetch", "--json", ...args]);
    expect(run.code, run.stderr).toBe(2);
    const err = json<ErrorJson>(run).error;
    expect(err.message).toContain("WT_BRANCH");
    expect(err.hint).toContain("wt env");
    expect(worktreePaths(repo.main)).toEqual(before);
    expect(branchExists(repo.main, args[1] as string)).toBe(false);
    expect(existsSync(path.join(path.dirname(repo.main), "app-worktrees"))).toBe(false);
    expect(markers(repo.root)).toEqual([]);
  });

  it.each([
    ["a single quote and $(...)", "it's $(touch PWNED)"],
    ["a single quote and backticks", "it's `touch PWNED`"],
    ["a trailing backslash", "C:\\tools\\"],
  ])("refuses an `env` entry with %s: exit 2, nothing made", async (_label, value) => {
    repo = makeRepo({ files: { "wt.config.json": config({ env: { HOSTILE: value } }) } });
    const run = await runWt(repo.main, ["create", "103", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(2);
    const err = json<ErrorJson>(run).error;
    expect(err.message).toContain("HOSTILE");
    expect(err.hint).toContain("wt env");
    expect(worktreePaths(repo.main)).toHaveLength(1);
    expect(branchExists(repo.main, "feature/issue-103")).toBe(false);
    expect(markers(repo.root)).toEqual([]);
  });
});

describe("item 14: worktree folders are never .worktreeinclude candidates", () => {
  const create = (r: TestRepo, id: string) => runWt(r.main, ["create", id, "--no-fetch", "--json"]);

  it.each([[".*"], ["*"]])(
    "`%s` with an ignored worktreeDir inside the repository: every create works, and no worktree is copied",
    async (pattern) => {
      repo = makeRepo({
        files: {
          ".gitignore": ".worktrees/\n.env\n",
          ".worktreeinclude": `${pattern}\n`,
          "wt.config.json": config({ worktreeDir: ".worktrees/{name}" }),
        },
      });
      repo.write(".env", "SECRET=1\n");
      for (const id of ["1", "2", "3"]) {
        const run = await create(repo, id);
        expect(run.code, run.stderr).toBe(0);
        const r = json<CreateResult>(run);
        expect(r.included.map((e) => e.path)).toEqual([".env"]);
        expect(existsSync(path.join(r.path, ".worktrees"))).toBe(false);
        expect(readFileSync(path.join(r.path, ".env"), "utf8")).toBe("SECRET=1\n");
      }
      expect(worktreePaths(repo.main)).toHaveLength(4);
    },
  );

  it("a matched folder that holds the worktrees is brought entry by entry, without them", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": "build/\n",
        ".worktreeinclude": "build/\n",
        "wt.config.json": config({ worktreeDir: "build/trees/{name}" }),
      },
    });
    repo.write("build/cache/a.txt", "a\n");
    repo.write("build/stamp", "s\n");
    for (const id of ["1", "2"]) {
      const run = await create(repo, id);
      expect(run.code, run.stderr).toBe(0);
      const r = json<CreateResult>(run);
      expect(r.included.map((e) => e.path).sort()).toEqual(["build/cache", "build/stamp"]);
      expect(readFileSync(path.join(r.path, "build/cache/a.txt"), "utf8")).toBe("a\n");
      expect(existsSync(path.join(r.path, "build/trees"))).toBe(false);
    }
  });

  it("a worktree git made elsewhere in the repository (.claude/worktrees/x) is not copied, its neighbours are", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": ".claude/\n",
        ".worktreeinclude": ".*\n",
        "wt.config.json": config(),
      },
    });
    repo.write(".claude/settings.local.json", "{}\n");
    repo.git("worktree", "add", "-q", "-b", "agent-x", ".claude/worktrees/x");
    const run = await create(repo, "1");
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.included.map((e) => e.path)).toEqual([".claude/settings.local.json"]);
    expect(existsSync(path.join(r.path, ".claude/worktrees"))).toBe(false);
  });
});

describe("item 8: a worktree folder swapped for a symlink (or another folder) is never written or deleted through", () => {
  /** A repository whose worktrees get a database and whose main worktree has files of the same names. */
  async function setup(): Promise<{ r: TestRepo; wt: CreateResult; mainFiles: Record<string, string> }> {
    const r = makeRepo({
      files: {
        ".gitignore": ".env.local\ndata/\n",
        "wt.config.json": config({ databases: [{ path: "data/{name}.db" }] }),
      },
    });
    repo = r;
    // What the main worktree holds at the paths wt uses inside a worktree.
    const mainFiles = { ".env.local": "MAIN_ONLY=1\n", "data/issue-5.db": "main's own database\n" };
    for (const [rel, content] of Object.entries(mainFiles))
      writeFileSync(r.write(rel, content), content, { mode: 0o644 });
    const run = await runWt(r.main, ["create", "5", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    return { r, wt: json<CreateResult>(run), mainFiles };
  }

  /** The main worktree's files are exactly as they were, mode 0644 included. */
  function expectMainUntouched(r: TestRepo, mainFiles: Record<string, string>): void {
    for (const [rel, content] of Object.entries(mainFiles)) {
      const file = path.join(r.main, rel);
      expect(readFileSync(file, "utf8"), rel).toBe(content);
      expect(statSync(file).mode & 0o777, rel).toBe(0o644);
    }
  }

  /** `mv W W.moved; ln -s $MAIN W` */
  function swapForLink(r: TestRepo, wt: CreateResult): string {
    const moved = `${wt.path}.moved`;
    renameSync(wt.path, moved);
    symlinkSync(r.main, wt.path);
    return moved;
  }

  it("wt create of the existing id: exit 3 naming the folder; the main worktree's .env.local is untouched", async () => {
    const { r, wt, mainFiles } = await setup();
    const moved = swapForLink(r, wt);
    const movedEnv = readFileSync(path.join(moved, ".env.local"), "utf8");
    const run = await runWt(r.main, ["create", "5", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const err = json<ErrorJson>(run).error;
    expect(err.message).toContain(wt.path);
    expect(err.message).toContain("symlink");
    expect(err.hint).toContain("git worktree repair");
    expectMainUntouched(r, mainFiles);
    expect(readFileSync(path.join(moved, ".env.local"), "utf8")).toBe(movedEnv);
  });

  it.each([[[] as string[]], [["--force"]]])(
    "wt cleanup %j: exit 3 naming the folder; nothing deleted through the link, the moved worktree stays registered",
    async (flags) => {
      const { r, wt, mainFiles } = await setup();
      const moved = swapForLink(r, wt);
      const run = await runWt(r.main, ["cleanup", "5", "--json", ...flags]);
      expect(run.code, run.stderr).toBe(3);
      const err = json<ErrorJson>(run).error;
      expect(err.message).toContain(wt.path);
      expect(err.hint).toContain("git worktree repair");
      expectMainUntouched(r, mainFiles);
      expect(lstatSync(wt.path).isSymbolicLink()).toBe(true);
      expect(existsSync(path.join(moved, "data", "issue-5.db"))).toBe(true);
      expect(worktreePaths(r.main)).toContain(wt.path);
      expect(branchExists(r.main, wt.branch)).toBe(true);
    },
  );

  it("wt cleanup --all skips the swapped worktree with the reason, and removes nothing through it", async () => {
    const { r, wt, mainFiles } = await setup();
    swapForLink(r, wt);
    const run = await runWt(r.main, ["cleanup", "--all", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = json<CleanupResult>(run);
    expect(out.removed).toEqual([]);
    expect(out.skipped.map((x) => x.id)).toEqual(["5"]);
    expect(out.skipped[0]?.reason).toContain(wt.path);
    expectMainUntouched(r, mainFiles);
  });

  it("another real folder in its place: create and cleanup --force exit 3, and the folder's files stay", async () => {
    const { r, wt, mainFiles } = await setup();
    renameSync(wt.path, `${wt.path}.moved`);
    mkdirSync(wt.path);
    writeFileSync(path.join(wt.path, "notes.txt"), "not a worktree\n");
    const create = await runWt(r.main, ["create", "5", "--no-fetch", "--json"]);
    expect(create.code, create.stderr).toBe(3);
    expect(json<ErrorJson>(create).error.message).toContain("not the worktree git registered");
    expect(existsSync(path.join(wt.path, ".env.local"))).toBe(false);
    const cleanup = await runWt(r.main, ["cleanup", "5", "--force", "--json"]);
    expect(cleanup.code, cleanup.stderr).toBe(3);
    expect(json<ErrorJson>(cleanup).error.message).toContain(wt.path);
    expect(readFileSync(path.join(wt.path, "notes.txt"), "utf8")).toBe("not a worktree\n");
    expectMainUntouched(r, mainFiles);
  });

  it("a swap during the create (by a database init) stops it before the next write: exit 3, main untouched", async () => {
    const r = makeRepo({
      files: {
        ".gitignore": ".env.local\ndata/\n",
        "wt.config.json": config({
          databases: [
            { path: "data/a-{name}.db", init: 'mv "$WT_PATH" "$WT_PATH.moved" && ln -s "$WT_MAIN" "$WT_PATH"' },
            { path: "data/b-{name}.db", env: "SECOND_DB" },
          ],
        }),
      },
    });
    repo = r;
    trustRepo(r.main);
    writeFileSync(r.write(".env.local", "MAIN_ONLY=1\n"), "MAIN_ONLY=1\n", { mode: 0o644 });
    const run = await runWt(r.main, ["create", "6", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toContain("symlink");
    expectMainUntouched(r, { ".env.local": "MAIN_ONLY=1\n" });
    expect(existsSync(path.join(r.main, "data"))).toBe(false);
  });
});
