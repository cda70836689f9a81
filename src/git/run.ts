import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import path from "node:path";
import { InterruptedError, UsageError } from "../errors/base.js";
import { commandPath } from "./command-path.js";
import { GitError } from "./errors.js";

/**
 * The one place that runs git. argv is always an array (never a shell string), any non-zero
 * exit is a failure whatever stderr says, and callers put `--end-of-options` or `--` before
 * user-supplied values.
 *
 * node:child_process rather than execa here: `wt path` and `wt status` must start in well
 * under 100 ms and importing execa alone costs about 200 ms on these machines (issue 5).
 */
/** An environment as a caller holds it (`process.env` in the CLI, `ctx.env` below it). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where a git verb runs: the folder, the caller's environment, and what stops it. */
export interface GitAt {
  /** Working directory for git (absolute). */
  cwd: string;
  /**
   * The caller's environment (`ctx.env`), the base of git's: without the variables that locate
   * another repository (`repoFreeEnv`), plus `BASE_ENV`. Nothing below the CLI reads `process.env`.
   */
  env: Env;
  /** Aborting kills git (SIGTERM) and the call rejects with `InterruptedError`. */
  signal?: AbortSignal;
}

export interface GitOptions extends GitAt {
  /** Written to git's stdin, then stdin is closed (a string as UTF-8, bytes as they are). */
  input?: string | Uint8Array;
  /**
   * true: git looks for the repository from `cwd` upwards, as it does by default; only for
   * finding the repository around the folder the user named. Otherwise `cwd` is a worktree's
   * top level (or a git dir) and git is kept from looking above it (`GIT_CEILING_DIRECTORIES`
   * = the parent of `cwd`, git(1)): in a worktree whose `.git` file is gone git then fails,
   * instead of answering for a repository that encloses the folder (issue 9, item 3).
   */
  discover?: boolean;
  /** Resolve instead of rejecting on these exit codes (e.g. 1 for `check-ignore`). */
  okCodes?: number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Variables that keep git non-interactive and its output stable for parsing. */
const BASE_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  // `git status` takes index.lock to refresh the index; agents working in the worktree
  // must never see "index.lock exists" because `wt status` polled at the wrong moment.
  GIT_OPTIONAL_LOCKS: "0",
  LC_ALL: "C",
};

/**
 * Variables that change how git reads a pathspec (git(1): glob, noglob, icase, literal). wt names
 * files to git, never patterns, and each command line says how (`--literal-pathspecs` where a
 * name could hold a glob); a user's `GIT_GLOB_PATHSPECS=1` made `check-ignore` and `ls-tree`
 * refuse wt's runs ("pathspec magic not supported"). git's own runs only; hooks keep them.
 */
const PATHSPEC_VARIABLES: readonly string[] = [
  "GIT_GLOB_PATHSPECS",
  "GIT_NOGLOB_PATHSPECS",
  "GIT_ICASE_PATHSPECS",
  "GIT_LITERAL_PATHSPECS",
];

/**
 * Variables that tell git where the repository, its work tree, index or objects are
 * (git(1), "The Git Repository"; the repository-locating part of git's own `local_repo_env`
 * list, which git clears when it runs in another repository). A git hook exports `GIT_DIR`
 * (and `GIT_INDEX_FILE` for commit hooks), a user may export `GIT_WORK_TREE`: inherited, they
 * make every git wt runs read another work tree or index than the folder wt names, so that
 * `wt cleanup` would check the wrong files before deleting (issue 9, item 2).
 */
export const REPO_LOCATING_VARIABLES: readonly string[] = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_COMMON_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_NAMESPACE",
  "GIT_CEILING_DIRECTORIES",
  "GIT_IMPLICIT_WORK_TREE",
  "GIT_PREFIX",
  "GIT_SHALLOW_FILE",
  "GIT_GRAFT_FILE",
];

/**
 * A copy of `env` without `REPO_LOCATING_VARIABLES` (and without unset entries): the one
 * environment base of every child wt starts, git itself, postCreate/cleanup hooks,
 * `databases[].init` and `wt run`, which all run in a folder wt chose and must find the
 * repository from there, not from where the calling git hook or shell pointed.
 */
export function repoFreeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !REPO_LOCATING_VARIABLES.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * The ceiling that keeps git's repository discovery at `cwd` (see `GitOptions.discover`).
 * A parent holding `:` cannot be written into the colon-separated list: no ceiling then (the
 * callers' filesystem checks of the `.git` file still hold).
 */
function ceilingFor(cwd: string): Record<string, string> {
  const parent = path.dirname(path.resolve(cwd));
  return parent.includes(":") ? {} : { GIT_CEILING_DIRECTORIES: parent };
}

/** git's refusal of a repository owned by another user (git-config(1), safe.directory). */
function dubiousOwnership(stderr: string): UsageError | null {
  const m = /detected dubious ownership in repository at '([^']*)'/.exec(stderr);
  if (!m) return null;
  const at = m[1] as string;
  return new UsageError(
    `git refuses the repository at ${at}: it is owned by another user (detected dubious ownership)`,
    `if you trust it: git config --global --add safe.directory '${at.replace(/'/g, "'\\''")}'`,
    "dubious-ownership",
  );
}

/** One git command that ended: what `--verbose` shows (`observeGitCommands`). */
export interface GitCommandRun {
  command: string;
  args: readonly string[];
  cwd: string;
  /** Wall-clock milliseconds from start to exit. */
  ms: number;
  /** null when git could not be started or was killed. */
  exitCode: number | null;
}

let gitObserver: ((run: GitCommandRun) => void) | null = null;

/**
 * Sets (null: clears) the one observer told of every git command this process runs, as it
 * ends. Process-wide, like the process's own stderr: the CLI sets it for `--verbose`.
 */
export function observeGitCommands(observer: ((run: GitCommandRun) => void) | null): void {
  gitObserver = observer;
}

/**
 * Runs `git <args>` and resolves with its output.
 * @throws GitError (a CommandFailedError, exit 6) on a non-zero exit not listed in `okCodes`, or when git
 *   cannot be started; UsageError (exit 2, code `dubious-ownership`) whenever git refuses the
 *   repository for its owner (whatever `okCodes` says); InterruptedError when `signal` aborts.
 */
export function git(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return gitEnvCommand("git", args, options);
}

/** The pids of the git (and `sh`) processes this runner has started and not yet seen end. */
const running = new Set<number>();

/**
 * The pids of the processes `git()`/`gitEnvCommand` have running now: wt's own work, which
 * a look at the worktree's processes must not count (`protectedPids`).
 */
export function runningGitPids(): ReadonlySet<number> {
  return running;
}

/** One child run to its end: what `gitEnvCommand` makes of it (its exit, output, timing). */
interface ChildRun {
  /** Resolves when the child has ended (never rejects: a spawn error is `spawnError`). */
  done: Promise<ChildEnd>;
  /** SIGTERM to the child's process group (it has its own, see `startChild`). */
  kill: () => void;
  /** Lets the child (and its pipes) keep the process alive again, after `startChild(…, false)`. */
  hold: () => void;
}

interface ChildEnd {
  stdout: string;
  stderr: string;
  /** null when the child was killed by a signal or could not be started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | null;
  /** Wall-clock milliseconds from start to exit. */
  ms: number;
}

/** What identifies one child run: the command line, folder, discovery, stdin. */
type RunOptions = Pick<GitOptions, "cwd" | "env" | "discover" | "input">;

/** Starts `command <args>` as `git()` runs git (environment, process group); see `gitEnvCommand`. */
function startChild(command: string, args: readonly string[], options: RunOptions, held = true): ChildRun {
  const startedMs = Date.now();
  const env = { ...repoFreeEnv(options.env), ...BASE_ENV, ...(options.discover ? {} : ceilingFor(options.cwd)) };
  for (const k of PATHSPEC_VARIABLES) delete env[k];
  const spawnOptions = {
    // argv[0] stays the bare name, as when the child searched PATH itself.
    argv0: command,
    cwd: options.cwd,
    env,
    // Its own process group: a Ctrl-C at the terminal reaches wt, which stops the git it
    // is running through `signal` and rolls back; the rollback's own git commands must not
    // be killed by a second Ctrl-C.
    detached: true,
  };
  const file = commandPath(command, options.env.PATH);
  // No input: stdin is /dev/null, what an ended empty pipe gave git, without the pipe's
  // socket and stream (about 0.3 ms of main-thread time per spawn, measured on Node 20).
  const child =
    options.input === undefined
      ? spawn(file, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(file, args, { ...spawnOptions, stdio: ["pipe", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  const done = new Promise<ChildEnd>((resolve) => {
    const end = (code: number | null, signal: NodeJS.Signals | null, spawnError: Error | null) => {
      if (pid !== undefined) running.delete(pid);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({ stdout, stderr, code, signal, spawnError, ms: Date.now() - startedMs });
    };
    child.on("error", (e) => end(null, null, e));
    child.on("close", (code, sig) => end(code, sig, null));
  });
  if (child.stdin) {
    child.stdin.on("error", () => {
      // git may exit before reading all of stdin; its exit code tells what happened.
    });
    child.stdin.end(options.input);
  }
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  };
  // An early run nobody has taken must not keep the process alive (a usage error, `--help`).
  // A child's pipes are sockets (Node's docs, child_process: "options.stdio").
  const pipes: { ref(): unknown; unref(): unknown }[] = [child, child.stdout as Socket, child.stderr as Socket];
  if (!held) for (const h of pipes) h.unref();
  const hold = () => {
    for (const h of pipes) h.ref();
  };
  return { done, kill, hold };
}

/**
 * Read-only git runs started before the code that needs them has loaded (`startEarlyGit`),
 * by `earlyKey`, each taken once by the first identical call.
 */
const early = new Map<string, { run: ChildRun; env: Env }>();

function earlyKey(command: string, args: readonly string[], options: RunOptions): string {
  return JSON.stringify([command, args, options.cwd, options.discover === true, options.input ?? ""]);
}

/**
 * Starts `git <args>` now, for the first later `git()` call with the same argv, folder,
 * discovery, stdin and environment object to take (issue 12: a verb's first reads run while
 * its modules load). The caller answers for it that the run reads only, and only what is read
 * before wt takes its repository lock (the git version, the repository's location, its
 * remotes, the main worktree's branch): `dropEarlyGit()` stops and discards what is left when
 * the lock is taken and before the first step. A run nobody takes never keeps the process
 * alive; once taken it does, as any other.
 * @returns how it ended (never rejects), for a follow-up run of its output
 */
export function startEarlyGit(args: readonly string[], options: RunOptions): Promise<EarlyEnd> {
  const key = earlyKey("git", args, options);
  let found = early.get(key);
  if (found === undefined || found.env !== options.env) {
    found?.run.kill();
    found = { run: startChild("git", args, options, false), env: options.env };
    early.set(key, found);
  }
  return found.run.done.then((end) => ({ exitCode: end.code, stdout: end.stdout }));
}

/** How an early run ended, for a caller that starts another one from its output. */
export interface EarlyEnd {
  /** null when git could not be started or was killed. */
  exitCode: number | null;
  stdout: string;
}

/**
 * Stops and forgets the early runs not taken yet: called when the repository lock is taken and
 * before the executor's first step, so nothing read under the lock or after a change is old.
 */
export function dropEarlyGit(): void {
  for (const { run } of early.values()) run.kill();
  early.clear();
}

function takeEarly(command: string, args: readonly string[], options: RunOptions): ChildRun | null {
  if (early.size === 0) return null;
  const key = earlyKey(command, args, options);
  const found = early.get(key);
  if (found === undefined || found.env !== options.env) return null;
  early.delete(key);
  found.run.hold();
  return found.run;
}

/**
 * Runs `command <args>` the way `git()` runs git (same environment, process group, errors):
 * for the POSIX `sh` that drives many git runs at once (`statusMany`).
 */
export function gitEnvCommand(command: string, args: readonly string[], options: GitOptions): Promise<GitResult> {
  if (options.signal?.aborted) return Promise.reject(new InterruptedError());
  const run = takeEarly(command, args, options) ?? startChild(command, args, options);
  const { signal } = options;
  signal?.addEventListener("abort", run.kill, { once: true });
  return run.done.then((end) => {
    signal?.removeEventListener("abort", run.kill);
    if (end.spawnError !== null) {
      throw new GitError(command, args, null, end.spawnError.message, `is ${command} installed and on PATH?`);
    }
    gitObserver?.({ command, args, cwd: options.cwd, ms: end.ms, exitCode: end.code });
    if (signal?.aborted) throw new InterruptedError();
    return outcome(command, args, options, end);
  });
}

/** An ended run as `git()` reports it: its result, or the error its exit code means. */
function outcome(command: string, args: readonly string[], options: GitOptions, end: ChildEnd): GitResult {
  const { stdout, stderr } = end;
  const exitCode = end.code ?? 128;
  const refused = exitCode === 0 ? null : dubiousOwnership(stderr);
  if (refused) throw refused;
  if (exitCode === 0 || options.okCodes?.includes(exitCode)) return { stdout, stderr, exitCode };
  throw new GitError(command, args, end.code, stderr || (end.signal ? `killed by ${end.signal}` : ""));
}

/** `git <args>` and its stdout, for the common case. Same errors as `git()`. */
export async function gitOut(args: readonly string[], options: GitOptions): Promise<string> {
  return (await git(args, options)).stdout;
}
