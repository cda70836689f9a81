import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** Fixed identity and no background work, so tests behave the same on every machine. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: "wt test",
  GIT_AUTHOR_EMAIL: "wt@example.invalid",
  GIT_COMMITTER_NAME: "wt test",
  GIT_COMMITTER_EMAIL: "wt@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

/** Runs git synchronously in `cwd` and returns its trimmed stdout. Throws on failure. */
export function gitSync(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** True when git exits 0 (for `rev-parse --verify`, `config --get`, ...). */
export function gitOk(cwd: string, ...args: string[]): boolean {
  return (
    spawnSync("git", args, { cwd, env: { ...process.env, ...GIT_ENV }, stdio: ["ignore", "pipe", "pipe"] }).status === 0
  );
}

/** True when the repository at `cwd` has the local branch `branch`. */
export function branchExists(cwd: string, branch: string): boolean {
  return gitOk(cwd, "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`);
}

/** Registered worktree paths (`git worktree list --porcelain -z`, so odd paths stay exact). */
export function worktreePaths(cwd: string): string[] {
  return gitSync(cwd, "worktree", "list", "--porcelain", "-z")
    .split("\0")
    .filter((f) => f.startsWith("worktree "))
    .map((f) => f.slice("worktree ".length));
}

/** The default worktrees folder of the main worktree `main`: `<parent of main>/<repo>-worktrees`. */
export function worktreesDir(main: string): string {
  return path.join(path.dirname(main), `${path.basename(main)}-worktrees`);
}

export interface TestRepo {
  /** Folder holding the repository, its bare origin and the worktrees folder (real path). */
  root: string;
  /** The main worktree. */
  main: string;
  /** The bare origin, when made with `origin: true`. */
  origin: string | null;
  /** Writes a file relative to the main worktree (folders made as needed). */
  write(rel: string, content: string): string;
  /** git in the main worktree. */
  git(...args: string[]): string;
  /** Commits everything in the main worktree. */
  commitAll(message: string): void;
  /** Removes every folder the repo made. */
  remove(): void;
}

export interface RepoOptions {
  /** Folder name of the main worktree (`{repo}`), default `app`. */
  name?: string;
  /** Also make a bare `origin` and push main to it. */
  origin?: boolean;
  /** Files to commit in the first commit (path -> content). */
  files?: Record<string, string>;
  /** A parent folder name holding odd characters (spaces, quotes, unicode). */
  parent?: string;
  /** `git init --object-format` (default sha1). */
  objectFormat?: "sha1" | "sha256";
}

/**
 * A real repository in a temp folder: branch `main`, fixed identity, `commit.gpgSign=false`,
 * `gc.auto=0`, one commit, and optionally a bare local `origin` (no network).
 */
export function makeRepo(options: RepoOptions = {}): TestRepo {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-test-")));
  const base = options.parent ? path.join(root, options.parent) : root;
  mkdirSync(base, { recursive: true });
  const main = path.join(base, options.name ?? "app");
  mkdirSync(main);
  gitSync(
    main,
    "init",
    "-q",
    "-b",
    "main",
    ...(options.objectFormat ? [`--object-format=${options.objectFormat}`] : []),
  );
  for (const [k, v] of Object.entries({
    "commit.gpgSign": "false",
    "gc.auto": "0",
    "user.name": "wt test",
    "user.email": "wt@example.invalid",
  })) {
    gitSync(main, "config", k, v);
  }
  const repo: TestRepo = {
    root,
    main,
    origin: null,
    write(rel, content) {
      const file = path.join(main, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    git: (...args) => gitSync(main, ...args),
    commitAll(message) {
      gitSync(main, "add", "-A");
      gitSync(main, "commit", "-q", "-m", message);
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  repo.write("README.md", "# test repo\n");
  for (const [rel, content] of Object.entries(options.files ?? {})) repo.write(rel, content);
  repo.commitAll("initial commit");
  if (options.origin) {
    const origin = path.join(base, "origin.git");
    gitSync(base, "init", "-q", "--bare", "-b", "main", origin);
    repo.git("remote", "add", "origin", origin);
    repo.git("push", "-q", "-u", "origin", "main");
    repo.git("remote", "set-head", "origin", "main");
    repo.origin = origin;
  }
  return repo;
}

/** Absolute path of the built CLI. */
export const WT_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/wt.js");

export interface WtRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns the built `bin/wt.js` with `args` in `cwd` (NO_COLOR=1, no stdin) and waits for it.
 * `env` adds variables; WT_* variables of the calling shell are removed first.
 */
export function runWt(cwd: string, args: string[], env: Record<string, string> = {}): Promise<WtRun> {
  return runWtWith(WT_BIN, cwd, args, env);
}

/**
 * A copy of the built package under `root/pkg` whose node_modules lacks `missing` (the other
 * packages linked): for runs where an optional dependency is not installed.
 * @returns the copy's `bin/wt.js`, for `runWtWith`.
 */
export function builtCopyWithout(root: string, missing: readonly string[]): string {
  const pkg = path.join(root, "pkg");
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  mkdirSync(path.join(pkg, "node_modules"), { recursive: true });
  cpSync(path.join(here, "dist"), path.join(pkg, "dist"), { recursive: true });
  cpSync(path.join(here, "bin"), path.join(pkg, "bin"), { recursive: true });
  for (const f of ["package.json", "wt.config.schema.json"]) cpSync(path.join(here, f), path.join(pkg, f));
  for (const name of readdirSync(path.join(here, "node_modules"))) {
    if (missing.includes(name) || name.startsWith(".")) continue;
    symlinkSync(path.join(here, "node_modules", name), path.join(pkg, "node_modules", name));
  }
  return path.join(pkg, "bin", "wt.js");
}

/** `runWt` with another copy of the binary (e.g. one whose node_modules lacks a package). */
/**
 * The environment a spawned `wt` gets: this process's without any `WT_*` (a developer's shell
 * may export WT_LOCK_TIMEOUT or, after `eval "$(wt env 101)"`, WT_ID), plus git's fixed
 * identity, NO_COLOR and `extra`. WT_SQLITE_ENGINE alone passes through.
 */
export function wtEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // WT_SQLITE_ENGINE is kept: it is the test matrix's choice of SQLite engine (.ci/run), not user state.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("WT_") || k === "WT_SQLITE_ENGINE"),
  );
  return { ...clean, ...GIT_ENV, NO_COLOR: "1", XDG_STATE_HOME: testStateHome(), ...extra };
}

let stateHome: string | null = null;
/**
 * A temp `XDG_STATE_HOME` for this test process: `wt trust` never writes the developer's own
 * `~/.local/state/wt/trust.json`, and nothing trusted there leaks into a test. WT_TRUST stays
 * unset: a test whose repository has hooks trusts them (WT_TRUST=1 or `wt trust`) on purpose.
 */
export function testStateHome(): string {
  if (stateHome === null) {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-state-")));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    stateHome = dir;
  }
  return stateHome;
}

export function runWtWith(bin: string, cwd: string, args: string[], env: Record<string, string> = {}): Promise<WtRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: wtEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Runs `wt trust` in `main` against the test's trust store (`wtEnv`'s XDG_STATE_HOME): for
 * tests whose repository has hooks or database init and that are not about trust. Run it again
 * after changing those commands.
 */
export function trustRepo(main: string, env: Record<string, string> = {}): void {
  execFileSync(process.execPath, [WT_BIN, "trust"], { cwd: main, env: wtEnv(env), stdio: "pipe" });
}

/** Parses the JSON document a `--json` run printed, with a helpful failure. */
export function json<T = Record<string, unknown>>(run: WtRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** The JSON document a refused `--json` run prints (docs/contract.md); details such as `files` or `commits` sit beside. */
export interface ErrorJson {
  error: {
    code: string;
    message: string;
    hint: string | null;
    files?: string[];
    commits?: string[];
    [k: string]: unknown;
  };
}

/** Runs the built `wt` (see `runWt`), expects exit 0 and returns the JSON document it printed. */
export async function wtJson<T>(cwd: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const run = await runWt(cwd, args, env);
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  return json<T>(run);
}

/**
 * A PATH whose first `git` (in `<root>/git-bin`) runs the sh `case` arms `arms` on its
 * arguments (`"$*"`), with `$GIT` the real git, and then the real git with the same arguments;
 * e.g. `*"worktree remove"*) kill -9 $PPID; exit 1;;` kills wt at that call, for real.
 */
export function gitOnPath(root: string, arms: string): string {
  const bin = path.join(root, "git-bin");
  mkdirSync(bin, { recursive: true });
  const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const script = `#!/bin/sh\nGIT=${real}\ncase "$*" in\n${arms}\nesac\nexec "$GIT" "$@"\n`;
  writeFileSync(path.join(bin, "git"), script, { mode: 0o755 });
  return `${bin}:${process.env.PATH}`;
}
