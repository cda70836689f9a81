/**
 * Every failure a user can meet is a `WtError` subclass carrying the exit code from
 * CONTRACT.md ("Exit codes") and a hint naming the next command to run. Anything that is
 * not a `WtError` is a bug: the CLI prints its stack and exits 1.
 */

/** Exit codes, as CONTRACT.md defines them. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  conflict: 3,
  busy: 4,
  refused: 5,
  external: 6,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Machine-readable error codes used in `{"error": {"code", ...}}`. */
export type ErrorCode =
  | "usage"
  | "invalid-id"
  | "invalid-config"
  | "not-a-repository"
  | "unsupported-git"
  | "not-found"
  | "conflict"
  | "template-missing"
  | "busy"
  | "lock-busy"
  | "slots-exhausted"
  | "locked"
  | "dirty"
  | "unreachable-commits"
  | "protected"
  | "in-progress"
  | "command-failed"
  | "missing-package"
  | "interrupted";

export class WtError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly code: ErrorCode;
  readonly hint: string | null;
  /** Extra structured data for `--json` consumers (e.g. the dirty files). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    exitCode: ExitCodeValue,
    message: string,
    hint: string | null = null,
    details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = hint;
    this.details = details;
  }
}

/** Exit 2: bad flag, bad id, bad config, not inside a repository. */
export class UsageError extends WtError {
  constructor(message: string, hint: string | null = null, code: ErrorCode = "usage") {
    super(code, ExitCode.usage, message, hint);
  }
}

/** Exit 2: `wt.config.json` (or a `WT_*` variable) is invalid; the message names key and file. */
export class ConfigError extends WtError {
  constructor(message: string, hint: string | null = null) {
    super("invalid-config", ExitCode.usage, message, hint);
  }
}

/** Exit 3: unknown id, folder occupied, branch checked out elsewhere, template missing. */
export class ConflictError extends WtError {
  constructor(message: string, hint: string | null = null, code: ErrorCode = "conflict") {
    super(code, ExitCode.conflict, message, hint);
  }
}

/** Exit 3: no managed worktree has this id. */
export class WorktreeNotFoundError extends WtError {
  constructor(id: string) {
    super(
      "not-found",
      ExitCode.conflict,
      `no worktree managed by wt has the id '${id}'`,
      "run `wt status` to list worktrees, or `wt create <id>` to make one",
    );
  }
}

/** Exit 4: the repository lock, a locked worktree or database, or no free port slot. */
export class BusyError extends WtError {
  constructor(message: string, hint: string | null = null, code: ErrorCode = "busy") {
    super(code, ExitCode.busy, message, hint);
  }
}

/** Exit 5: cleanup refused because work would be lost. `details.files` lists what. */
export class DirtyWorktreeError extends WtError {
  constructor(message: string, hint: string, details: Record<string, unknown>, code: ErrorCode = "dirty") {
    super(code, ExitCode.refused, message, hint, details);
  }
}

/** Exit 6: git, a hook or an init command failed; `stderrTail` holds the last lines it printed. */
export class CommandFailedError extends WtError {
  readonly command: string;
  readonly exitStatus: number | null;
  readonly stderrTail: string;

  constructor(command: string, exitStatus: number | null, stderr: string, hint: string | null = null) {
    const tail = tailLines(stderr, 12);
    super(
      "command-failed",
      ExitCode.external,
      `\`${command}\` failed${exitStatus === null ? "" : ` with exit code ${exitStatus}`}${tail ? `:\n${tail}` : ""}`,
      hint,
      { command, exitStatus, stderr: tail },
    );
    this.command = command;
    this.exitStatus = exitStatus;
    this.stderrTail = tail;
  }
}

/** Exit 130: the run was interrupted (SIGINT/SIGTERM) and what it made was rolled back. */
export class InterruptedError extends WtError {
  constructor(
    signal = "SIGINT",
    message = `interrupted by ${signal}; what this run made was rolled back`,
    hint: string | null = null,
  ) {
    super("interrupted", ExitCode.interrupted, message, hint);
  }
}

/** The last `n` non-empty lines of `text`, trimmed. */
export function tailLines(text: string, n: number): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.slice(-n).join("\n").trim();
}
