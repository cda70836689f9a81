import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "dotenv";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { footprint as footprintOf } from "../helpers/footprint.js";
import {
  branchExists,
  type ErrorJson,
  gitOk,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  worktreePaths,
  worktreesDir,
} from "../helpers/repo.js";

/** End-to-end tests of `wt create` (and path/env/run on what it made) with the built binary. */

let repo: TestRepo | undefined;
const extraDirs: string[] = [];
afterEach(() => {
  repo?.remove();
  repo = undefined;
  for (const d of extraDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-plain-")));
  extraDirs.push(d);
  return d;
}

function recordsDir(r: TestRepo): string {
  return path.join(r.main, ".git", "wt", "worktrees");
}

function records(r: TestRepo): string[] {
  const d = recordsDir(r);
  return existsSync(d) ? readdirSync(d).sort() : [];
}

/** The default worktree folder of `name` beside the main worktree. */
function defaultPath(r: TestRepo, name: string): string {
  return path.join(worktreesDir(r.main), name);
}

/**
 * Everything a create can leave behind (helpers/footprint.ts), here with each branch's commit
 * and the main worktree's status, to compare before and after a refused one.
 */
const footprint = (r: TestRepo) =>
  footprintOf(r.main, { branchHeads: true, exactExclude: true, mainStatus: "untracked" });

/** The `git worktree list --porcelain` block of `folder` (its lines). */
function worktreeBlock(r: TestRepo, folder: string): string[] {
  const blocks = r.git("worktree", "list", "--porcelain").split("\n\n");
  const block = blocks.find((b) => b.split("\n")[0] === `worktree ${folder}`);
  return block ? block.split("\n") : [];
}

/** A commit on a new branch `name` (main stays checked out), returning its id. */
function commitOnBranch(r: TestRepo, name: string, file: string, content: string): string {
  r.git("checkout", "-q", "-b", name);
  r.write(file, content);
  r.commitAll(`commit on ${name}`);
  const sha = r.git("rev-parse", "HEAD");
  r.git("checkout", "-q", "main");
  return sha;
}

describe("seed 000: zero-config create", () => {
  it("creates ../asyncAgent-worktrees/issue-101 on feature/issue-101 with PORT 3101 and a 0600 env file", async () => {
    repo = makeRepo({ name: "asyncAgent", origin: true });
    const originMain = repo.git("rev-parse", "origin/main");
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    const wtPath = path.join(repo.root, "asyncAgent-worktrees", "issue-101");
    expect(r.path.endsWith(`${path.sep}asyncAgent-worktrees${path.sep}issue-101`)).toBe(true);
    expect(r).toEqual({
      id: "101",
      name: "issue-101",
      branch: "feature/issue-101",
      path: wtPath,
      base: "origin/main",
      head: originMain,
      created: true,
      branchExisted: false,
      slot: 101,
      ports: { PORT: 3101 },
      envFile: path.join(wtPath, ".env.local"),
      included: [],
      databases: [],
      warnings: [],
    });

    // The folder, its registration (unlocked once done), and the branch without upstream.
    expect(lstatSync(wtPath).isDirectory()).toBe(true);
    expect(worktreePaths(repo.main)).toContain(wtPath);
    const block = worktreeBlock(repo, wtPath);
    expect(block).toContain("branch refs/heads/feature/issue-101");
    expect(block.some((l) => l.startsWith("locked"))).toBe(false);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-101")).toBe(originMain);
    expect(gitOk(repo.main, "config", "--get", "branch.feature/issue-101.merge")).toBe(false);
    expect(gitOk(repo.main, "config", "--get", "branch.feature/issue-101.remote")).toBe(false);
    expect(gitSync(wtPath, "rev-parse", "--abbrev-ref", "HEAD")).toBe("feature/issue-101");

    // The env file: a real file, mode 0600, exact variables.
    const envFile = path.join(wtPath, ".env.local");
    const st = lstatSync(envFile);
    expect(st.isFile()).toBe(true);
    expect(st.isSymbolicLink()).toBe(false);
    expect(st.mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(envFile))).toEqual({
      WT_ID: "101",
      WT_NAME: "issue-101",
      WT_BRANCH: "feature/issue-101",
      WT_PATH: wtPath,
      WT_MAIN: repo.main,
      WT_SLOT: "101",
      PORT: "3101",
    });
    expect(path.isAbsolute(parse(readFileSync(envFile)).WT_PATH ?? "")).toBe(true);

    // Nothing wt wrote shows in either worktree's status (agents run `git add -A`).
    expect(gitSync(wtPath, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(repo.git("status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(records(repo)).toEqual(["101.json"]);
  });

  it("is safe to run again: exit 0, created false, same slot, ports and path", async () => {
    repo = makeRepo({ name: "asyncAgent", origin: true });
    const first = await runWt(repo.main, ["create", "101", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const a = json<CreateResult>(first);
    const before = footprint(repo);
    const second = await runWt(repo.main, ["create", "101", "--json"]);
    expect(second.code, second.stderr).toBe(0);
    const b = json<CreateResult>(second);
    expect(b.created).toBe(false);
    expect(b.slot).toBe(101);
    expect(b.ports).toEqual({ PORT: 3101 });
    expect(b.path).toBe(a.path);
    expect(b.branch).toBe("feature/issue-101");
    expect(b.head).toBe(a.head);
    expect(footprint(repo)).toEqual(before);
    expect(parse(readFileSync(path.join(a.path, ".env.local"))).PORT).toBe("3101");
  });

  it("re-creates a deleted env file on the second run", async () => {
    repo = makeRepo({ name: "asyncAgent", origin: true });
    const a = json<CreateResult>(await runWt(repo.main, ["create", "101", "--json"]));
    rmSync(a.envFile);
    const again = await runWt(repo.main, ["create", "101", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(json<CreateResult>(again).created).toBe(false);
    expect(lstatSync(a.envFile).mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(a.envFile)).PORT).toBe("3101");
  });
});

describe("output modes", () => {
  it("human output goes to stdout and names the path; progress stays off stdout", async () => {
    repo = makeRepo({ origin: true });
    const run = await runWt(repo.main, ["create", "101"]);
    expect(run.code, run.stderr).toBe(0);
    const wtPath = defaultPath(repo, "issue-101");
    expect(run.stdout).toContain(wtPath);
    expect(run.stdout).toContain("feature/issue-101");
    expect(run.stdout).toContain("PORT=3101");
    expect(() => JSON.parse(run.stdout)).toThrow();
  });

  it("-q prints only the path", async () => {
    repo = makeRepo({ origin: true });
    const run = await runWt(repo.main, ["create", "102", "-q"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${defaultPath(repo, "issue-102")}\n`);
    const before = await runWt(repo.main, ["-q", "create", "103"]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toBe(`${defaultPath(repo, "issue-103")}\n`);
  });

  it("git's own hook output (post-checkout) never reaches stdout", async () => {
    repo = makeRepo({ origin: true });
    const hook = path.join(repo.main, ".git", "hooks", "post-checkout");
    writeFileSync(hook, "#!/bin/sh\necho HOOK-STDOUT\necho HOOK-STDERR >&2\n", { mode: 0o755 });
    const quiet = await runWt(repo.main, ["create", "101", "-q"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe(`${defaultPath(repo, "issue-101")}\n`);
    const asJson = await runWt(repo.main, ["create", "102", "--json"]);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(json<CreateResult>(asJson).slot).toBe(102);
  });

  it("--dry-run prints a plan and creates nothing", async () => {
    repo = makeRepo({ origin: true });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "104", "--dry-run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(defaultPath(repo, "issue-104"));
    expect(run.stdout).toContain("feature/issue-104");
    expect(run.stdout).toMatch(/dry run/i);
    expect(footprint(repo)).toEqual(before);
    expect(branchExists(repo.main, "feature/issue-104")).toBe(false);
    expect(existsSync(defaultPath(repo, "issue-104"))).toBe(false);
    expect(records(repo)).toEqual([]);

    const asJson = await runWt(repo.main, ["create", "104", "--dry-run", "--json"]);
    expect(asJson.code, asJson.stderr).toBe(0);
    const plan = json<CreateResult>(asJson);
    expect(plan.dryRun).toBe(true);
    expect(plan.slot).toBe(104);
    expect(plan.ports).toEqual({ PORT: 3104 });
    expect(Array.isArray(plan.plan) && plan.plan.length > 0).toBe(true);
    expect(footprint(repo)).toEqual(before);
  });
});

describe("checks and completes an existing worktree", () => {
  it("--dry-run on an existing worktree changes nothing (a deleted env file stays deleted)", async () => {
    repo = makeRepo({ origin: true });
    const a = json<CreateResult>(await runWt(repo.main, ["create", "101", "--json"]));
    rmSync(a.envFile);
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--dry-run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(a.envFile)).toBe(false);
    expect(footprint(repo)).toEqual(before);
  });

  it("an empty folder at the target is used", async () => {
    repo = makeRepo({ origin: true });
    mkdirSync(defaultPath(repo, "issue-101"), { recursive: true });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CreateResult>(run).created).toBe(true);
    expect(existsSync(path.join(defaultPath(repo, "issue-101"), "README.md"))).toBe(true);
  });

  it("a recorded worktree whose folder was deleted by hand is exit 3 with a hint", async () => {
    repo = makeRepo({ origin: true });
    const a = json<CreateResult>(await runWt(repo.main, ["create", "101", "--json"]));
    rmSync(a.path, { recursive: true, force: true });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.hint).toContain("wt cleanup 101");
  });
});

describe("no origin", () => {
  it("the base is the main worktree's current branch, without a fetch warning", async () => {
    repo = makeRepo();
    const sha = commitOnBranch(repo, "develop", "d.txt", "d\n");
    repo.git("checkout", "-q", "develop");
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.base).toBe("develop");
    expect(r.head).toBe(sha);
    expect(r.warnings).toEqual([]);
    expect(run.stderr).not.toMatch(/warning|fetch/i);
  });

  it("a repository folder with spaces and unicode gives {repo} as is", async () => {
    repo = makeRepo({ name: "mön app" });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.path).toBe(path.join(repo.root, "mön app-worktrees", "issue-101"));
    expect(parse(readFileSync(r.envFile)).WT_PATH).toBe(r.path);
    expect(gitSync(r.path, "status", "--porcelain", "--untracked-files=all")).toBe("");
  });
});

describe("branches", () => {
  it("checks out an existing local branch as it is (never reset)", async () => {
    repo = makeRepo({ origin: true });
    const sha = commitOnBranch(repo, "feature/issue-7", "seven.txt", "seven\n");
    expect(sha).not.toBe(repo.git("rev-parse", "origin/main"));
    const run = await runWt(repo.main, ["create", "7", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.head).toBe(sha);
    expect(r.created).toBe(true);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-7")).toBe(sha);
    expect(readFileSync(path.join(r.path, "seven.txt"), "utf8")).toBe("seven\n");
  });

  it("tracks origin/<branch> when only the remote has it (pushed from another clone)", async () => {
    repo = makeRepo({ origin: true });
    const clone = path.join(repo.root, "other-clone");
    gitSync(repo.root, "clone", "-q", repo.origin as string, clone);
    gitSync(clone, "checkout", "-q", "-b", "side");
    writeFileSync(path.join(clone, "eight.txt"), "eight\n");
    gitSync(clone, "add", "-A");
    gitSync(clone, "commit", "-q", "-m", "eight");
    const sha = gitSync(clone, "rev-parse", "HEAD");
    gitSync(clone, "push", "-q", "origin", "HEAD:refs/heads/feature/issue-8");
    // The main repository has not fetched yet: wt's fetch must find it.
    expect(gitOk(repo.main, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/feature/issue-8")).toBe(false);

    const run = await runWt(repo.main, ["create", "8", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.head).toBe(sha);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-8")).toBe(sha);
    expect(repo.git("config", "--get", "branch.feature/issue-8.remote")).toBe("origin");
    expect(repo.git("config", "--get", "branch.feature/issue-8.merge")).toBe("refs/heads/feature/issue-8");
    expect(readFileSync(path.join(r.path, "eight.txt"), "utf8")).toBe("eight\n");
  });

  it("tracks origin/<branch> pushed from this repository and deleted locally", async () => {
    repo = makeRepo({ origin: true });
    const sha = commitOnBranch(repo, "side", "eight.txt", "eight\n");
    repo.git("push", "-q", "origin", `${sha}:refs/heads/feature/issue-8`);
    repo.git("branch", "-q", "-D", "side");
    const run = await runWt(repo.main, ["create", "8", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CreateResult>(run).head).toBe(sha);
    expect(repo.git("config", "--get", "branch.feature/issue-8.remote")).toBe("origin");
  });

  it("branch.autoSetupMerge=always in the user's config still gives a new branch no upstream", async () => {
    repo = makeRepo({ origin: true });
    repo.git("config", "branch.autoSetupMerge", "always");
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(gitOk(repo.main, "config", "--get", "branch.feature/issue-101.merge")).toBe(false);
  });

  it("refuses a branch checked out in another worktree: exit 3, nothing new", async () => {
    repo = makeRepo({ origin: true });
    repo.git("branch", "feature/issue-9");
    const handMade = path.join(repo.root, "x");
    repo.git("worktree", "add", "-q", handMade, "feature/issue-9");
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "9", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toContain("feature/issue-9");
    expect(footprint(repo)).toEqual(before);
    expect(existsSync(defaultPath(repo, "issue-9"))).toBe(false);
  });

  it("refuses an occupied folder: exit 3, and the branch is not left behind", async () => {
    repo = makeRepo({ origin: true });
    const folder = defaultPath(repo, "issue-10");
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, "mine.txt"), "keep me\n");
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "10"]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(folder);
    expect(branchExists(repo.main, "feature/issue-10")).toBe(false);
    expect(readdirSync(folder)).toEqual(["mine.txt"]);
    expect(readFileSync(path.join(folder, "mine.txt"), "utf8")).toBe("keep me\n");
    expect(footprint(repo)).toEqual(before);
  });
});

describe("--branch", () => {
  it("--branch names the branch; an invalid one is exit 2 before anything exists", async () => {
    repo = makeRepo({ origin: true });
    const run = await runWt(repo.main, ["create", "20", "--branch", "topic/twenty", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.branch).toBe("topic/twenty");
    expect(r.path).toBe(defaultPath(repo, "issue-20"));
    expect(gitSync(r.path, "rev-parse", "--abbrev-ref", "HEAD")).toBe("topic/twenty");
    expect(branchExists(repo.main, "feature/issue-20")).toBe(false);

    const before = footprint(repo);
    const bad = await runWt(repo.main, ["create", "21", "--branch", "bad..name"]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(footprint(repo)).toEqual(before);
  });
});

describe("--base and fetching", () => {
  it("precedence: --base beats WT_BASE, which beats wt.config.json `base`", async () => {
    repo = makeRepo({ origin: true });
    const first = repo.git("rev-parse", "HEAD");
    const fromConfig = commitOnBranch(repo, "cfg-base", "cfg.txt", "cfg\n");
    const fromEnv = commitOnBranch(repo, "env-base", "env.txt", "env\n");
    repo.write("wt.config.json", JSON.stringify({ base: "cfg-base" }));
    repo.commitAll("config");

    const cfg = json<CreateResult>(await runWt(repo.main, ["create", "30", "--json"]));
    expect([cfg.base, cfg.head]).toEqual(["cfg-base", fromConfig]);
    const env = json<CreateResult>(await runWt(repo.main, ["create", "31", "--json"], { WT_BASE: "env-base" }));
    expect([env.base, env.head]).toEqual(["env-base", fromEnv]);
    const flag = json<CreateResult>(
      await runWt(repo.main, ["create", "32", "--base", first, "--json"], { WT_BASE: "env-base" }),
    );
    expect([flag.base, flag.head]).toEqual([first, first]);
  });

  it("--base <sha> and --base <branch> set where the new branch starts", async () => {
    repo = makeRepo({ origin: true });
    const first = repo.git("rev-parse", "HEAD");
    repo.write("second.txt", "2\n");
    repo.commitAll("second");
    const devSha = commitOnBranch(repo, "develop", "dev.txt", "dev\n");

    const bySha = await runWt(repo.main, ["create", "11", "--base", first, "--json"]);
    expect(bySha.code, bySha.stderr).toBe(0);
    const a = json<CreateResult>(bySha);
    expect(a.head).toBe(first);
    expect(a.base).toBe(first);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-11")).toBe(first);

    const byBranch = await runWt(repo.main, ["create", "12", "--base", "develop", "--json"]);
    expect(byBranch.code, byBranch.stderr).toBe(0);
    const b = json<CreateResult>(byBranch);
    expect(b.head).toBe(devSha);
    expect(b.base).toBe("develop");
    expect(existsSync(path.join(b.path, "dev.txt"))).toBe(true);
    // The base branch itself is untouched and the new branch has no upstream.
    expect(repo.git("rev-parse", "develop")).toBe(devSha);
    expect(gitOk(repo.main, "config", "--get", "branch.feature/issue-12.merge")).toBe(false);
  });

  it("a base that names no commit is exit 3 and creates nothing", async () => {
    repo = makeRepo({ origin: true });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "13", "--base", "no-such-branch", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toContain("no-such-branch");
    expect(footprint(repo)).toEqual(before);
  });

  it("--no-fetch works with origin unreachable; without it a failed fetch is only a warning", async () => {
    repo = makeRepo({ origin: true });
    const originMain = repo.git("rev-parse", "origin/main");
    renameSync(repo.origin as string, `${repo.origin}.moved`);

    const noFetch = await runWt(repo.main, ["create", "14", "--no-fetch", "--json"]);
    expect(noFetch.code, noFetch.stderr).toBe(0);
    const a = json<CreateResult>(noFetch);
    expect(a.warnings).toEqual([]);
    expect(noFetch.stderr).not.toMatch(/warning/i);
    expect(a.head).toBe(originMain);
    expect(a.base).toBe("origin/main");

    const fetching = await runWt(repo.main, ["create", "15", "--json"]);
    expect(fetching.code, fetching.stderr).toBe(0);
    const b = json<CreateResult>(fetching);
    expect(fetching.stderr).toMatch(/warning:.*fetch/i);
    expect(b.warnings.length).toBe(1);
    expect(b.warnings[0]).toMatch(/fetch/i);
    expect(b.head).toBe(originMain);
    expect(b.created).toBe(true);
  });

  it('"fetch": false in wt.config.json and WT_FETCH=false are heard; WT_FETCH=true outranks the file', async () => {
    repo = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify({ fetch: false }) } });
    renameSync(repo.origin as string, `${repo.origin}.moved`);
    const fromFile = await runWt(repo.main, ["create", "16", "--json"]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(json<CreateResult>(fromFile).warnings).toEqual([]);

    const envOn = await runWt(repo.main, ["create", "17", "--json"], { WT_FETCH: "true" });
    expect(envOn.code, envOn.stderr).toBe(0);
    expect(json<CreateResult>(envOn).warnings.join("\n")).toMatch(/fetch/i);

    repo.write("wt.config.json", "{}\n");
    repo.commitAll("fetch by default");
    const envOff = await runWt(repo.main, ["create", "18", "--json"], { WT_FETCH: "false" });
    expect(envOff.code, envOff.stderr).toBe(0);
    expect(json<CreateResult>(envOff).warnings).toEqual([]);
  });

  it("fetches the base first: a commit pushed to origin by someone else is the start", async () => {
    repo = makeRepo({ origin: true });
    const clone = path.join(repo.root, "other-clone");
    gitSync(repo.root, "clone", "-q", repo.origin as string, clone);
    writeFileSync(path.join(clone, "new.txt"), "new\n");
    gitSync(clone, "add", "-A");
    gitSync(clone, "commit", "-q", "-m", "new on main");
    gitSync(clone, "push", "-q", "origin", "main");
    const newest = gitSync(clone, "rev-parse", "HEAD");
    expect(repo.git("rev-parse", "origin/main")).not.toBe(newest);

    const run = await runWt(repo.main, ["create", "16", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CreateResult>(run).head).toBe(newest);
  });
});

describe("ids", () => {
  const invalid = ["101; rm -rf ~", "-x", "../a", "$(touch pwned)", "a b"];

  for (const id of invalid) {
    it(`refuses ${JSON.stringify(id)} with exit 2 and touches nothing`, async () => {
      repo = makeRepo({ origin: true });
      const home = path.join(repo.root, "home");
      mkdirSync(home);
      writeFileSync(path.join(home, "canary"), "alive\n");
      const before = footprint(repo);
      const env = { HOME: home };

      const human = await runWt(repo.main, ["create", "--", id], env);
      expect(human.code, human.stderr).toBe(2);
      expect(human.stdout).toBe("");
      expect(human.stderr).toMatch(/invalid id/);

      const asJson = await runWt(repo.main, ["--json", "create", "--", id], env);
      expect(asJson.code, asJson.stderr).toBe(2);
      const doc = JSON.parse(asJson.stdout) as ErrorJson;
      expect(Object.keys(doc)).toEqual(["error"]);
      expect(Object.keys(doc.error).sort()).toEqual(["code", "hint", "message"]);
      expect(doc.error.code).toBe("invalid-id");
      expect(typeof doc.error.message).toBe("string");
      expect(typeof doc.error.hint).toBe("string");

      expect(footprint(repo)).toEqual(before);
      expect(records(repo)).toEqual([]);
      expect(existsSync(recordsDir(repo)) ? readdirSync(recordsDir(repo)) : []).toEqual([]);
      expect(readFileSync(path.join(home, "canary"), "utf8")).toBe("alive\n");
      expect(existsSync(path.join(repo.main, "pwned"))).toBe(false);
      expect(existsSync(path.join(repo.root, "a"))).toBe(false);
      expect(readdirSync(repo.root).sort()).toEqual(["app", "home", "origin.git"]);
    });
  }

  it("ids are unique case-insensitively: create AUTH-fix after auth-fix reuses it", async () => {
    repo = makeRepo({ origin: true });
    const a = await runWt(repo.main, ["create", "auth-fix", "--json"]);
    expect(a.code, a.stderr).toBe(0);
    const b = await runWt(repo.main, ["create", "AUTH-fix", "--json"]);
    expect(b.code, b.stderr).toBe(0);
    expect(json<CreateResult>(b).created).toBe(false);
    expect(json<CreateResult>(b).path).toBe(json<CreateResult>(a).path);
    expect(records(repo)).toEqual(["auth-fix.json"]);
  });
});

describe("where wt runs from", () => {
  it("outside a git repository: exit 2", async () => {
    const plain = tempDir();
    const run = await runWt(plain, ["create", "101", "--json"], { GIT_CEILING_DIRECTORIES: path.dirname(plain) });
    expect(run.code, run.stderr).toBe(2);
    expect(json<ErrorJson>(run).error.code).toBe("not-a-repository");
    expect(readdirSync(plain)).toEqual([]);
  });

  it("-C <repo> works from elsewhere, absolute and relative", async () => {
    repo = makeRepo({ origin: true });
    const plain = tempDir();
    const env = { GIT_CEILING_DIRECTORIES: path.dirname(plain) };
    const abs = await runWt(plain, ["-C", repo.main, "create", "101", "--json"], env);
    expect(abs.code, abs.stderr).toBe(0);
    expect(json<CreateResult>(abs).path).toBe(defaultPath(repo, "issue-101"));
    expect(readdirSync(plain)).toEqual([]);

    const rel = await runWt(repo.root, ["-C", "app", "path", "101"]);
    expect(rel.code, rel.stderr).toBe(0);
    expect(rel.stdout).toBe(`${defaultPath(repo, "issue-101")}\n`);
  });

  it("a subfolder of the main worktree and a linked worktree give the same answers", async () => {
    repo = makeRepo({ origin: true, files: { "src/deep/file.txt": "x\n" } });
    const created = await runWt(path.join(repo.main, "src", "deep"), ["create", "101", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const wtPath = json<CreateResult>(created).path;
    expect(wtPath).toBe(defaultPath(repo, "issue-101"));

    const from = [repo.main, path.join(repo.main, "src"), wtPath, path.join(wtPath, "src", "deep")];
    for (const cwd of from) {
      const run = await runWt(cwd, ["path", "101"]);
      expect(run.code, `${cwd}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toBe(`${wtPath}\n`);
    }
    // Creating from inside a linked worktree puts the new one beside the main worktree too.
    const second = await runWt(path.join(wtPath, "src"), ["create", "102", "--json"]);
    expect(second.code, second.stderr).toBe(0);
    const r = json<CreateResult>(second);
    expect(r.path).toBe(defaultPath(repo, "issue-102"));
    expect(r.slot).toBe(102);
    expect(parse(readFileSync(r.envFile)).WT_MAIN).toBe(repo.main);
  });
});

describe("seed 002: worktreeDir inside the repository", () => {
  it('"trees/{id}" keeps the main worktree\'s git status empty', async () => {
    repo = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify({ worktreeDir: "trees/{id}" }) } });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.path).toBe(path.join(repo.main, "trees", "101"));
    expect(r.name).toBe("issue-101");
    expect(r.branch).toBe("feature/issue-101");
    expect(lstatSync(r.path).isDirectory()).toBe(true);
    expect(repo.git("status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(gitSync(r.path, "status", "--porcelain", "--untracked-files=all")).toBe("");
  });
});

describe("env and run", () => {
  it("`wt env 101` evaluated by /bin/sh gives exact values; --format json parses to the same", async () => {
    // No single quote beside the `$` and `"`: the env file refuses such a path (issue 9, item 11).
    repo = makeRepo({ name: "asyncAgent", origin: true, parent: 'dir with $HOME, "dq" and `bt`' });
    const created = await runWt(repo.main, ["create", "101", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const wtPath = json<CreateResult>(created).path;
    const expected = {
      WT_ID: "101",
      WT_NAME: "issue-101",
      WT_BRANCH: "feature/issue-101",
      WT_PATH: wtPath,
      WT_MAIN: repo.main,
      WT_SLOT: "101",
      PORT: "3101",
    };

    const sh = await runWt(repo.main, ["env", "101"]);
    expect(sh.code, sh.stderr).toBe(0);
    const printed = execFileSync(
      "/bin/sh",
      [
        "-c",
        'eval "$1" && exec node -e \'const k=["WT_ID","WT_NAME","WT_BRANCH","WT_PATH","WT_MAIN","WT_SLOT","PORT"];console.log(JSON.stringify(Object.fromEntries(k.map((x)=>[x,process.env[x]]))))\'',
        "sh",
        sh.stdout,
      ],
      { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: repo.root } },
    );
    expect(JSON.parse(printed)).toEqual(expected);

    const asJson = await runWt(repo.main, ["env", "101", "--format", "json"]);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual(expected);

    const dotenv = await runWt(repo.main, ["env", "101", "--format", "dotenv"]);
    expect(dotenv.code, dotenv.stderr).toBe(0);
    expect(parse(dotenv.stdout)).toEqual(expected);
    expect(parse(readFileSync(path.join(wtPath, ".env.local")))).toEqual(expected);
  });

  it("`wt run 101 -- sh -c ...` runs in the worktree with PORT and exits with the command's code", async () => {
    repo = makeRepo({ origin: true });
    const created = await runWt(repo.main, ["create", "101", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const wtPath = json<CreateResult>(created).path;
    const run = await runWt(repo.main, ["run", "101", "--", "sh", "-c", 'echo "$PORT"; pwd -P; exit 3']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toBe(`3101\n${wtPath}\n`);

    const ok = await runWt(repo.main, ["run", "101", "--", "sh", "-c", 'printf "%s" "$WT_ID"']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe("101");

    // A command killed by a signal: 128 + the signal number, like a shell.
    const killed = await runWt(repo.main, ["run", "101", "--", "sh", "-c", "kill -TERM $$"]);
    expect(killed.code, killed.stderr).toBe(143);
  });

  it("path/env/run of an unknown id: exit 3", async () => {
    repo = makeRepo({ origin: true });
    for (const args of [
      ["path", "999"],
      ["env", "999"],
      ["run", "999", "--", "true"],
    ]) {
      const run = await runWt(repo.main, args);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(3);
    }
  });
});

describe("env file edge cases", () => {
  it('variables exported by `eval "$(wt env 101)"` in the calling shell do not leak into another create', async () => {
    repo = makeRepo({ origin: true });
    const a = json<CreateResult>(await runWt(repo.main, ["create", "101", "--json"]));
    const inherited = parse(readFileSync(a.envFile));
    const run = await runWt(repo.main, ["create", "102", "--json"], inherited);
    expect(run.code, run.stderr).toBe(0);
    const b = json<CreateResult>(run);
    expect([b.name, b.branch, b.path, b.slot]).toEqual([
      "issue-102",
      "feature/issue-102",
      defaultPath(repo, "issue-102"),
      102,
    ]);
    expect(parse(readFileSync(b.envFile)).PORT).toBe("3102");
    const ran = await runWt(repo.main, ["run", "102", "--", "sh", "-c", 'printf "%s %s" "$WT_ID" "$PORT"'], inherited);
    expect(ran.stdout).toBe("102 3102");
  });

  it("a branch that tracks the env file: create refuses (3) or the worktree's git status stays empty", async () => {
    repo = makeRepo({ origin: true });
    commitOnBranch(repo, "feature/issue-40", ".env.local", "TRACKED=1\n");
    const run = await runWt(repo.main, ["create", "40", "--json"]);
    if (run.code === 0) {
      const r = json<CreateResult>(run);
      // docs/contract.md, "What wt writes": none of wt's files shows in the worktree's git status.
      expect(gitSync(r.path, "status", "--porcelain", "--untracked-files=all")).toBe("");
    } else {
      expect(run.code, run.stderr).toBe(3);
    }
  });

  it("an env value with a control character is refused with exit 2 and nothing is left", async () => {
    repo = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify({ env: { GREETING: "a\nb=c" } }) } });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(2);
    expect(json<ErrorJson>(run).error.message).toContain("GREETING");
    expect(footprint(repo)).toEqual(before);
    expect(existsSync(defaultPath(repo, "issue-101"))).toBe(false);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: wt's own ${VAR} syntax
  it("an env entry naming an unknown ${VAR} is exit 2 and nothing is left", async () => {
    repo = makeRepo({
      origin: true,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: wt's own ${VAR} syntax
      files: { "wt.config.json": JSON.stringify({ env: { URL: "http://x:${NOPE}" } }) },
    });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("NOPE");
    expect(footprint(repo)).toEqual(before);
  });
});

describe("usage", () => {
  it("an unknown flag or a missing id is exit 2; with --json one JSON error document", async () => {
    repo = makeRepo({ origin: true });
    const before = footprint(repo);
    const unknown = await runWt(repo.main, ["--json", "create", "101", "--bogus"]);
    expect(unknown.code).toBe(2);
    const doc = JSON.parse(unknown.stdout) as ErrorJson;
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(typeof doc.error.code).toBe("string");
    expect(typeof doc.error.message).toBe("string");
    const missing = await runWt(repo.main, ["create"]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe("");
    expect(footprint(repo)).toEqual(before);
  });

  it("--verbose puts progress on stderr; stdout stays one JSON document", async () => {
    repo = makeRepo({ origin: true });
    const run = await runWt(repo.main, ["create", "101", "--json", "--verbose"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CreateResult>(run).slot).toBe(101);
    expect(run.stderr.length).toBeGreaterThan(0);
  });

  it("path, env, run and status refuse an invalid id with exit 2", async () => {
    repo = makeRepo({ origin: true });
    for (const args of [
      ["path", "../a"],
      ["env", "a b"],
      ["run", "$(x)", "--", "true"],
      ["status", "../a"],
    ]) {
      const run = await runWt(repo.main, args);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
    }
  });
});

describe("config validation", () => {
  it("an unknown key is exit 2 naming the key and wt.config.json; nothing created", async () => {
    repo = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify({ worktreDir: "x/{id}" }) } });
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("worktreDir");
    expect(run.stderr).toContain("wt.config.json");
    expect(footprint(repo)).toEqual(before);

    const asJson = await runWt(repo.main, ["create", "101", "--json"]);
    expect(asJson.code).toBe(2);
    expect(json<ErrorJson>(asJson).error.message).toContain("worktreDir");
  });

  it("a wrong type is exit 2 naming the key", async () => {
    repo = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify({ portSlots: "15" }) } });
    const run = await runWt(repo.main, ["create", "101"]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("portSlots");
    expect(run.stderr).toContain("wt.config.json");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
  });
});
