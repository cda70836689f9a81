import { spawn } from "node:child_process";
import { InterruptedError } from "../errors/base.js";
import { GitError } from "./errors.js";

/**
 * The one place that runs git. argv is always an array (never a shell string), any non-zero
 * exit is a failure whatever stderr says, and callers put `--end-of-options` or `--` before
 * user-supplied values.
 *
 * node:child_process rather than execa here: `wt path` and `wt status` must start in well
 * under 100 ms and importing execa alone costs about 200 ms on these machines (issue 5).
 */
export interface GitOptions {
  /** Working directory for git (absolute). */
  cwd: string;
  /** Written to git's stdin, then stdin is closed. */
  input?: string;
  /** Aborting kills git (SIGTERM) and the call rejects with `InterruptedError`. */
  signal?: AbortSignal;
  /** Extra environment variables on top of the inherited ones. */
  env?: Record<string, string>;
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
 * Runs `git <args>` and resolves with its output.
 * @throws GitError (a CommandFailedError, exit 6) on a non-zero exit not listed in `okCodes`, or when git
 *   cannot be started; InterruptedError when `signal` aborts.
 */
export function git(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return gitEnvCommand("git", args, options);
}

/**
 * Runs `command <args>` the way `git()` runs git (same environment, process group, errors):
 * for the POSIX `sh` that drives many git runs at once (`statusMany`).
 */
export function gitEnvCommand(command: string, args: readonly string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new InterruptedError());
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...BASE_ENV, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group: a Ctrl-C at the terminal reaches wt, which stops the git it
      // is running through `signal` and rolls back; the rollback's own git commands must not
      // be killed by a second Ctrl-C.
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const onAbort = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e) => {
      options.signal?.removeEventListener("abort", onAbort);
      reject(new GitError(command, args, null, e.message, `is ${command} installed and on PATH?`));
    });
    child.on("close", (code, sig) => {
      options.signal?.removeEventListener("abort", onAbort);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (options.signal?.aborted) {
        reject(new InterruptedError());
        return;
      }
      const exitCode = code ?? 128;
      if (exitCode === 0 || options.okCodes?.includes(exitCode)) {
        resolve({ stdout, stderr, exitCode });
        return;
      }
      reject(new GitError(command, args, code, stderr || (sig ? `killed by ${sig}` : "")));
    });
    child.stdin.on("error", () => {
      // git may exit before reading all of stdin; its exit code tells what happened.
    });
    child.stdin.end(options.input ?? "");
  });
}

/** `git <args>` and its stdout, for the common case. Same errors as `git()`. */
export async function gitOut(args: readonly string[], options: GitOptions): Promise<string> {
  return (await git(args, options)).stdout;
}
