import type { HookOutput } from "./hooks.js";

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
  /** Warnings for the user (stderr); they also go into JSON results. */
  onWarning?: (message: string) => void;
  /** Progress lines (stderr, with --verbose). */
  onProgress?: (message: string) => void;
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
