/**
 * The bottom of the error hierarchy, below every layer (cli -> core -> git -> errors): the
 * `WtError` base with its exit code and hint, and the few failures that src/git raises too
 * (usage, a command that failed, an interruption). src/core/errors.ts re-exports all of it,
 * so core and library callers import errors from one place. Imports nothing from src.
 * Exit codes: docs/contract.md ("Exit codes").
 */

/** Exit codes, as docs/contract.md defines them. */
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
  | "lock-lost"
  | "lock-foreign"
  | "disk-full"
  | "permission-denied"
  | "path-too-long"
  | "slots-exhausted"
  | "locked"
  | "dirty"
  | "unreachable-commits"
  | "command-failed"
  | "missing-package"
  | "protected"
  | "in-progress"
  | "processes"
  | "dubious-ownership"
  | "broken-worktree"
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
