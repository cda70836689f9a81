import type { Writable } from "node:stream";
import { repoFreeEnv } from "../git/run.js";
import type { Variables } from "./envfile.js";
import { CommandFailedError, InterruptedError } from "./errors.js";

/** Where hook and init output goes (the CLI passes stderr); null discards it. */
export type HookOutput = Writable | null;

/**
 * A command run on wt's own terminal: stdin and stderr are wt's, stdout is wt's stdout or, with
 * `"stderr"`, wt's stderr (`--json`: stdout stays one JSON document; a captured stdout such as
 * `cd "$(wt create -q 101)"` stays the path alone).
 */
export interface TerminalStdio {
  stdout: "stdout" | "stderr";
}

export interface ShellCommandOptions {
  /** Folder the command runs in. */
  cwd: string;
  /** The caller's environment (`ctx.env`): the base every command inherits. */
  env: Readonly<Record<string, string | undefined>>;
  /** Worktree variables, added to the inherited environment (without git's repository-locating variables). */
  vars: Variables;
  output: HookOutput;
  /**
   * Set: the command gets wt's terminal (`TerminalStdio`) and runs in wt's process group, so
   * Ctrl-C reaches it from the terminal and it can read the terminal without SIGTTIN; `output`
   * is then unused. Unset: stdin closed, output piped to `output`, its own process group.
   */
  terminal?: TerminalStdio;
  signal?: AbortSignal;
  /** For messages: "postCreate hook", "init of data/app.db". */
  label: string;
}

/**
 * Runs one user command through the user's shell (`/bin/sh -c` on POSIX) in `cwd`. Values
 * reach it only as environment variables, never spliced into the command text, so a
 * branch named `feature/$(touch x)` runs nothing. stdout and stderr both go to `output`, or to
 * wt's terminal (`terminal`).
 * The environment is the caller's (`options.env`) minus `GIT_DIR`, `GIT_WORK_TREE` and the other variables that
 * would point the command's git at another repository than the worktree (`repoFreeEnv`): a
 * wt started from a git hook must not run `npm install` against the outer repository.
 * @throws CommandFailedError (exit 6) with the tail of its stderr when it exits non-zero;
 *   InterruptedError (exit 130) when `signal` aborts, and when a command run on the terminal
 *   (`terminal`) ends by SIGINT: Ctrl-C reached it and wt at once, and wt may see it end first.
 */
export async function runShellCommand(command: string, options: ShellCommandOptions): Promise<void> {
  if (options.signal?.aborted) throw new InterruptedError();
  const { execa } = await import("execa");
  const terminal = options.terminal;
  const child = execa(command, {
    shell: true,
    cwd: options.cwd,
    env: { ...repoFreeEnv(options.env), ...options.vars },
    extendEnv: false,
    reject: false,
    ...(terminal
      ? // wt's foreground group: a detached group reading the terminal would be stopped (SIGTTIN).
        { stdin: "inherit", stdout: terminal.stdout === "stdout" ? "inherit" : 2, stderr: "inherit", detached: false }
      : // Its own process group, so an abort stops the whole command (`sleep` under `sh -c`
        // included) and not just the shell, whose orphans would hold the output pipes open.
        { stdin: "ignore", detached: true }),
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      // On the terminal, Ctrl-C already reached the whole foreground group; SIGTERM to wt alone
      // is passed on to the shell.
      if (child.pid !== undefined) process.kill(terminal ? child.pid : -child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  let forceTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    killGroup("SIGTERM");
    forceTimer = setTimeout(() => killGroup("SIGKILL"), 3000);
    forceTimer.unref();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.output) {
    child.stdout?.pipe(options.output, { end: false });
    child.stderr?.pipe(options.output, { end: false });
  }
  const result = await child;
  options.signal?.removeEventListener("abort", onAbort);
  if (forceTimer) clearTimeout(forceTimer);
  if (options.signal?.aborted) throw new InterruptedError();
  // On the terminal, Ctrl-C reaches the command and wt at once (one foreground group): a command
  // that died of it can be seen ending before wt's own SIGINT handler has run. It was interrupted
  // (exit 130, and a create rolls back), not a failure (exit 6): seen once under a loaded CI run.
  if (terminal && result.signal === "SIGINT") throw new InterruptedError("SIGINT");
  if (result.exitCode !== 0 || result.failed) {
    throw new CommandFailedError(
      `${options.label}: ${command}`,
      result.exitCode ?? null,
      // On the terminal its output is already in front of the user, and was not kept.
      terminal ? "" : String(result.stderr ?? "") || String(result.stdout ?? "") || (result.shortMessage ?? ""),
    );
  }
}

/** Runs `commands` one after another; the first failure stops the rest. */
export async function runHooks(commands: readonly string[], options: ShellCommandOptions): Promise<void> {
  for (const command of commands) {
    await runShellCommand(command, options);
  }
}
