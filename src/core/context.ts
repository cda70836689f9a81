import type { HookOutput, TerminalStdio } from "./hooks.js";

/**
 * What the step running now has done so far, for a progress display: a copy's files and bytes
 * (counted in the target as it fills, a few times a second), or `done` when a step that is not
 * one of the executor's (the fetch before create's lock) has ended.
 */
export interface StepProgress {
  files?: number;
  bytes?: number;
  done?: boolean;
}

/**
 * What every core verb needs from its caller. The CLI fills it from process.cwd(),
 * process.env and stderr; nothing below the CLI reads those on its own.
 */
export interface WtContext {
  /** Folder to work from: any folder inside the main worktree or a linked one. */
  cwd: string;
  /** Environment: read for `WT_*` overrides, passed on to hooks and `wt run`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Ctrl-C / SIGTERM: stops what runs and rolls back. */
  signal?: AbortSignal;
  /** Where hook and init output goes (stderr for the CLI); null discards it. */
  output?: HookOutput;
  /**
   * Hooks, `databases[].init` and `hooks.preMerge` get the caller's terminal (stdin included)
   * and run in its process group instead of writing to `output`; `stdout: "stderr"` sends their
   * stdout to the caller's stderr (`--json`). The CLI sets it when stdin and stderr are terminals.
   */
  terminal?: TerminalStdio;
  /** Warnings for the user (stderr); they also go into JSON results. */
  onWarning?: (message: string) => void;
  /**
   * A step starts: its title and kind (`"copy"`, `"hook"`, `"fetch"`, ...); the previous one has
   * ended. The CLI's progress display on stderr (src/cli/progress.ts).
   */
  onProgress?: (title: string, kind?: string) => void;
  /** The step running now has done this much (files and bytes of a copy), or has ended. */
  onStepProgress?: (progress: StepProgress) => void;
  /**
   * How the command found what it works on, for `--verbose` (stderr): the repository, the
   * config file read (or the defaults). Never needed to understand the result.
   */
  onDetail?: (message: string) => void;
  /** Notes for whoever watches, such as waiting for another wt (stderr unless --quiet; not in JSON). */
  onNotice?: (message: string) => void;
  /**
   * `--trust`: the caller trusts the repository's commands (hooks, database init) for this run
   * without recording it (as `WT_TRUST=1` in `env` does).
   */
  trust?: boolean;
  /**
   * Asks the user a yes/no question (the CLI sets it only when stdin and stderr are terminals);
   * resolves true for yes. Absent: nobody can be asked, and what needs an answer is refused.
   * Rejects when `signal` aborts.
   */
  confirm?: (question: string) => Promise<boolean>;
}

/** Milliseconds to wait for the repository lock: `WT_LOCK_TIMEOUT` seconds, default 60. */
export function lockTimeoutMs(env: WtContext["env"]): number {
  const raw = env.WT_LOCK_TIMEOUT;
  const seconds = raw === undefined || raw === "" ? 60 : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 60_000;
}
