import { CommandFailedError } from "../errors/base.js";

/**
 * Errors of the git layer. src/git sits below src/core, so it takes its base classes from
 * src/errors (never from core); src/core/errors.ts re-exports them for everyone above.
 */

/**
 * Exit 6: a git run (or the `sh` that drives many git runs, `statusMany`) exited non-zero or
 * could not start. A `CommandFailedError`, so core's `instanceof CommandFailedError` handling
 * and the JSON `code` ("command-failed") stay as they are; `argv` keeps the arguments as an
 * array for callers that must tell one git command from another.
 */
export class GitError extends CommandFailedError {
  /** The program that ran: `git`, or `sh` for a batch of git runs. */
  readonly program: string;
  /** Its arguments, as passed to the process (never a shell string). */
  readonly argv: readonly string[];

  /**
   * @param exitStatus git's exit code; null when it could not start or was killed by a signal.
   * @param stderr everything git printed on stderr; the message keeps its last 12 lines.
   */
  constructor(
    program: string,
    argv: readonly string[],
    exitStatus: number | null,
    stderr: string,
    hint: string | null = null,
  ) {
    super(`${program} ${argv.join(" ")}`, exitStatus, stderr, hint);
    this.program = program;
    this.argv = [...argv];
  }
}
