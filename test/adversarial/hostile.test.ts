import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { parse } from "dotenv";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { filesUnder, footprint as footprintOf } from "../helpers/footprint.js";
import {
  type ErrorJson,
  GIT_ENV,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  type WtRun,
  worktreesDir,
} from "../helpers/repo.js";

/**
 * Adversarial tests: hostile ids, branch and base names, odd paths, include lines that climb
 * out, symlinks, bad env values. Every refused command must exit with the contract's code,
 * say why on stderr, run nothing (no `pwned` file anywhere) and leave the repository exactly as
 * it was (`footprint`).
 */

/**
 * What a refused run must leave as it was: see helpers/footprint.ts, here with what lies
 * beside the main worktree (a folder a failed create left behind shows) and the main
 * worktree's own status, ignored files included, so a stray write into it shows.
 */
const footprint = (r: TestRepo) => footprintOf(r.main, { exactExclude: true, beside: true, mainStatus: "ignored" });

/** Every path below `dir` whose name starts with `pwned` (symlinks not followed). */
function pwnedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (abs: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const p = path.join(abs, d.name);
      if (d.name.startsWith("pwned")) found.push(p);
      if (d.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return found;
}

/** Asserts nothing named `pwned*` exists under the repo's temp root or in wt's cwd. */
function expectNotPwned(r: TestRepo): void {
  expect(pwnedFiles(r.root)).toEqual([]);
  expect(existsSync(path.join(process.cwd(), "pwned"))).toBe(false);
}

/** Asserts a refused run: exit code, a `wt:` error on stderr, nothing on stdout. */
function expectRefused(run: WtRun, code: number, stderrPattern?: RegExp): void {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(code);
  expect(run.stderr).toMatch(/^wt: |error: /m);
  if (stderrPattern) expect(run.stderr).toMatch(stderrPattern);
  expect(run.stderr).not.toMatch(/internal error/);
}

/** Evaluates `wt env` output with /bin/sh and returns the variable's value. */
function shEval(envText: string, variable: string): string {
  return execFileSync("/bin/sh", ["-c", `eval "$(cat)"; printf '%s' "$${variable}"`], {
    input: envText,
    encoding: "utf8",
  });
}

const HOSTILE_IDS: [string, string][] = [
  ["command substitution", "$(touch pwned)"],
  ["backticks", "`touch pwned`"],
  ["semicolon", "101;touch pwned"],
  ["leading dash", "-x"],
  ["git option", "--upload-pack=touch pwned"],
  ["dot-dot", ".."],
  ["path climb", "../a"],
  ["double dot inside", "a..b"],
  ["reflog syntax", "a@{1}"],
  ["NFC e-acute", "\u00e9"],
  ["NFD e + combining acute", "e\u0301"],
  ["300 characters", "a".repeat(300)],
  ["empty", ""],
];

describe("hostile ids are refused before anything is touched (exit 2)", () => {
  let repo: TestRepo;
  let existing: CreateResult;
  beforeAll(async () => {
    repo = makeRepo({ name: "app", origin: true });
    // A real managed worktree, so cleanup/path/env have something a bad id must not reach.
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    existing = json<CreateResult>(run);
  });
  afterAll(() => repo?.remove());

  const commands: [string, (id: string) => string[]][] = [
    ["create", (id) => ["create", "--no-fetch", "--", id]],
    ["cleanup", (id) => ["cleanup", "--force", "--", id]],
    ["path", (id) => ["path", "--", id]],
    ["env", (id) => ["env", "--", id]],
    ["status", (id) => ["status", "--", id]],
    // `run` would execute its command: a bad id must stop it before `touch` runs.
    ["run", (id) => ["run", "--", id, "touch", "pwned-by-run"]],
  ];
  for (const [command, argv] of commands) {
    it.each(HOSTILE_IDS)(`wt ${command}: %s`, async (_label, id) => {
      const before = footprint(repo);
      const run = await runWt(repo.main, argv(id));
      expectRefused(run, 2, /invalid id/);
      // The stderr names the id it refused (shortened when long), so the user sees what was wrong.
      expect(run.stdout).toBe("");
      expect(footprint(repo)).toEqual(before);
      expectNotPwned(repo);
      // The existing worktree is untouched.
      expect(existsSync(path.join(existing.path, ".env.local"))).toBe(true);
    });
  }

  it("cleanup of a valid id together with a hostile one removes nothing (exit 2)", async () => {
    const before = footprint(repo);
    const run = await runWt(repo.main, ["cleanup", "--force", "--", "101", "$(touch pwned)"]);
    expectRefused(run, 2, /invalid id/);
    expect(footprint(repo)).toEqual(before);
    expect(existsSync(existing.path)).toBe(true);
    expectNotPwned(repo);
  });

  it("-C with shell syntax is just a folder name, which does not exist (exit 2)", async () => {
    const before = footprint(repo);
    const run = await runWt(repo.main, ["-C", "$(touch pwned)", "status"]);
    expectRefused(run, 2, /no such folder: .*\$\(touch pwned\)/);
    expect(footprint(repo)).toEqual(before);
    expectNotPwned(repo);
  });
});

describe("hostile --branch values", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it.each([["-x"], ["--upload-pack=touch pwned"], ["a..b"], ["foo@{1}"], ["has space"], ["x.lock"]])(
    "--branch=%s is exit 2 and creates nothing",
    async (branch) => {
      repo = makeRepo();
      const before = footprint(repo);
      const run = await runWt(repo.main, ["create", "101", `--branch=${branch}`]);
      expectRefused(run, 2, /invalid branch name/);
      expect(run.stderr).toContain(JSON.stringify(branch));
      expect(footprint(repo)).toEqual(before);
      expectNotPwned(repo);
    },
  );

  it("a valid branch name holding shell syntax is used literally and runs nothing", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${IFS} is the point
    const branch = "feature/$(touch${IFS}pwned)";
    repo = makeRepo({
      files: {
        // The hook gets the branch only through the environment; it writes it where we can read it.
        "wt.config.json": JSON.stringify({ hooks: { postCreate: ['printf %s "$WT_BRANCH" > .git-branch-seen'] } }),
        ".gitignore": ".git-branch-seen\n",
      },
    });
    trustRepo(repo.main);
    const run = await runWt(repo.main, ["create", "101", "--branch", branch, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const created = json<CreateResult>(run);
    expect(created.branch).toBe(branch);
    expect(gitSync(repo.main, "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`)).toMatch(/^[0-9a-f]{40}$/);
    const env = parse(readFileSync(created.envFile, "utf8"));
    expect(env.WT_BRANCH).toBe(branch);
    expect(readFileSync(path.join(created.path, ".git-branch-seen"), "utf8")).toBe(branch);
    const shown = await runWt(repo.main, ["env", "101"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shEval(shown.stdout, "WT_BRANCH")).toBe(branch);
    expectNotPwned(repo);
  });

  it("--branch in NFC and in NFD are kept byte for byte: each worktree its own branch, cleanup deletes only its own", async () => {
    repo = makeRepo();
    const nfc = "feature/caf\u00e9";
    const nfd = "feature/cafe\u0301";
    const a = await runWt(repo.main, ["create", "a", "--branch", nfc, "--json"]);
    const b = await runWt(repo.main, ["create", "b", "--branch", nfd, "--json"]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(Buffer.from(json<CreateResult>(a).branch)).toEqual(Buffer.from(nfc));
    expect(Buffer.from(json<CreateResult>(b).branch)).toEqual(Buffer.from(nfd));
    const heads = () => gitSync(repo?.main as string, "for-each-ref", "--format=%(refname)", "refs/heads/feature/");
    expect(heads().split("\n").sort()).toEqual([`refs/heads/${nfc}`, `refs/heads/${nfd}`].sort());
    const clean = await runWt(repo.main, ["cleanup", "a", "--delete-branch", "--json"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(heads()).toBe(`refs/heads/${nfd}`);
    expect(existsSync(json<CreateResult>(b).path)).toBe(true);
  });
});

describe("hostile --base values", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it.each([["--upload-pack=touch pwned"], ["-x"], ["origin/--upload-pack=touch pwned"]])(
    "--base=%s names no commit: exit 3, nothing created",
    async (base) => {
      repo = makeRepo({ origin: true });
      const before = footprint(repo);
      const run = await runWt(repo.main, ["create", "101", `--base=${base}`]);
      expectRefused(run, 3, /names no commit/);
      expect(footprint(repo)).toEqual(before);
      expectNotPwned(repo);
    },
  );
});

describe("repository paths with spaces, quotes, unicode and $", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("create, env (evaluated by /bin/sh), status and cleanup all work", async () => {
    // No single quote beside the `"` and `$`: the env file refuses such a path (issue 9, item 11;
    // test/adversarial/safety-create-paths.test.ts covers a `'` alone, and the refusal).
    repo = makeRepo({ parent: `dir with "dq" $HOME \`bt\` \u00fc` });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const created = json<CreateResult>(run);
    expect(created.path).toBe(path.join(worktreesDir(repo.main), "issue-101"));
    expect(existsSync(created.path)).toBe(true);

    const env = await runWt(repo.main, ["env", "101"]);
    expect(env.code, env.stderr).toBe(0);
    expect(shEval(env.stdout, "WT_PATH")).toBe(created.path);
    expect(shEval(env.stdout, "WT_MAIN")).toBe(repo.main);
    // The env file (dotenv) round-trips the path too.
    expect(parse(readFileSync(created.envFile, "utf8")).WT_PATH).toBe(created.path);

    const pathRun = await runWt(repo.main, ["path", "101"]);
    expect(pathRun.code, pathRun.stderr).toBe(0);
    expect(pathRun.stdout).toBe(`${created.path}\n`);

    const st = await runWt(repo.main, ["status"]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain(created.path);
    const stJson = await runWt(created.path, ["status", "--json"]);
    expect(stJson.code, stJson.stderr).toBe(0);
    const row = json<StatusResult>(stJson).worktrees.find((w) => w.id === "101");
    expect(row?.path).toBe(created.path);
    expect(row?.state).toBe("ok");

    const clean = await runWt(repo.main, ["cleanup", "101"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(created.path)).toBe(false);
    expectNotPwned(repo);
  });
});

describe("newlines in paths", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("a worktreeDir that puts a newline in the path is exit 2, nothing created", async () => {
    repo = makeRepo({ files: { "wt.config.json": JSON.stringify({ worktreeDir: "../wt\nx/{name}" }) } });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expectRefused(run, 2, /newline/);
    expect(footprint(repo)).toEqual(before);
    expect(existsSync(path.join(path.dirname(repo.main), "wt\nx"))).toBe(false);
    expect(readdirSync(path.dirname(repo.main)).sort()).toEqual(["app"]);
  });

  it("an unmanaged worktree whose path holds a newline is listed with its exact path", async () => {
    repo = makeRepo();
    const odd = path.join(repo.root, "odd\nworktree");
    gitSync(repo.main, "worktree", "add", "-q", "-b", "odd", odd);
    const run = await runWt(repo.main, ["status", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const st = json<StatusResult>(run);
    expect(st.worktrees.map((w) => w.path).sort()).toEqual([repo.main, odd].sort());
    const row = st.worktrees.find((w) => w.path === odd);
    expect(row?.state).toBe("unmanaged");
    expect(row?.managed).toBe(false);
    // The human table does not break either.
    const human = await runWt(repo.main, ["status"]);
    expect(human.code, human.stderr).toBe(0);
  });
});

describe(".worktreeinclude lines that climb out", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("../outside.txt, /etc/hostname and /../x bring nothing from outside", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": "outside.txt\nhostname\nx\n.env\n",
        ".worktreeinclude": "../outside.txt\n/etc/hostname\n/../x\n.env\n",
      },
    });
    const beside = path.dirname(repo.main);
    writeFileSync(path.join(beside, "outside.txt"), "outside secret\n");
    writeFileSync(path.join(beside, "x"), "outside x\n");
    // A legitimate include, so the include machinery demonstrably ran.
    writeFileSync(path.join(repo.main, ".env"), "INSIDE=1\n");
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const created = json<CreateResult>(run);
    expect(created.included.map((i) => i.path)).toEqual([".env"]);
    const files = filesUnder(created.path).filter((f) => f !== ".git");
    expect(files.sort()).toEqual([".env", ".env.local", ".gitignore", ".worktreeinclude", "README.md"].sort());
    // Nothing landed beside the worktree either.
    expect(readdirSync(worktreesDir(repo.main))).toEqual(["issue-101"]);
    expect(readdirSync(beside).sort()).toEqual(["app", "app-worktrees", "outside.txt", "x"].sort());
    expect(readFileSync(path.join(beside, "outside.txt"), "utf8")).toBe("outside secret\n");
  });
});

describe("symlinks", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("an included symlink pointing outside is copied verbatim, not dereferenced", async () => {
    repo = makeRepo({ files: { ".gitignore": ".env\n", ".worktreeinclude": ".env\n" } });
    const secret = path.join(repo.root, "secret-outside.txt");
    writeFileSync(secret, "TOKEN=outside\n");
    symlinkSync(secret, path.join(repo.main, ".env"));
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const created = json<CreateResult>(run);
    const copied = path.join(created.path, ".env");
    expect(lstatSync(copied).isSymbolicLink()).toBe(true);
    expect(readlinkSync(copied)).toBe(secret);
    expect(readFileSync(secret, "utf8")).toBe("TOKEN=outside\n");
  });

  it("never writes through a folder symlink the base commit has where an include lands (exit 3, rolled back)", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": "config/secret.json\n",
        "config/app.json": "{}\n",
        ".worktreeinclude": "config/secret.json\n",
      },
    });
    const outside = path.join(repo.root, "outside-dir");
    mkdirSync(outside);
    // A commit where `config` is a symlink to a folder outside, made with plumbing so the main
    // worktree keeps its real `config/` folder with the ignored secret.
    const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], {
      cwd: repo.main,
      input: outside,
      env: { ...process.env, ...GIT_ENV },
      encoding: "utf8",
    }).trim();
    const tree = execFileSync("git", ["mktree"], {
      cwd: repo.main,
      input: `120000 blob ${blob}\tconfig\n`,
      env: { ...process.env, ...GIT_ENV },
      encoding: "utf8",
    }).trim();
    const linkCommit = gitSync(repo.main, "commit-tree", tree, "-p", "HEAD", "-m", "config is a link");
    repo.write("config/secret.json", '{"secret": true}\n');

    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--base", linkCommit]);
    expectRefused(run, 3, /symlink/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readFileSync(path.join(repo.main, "config", "secret.json"), "utf8")).toBe('{"secret": true}\n');
    expect(footprint(repo)).toEqual(before);
  });
});

describe("worktreeDir that would hold the main worktree", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it.each([["."], [".."], ["{name}/.."]])("worktreeDir %j is exit 2, nothing created", async (dir) => {
    repo = makeRepo({ files: { "wt.config.json": JSON.stringify({ worktreeDir: dir }) } });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expectRefused(run, 2, /main worktree/);
    expect(footprint(repo)).toEqual(before);
  });
});

describe("the env file and a symlink the branch commits", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("a folder on the env file's way that is a committed symlink: exit 3, nothing written outside", async () => {
    repo = makeRepo({ files: { "wt.config.json": JSON.stringify({ envFile: "conf/.env.local" }) } });
    const outside = path.join(repo.root, "outside-dir");
    mkdirSync(outside);
    symlinkSync(outside, path.join(repo.main, "conf"));
    repo.commitAll("conf is a link");
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expectRefused(run, 3, /symlink/);
    expect(readdirSync(outside)).toEqual([]);
    expect(footprint(repo)).toEqual(before);
  });

  it("an env file the branch commits as a symlink to a file outside is never written through", async () => {
    repo = makeRepo();
    const outside = path.join(repo.root, "outside-env.txt");
    writeFileSync(outside, "OUTSIDE=1\n");
    symlinkSync(outside, path.join(repo.main, ".env.local"));
    repo.commitAll("env file is a link");
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    // The guard: nothing is written through the link.
    expect(readFileSync(outside, "utf8")).toBe("OUTSIDE=1\n");
    expect([0, 3], run.stderr).toContain(run.code);
    if (run.code === 3) {
      expect(footprint(repo)).toEqual(before);
      return;
    }
    const created = json<CreateResult>(run);
    const st = lstatSync(created.envFile);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(created.envFile, "utf8")).WT_ID).toBe("101");
    // What wt wrote must not show in git status nor block its own cleanup (docs/contract.md, "What wt writes").
    expect(gitSync(created.path, "status", "--porcelain")).toBe("");
    const clean = await runWt(repo.main, ["cleanup", "101"]);
    expect(clean.code, clean.stderr).toBe(0);
  });

  it("an env file the branch tracks as a regular file: wt's write neither shows in git status nor blocks cleanup", async () => {
    repo = makeRepo({ files: { ".env.local": "TRACKED=1\n" } });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect([0, 3], run.stderr).toContain(run.code);
    if (run.code === 3) {
      expect(footprint(repo)).toEqual(before);
      return;
    }
    const created = json<CreateResult>(run);
    expect(gitSync(created.path, "status", "--porcelain")).toBe("");
    const clean = await runWt(repo.main, ["cleanup", "101"]);
    expect(clean.code, clean.stderr).toBe(0);
  });
});

describe("a tampered record", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it.each([
    ["the main worktree", (r: TestRepo) => r.main],
    ["the folder holding the main worktree", (r: TestRepo) => path.dirname(r.main)],
  ])("a record whose path is %s: cleanup --force deletes nothing there", async (_label, target) => {
    repo = makeRepo({ files: { ".gitignore": "local.txt\n" } });
    repo.write("local.txt", "ignored but precious\n");
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const recordFile = path.join(repo.main, ".git", "wt", "worktrees", "101.json");
    const record = JSON.parse(readFileSync(recordFile, "utf8")) as { path: string };
    record.path = target(repo);
    writeFileSync(recordFile, JSON.stringify(record, null, 2));
    const mainStatus = gitSync(repo.main, "status", "--porcelain", "--ignored", "--untracked-files=all");
    const clean = await runWt(repo.main, ["cleanup", "101", "--force", "--delete-branch"]);
    expect(clean.code, clean.stderr).not.toBe(0);
    expect(clean.stderr).not.toMatch(/internal error/);
    expect(readFileSync(path.join(repo.main, "README.md"), "utf8")).toBe("# test repo\n");
    expect(readFileSync(path.join(repo.main, "local.txt"), "utf8")).toBe("ignored but precious\n");
    expect(gitSync(repo.main, "status", "--porcelain", "--ignored", "--untracked-files=all")).toBe(mainStatus);
    expect(existsSync(recordFile)).toBe(true);
  });
});

describe("env values with control characters", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it.each([
    ["a newline", "a\nb"],
    ["a bell", "a\u0007b"],
  ])("an env value with %s is exit 2 naming the variable, nothing created", async (_label, value) => {
    repo = makeRepo({ files: { "wt.config.json": JSON.stringify({ env: { X: value } }) } });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expectRefused(run, 2, /\bX\b/);
    expect(footprint(repo)).toEqual(before);
  });
});

describe("--json on hostile input: exactly one JSON error document", () => {
  let repo: TestRepo | undefined;
  afterEach(() => {
    repo?.remove();
    repo = undefined;
  });

  it("exit 2 (an injected id)", async () => {
    repo = makeRepo();
    const before = footprint(repo);
    const run = await runWt(repo.main, ["--json", "create", "--", "$(touch pwned)"]);
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as ErrorJson;
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(doc.error.code).toBe("invalid-id");
    expect(doc.error.message).toContain("$(touch pwned)");
    expect(footprint(repo)).toEqual(before);
    expectNotPwned(repo);
  });

  it("exit 3 (an option-like base)", async () => {
    repo = makeRepo({ origin: true });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--base=--upload-pack=touch pwned", "--json"]);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout) as ErrorJson;
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(typeof doc.error.message).toBe("string");
    expect(footprint(repo)).toEqual(before);
    expectNotPwned(repo);
  });
});
