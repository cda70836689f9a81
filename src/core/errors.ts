/**
 * Every failure a user can meet is a `WtError` subclass carrying the exit code from
 * docs/contract.md ("Exit codes") and a hint naming the next command to run. Anything that is
 * not a `WtError` is a bug: the CLI prints its stack and exits 1.
 */

export {
  CommandFailedError,
  type ErrorCode,
  ExitCode,
  type ExitCodeValue,
  InterruptedError,
  tailLines,
  UsageError,
  WtError,
} from "../errors/base.js";
export { GitError } from "../git/errors.js";

import { type ErrorCode, ExitCode, WtError } from "../errors/base.js";

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
