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

/** Exit 3 (code `not-found`): `--base` (or config `base`) names no commit. */
export class BaseNotFoundError extends ConflictError {
  constructor(base: string) {
    super(
      `the base ${JSON.stringify(base)} names no commit`,
      "pass an existing branch or commit with --base, or set `base` in wt.config.json",
      "not-found",
    );
  }
}

/** Exit 3: the worktree's folder is taken (registered with git, recorded by wt, or not empty). */
export class FolderOccupiedError extends ConflictError {
  /** git already has a worktree there (`gone`: its folder is missing, `git worktree prune` forgets it). */
  static registered(folder: string, gone: boolean): FolderOccupiedError {
    return new FolderOccupiedError(
      `git already has a worktree registered at ${folder}${gone ? " (its folder is gone)" : ""}`,
      gone ? "run `git worktree prune`, then try again" : "pick another id, or remove that worktree first",
    );
  }

  /** Another wt worktree's record names the folder. */
  static recorded(folder: string, id: string): FolderOccupiedError {
    return new FolderOccupiedError(
      `worktree ${id} already uses the folder ${folder}`,
      "check `worktreeDir` in wt.config.json",
    );
  }

  /** Something that is not an empty folder is there. */
  static notEmpty(folder: string): FolderOccupiedError {
    return new FolderOccupiedError(
      `the folder ${folder} already exists and is not empty`,
      "move it away, or set another `worktreeDir` in wt.config.json",
    );
  }
}

/** Exit 3: git checks a branch out in one worktree at a time (git-worktree(1)). */
export class BranchCheckedOutError extends ConflictError {
  constructor(branch: string, where: string, fromFlag: boolean) {
    super(
      `branch ${branch} is already checked out in ${where}`,
      fromFlag ? "pass another --branch" : "git checks a branch out in one worktree at a time; pass --branch <other>",
    );
  }
}

/** Exit 3: the branch tracks a path wt would write (env file, database): info/exclude cannot hide it. */
export class TrackedTargetError extends ConflictError {
  constructor(rel: string, what: string, worktree: string) {
    super(
      `the branch tracks ${rel}, which wt would write as ${what} in ${worktree}`,
      "set another `envFile` (or database `path`) in wt.config.json, e.g. .env.wt",
    );
  }
}

/** Exit 3: a create of this id died half-way (its record is `creating` or `removing`, its wt gone). */
export class IncompleteWorktreeError extends ConflictError {
  constructor(id: string, what: string) {
    super(
      `worktree ${id} is incomplete: ${what}`,
      `run \`wt cleanup ${id}\` to remove what it made, then create it again`,
    );
  }
}

/**
 * Exit 3 (code `not-found`): the record names a folder that is gone (deleted by hand, an
 * unplugged disk). Every command on the worktree says so instead of running elsewhere.
 */
export class WorktreeFolderGoneError extends ConflictError {
  constructor(id: string, folder: string) {
    super(
      `the folder of worktree ${id} is gone: ${folder}`,
      `remove what is left of it with \`wt cleanup ${id}\`, then \`wt create ${id}\` makes it again (\`wt doctor ${id}\` tells more)`,
      "not-found",
    );
  }
}

/** Exit 3: the worktree was moved (`git worktree move`) away from where its record says. */
export class WorktreeMovedError extends ConflictError {
  constructor(id: string, recorded: string, branch: string | null, now: string) {
    super(
      branch === null
        ? `worktree ${id} is recorded at ${recorded}, but git lists it, detached, at ${now} (moved with \`git worktree move\`?)`
        : `worktree ${id} is recorded at ${recorded}, but its branch ${branch} is checked out in ${now} (moved with \`git worktree move\`?)`,
      `move it back (\`git worktree move ${now} ${recorded}\`) and run \`wt cleanup ${id}\` again`,
    );
  }
}

/** Exit 4 (code `in-progress`): another wt is creating or cleaning up this worktree right now. */
export class InProgressError extends BusyError {
  constructor(message: string, hint: string) {
    super(message, hint, "in-progress");
  }
}

/** Exit 4 (code `locked`): someone locked the worktree (`git worktree lock`). */
export class WorktreeLockedError extends BusyError {
  /** @param overridable whether the verb's `--force` passes a lock (cleanup's does, release's does not) */
  constructor(id: string, folder: string, reason: string, overridable = true) {
    super(
      `worktree ${id} is locked${reason ? `: ${reason}` : ""}`,
      `unlock it (\`git worktree unlock ${folder}\`)${overridable ? " or pass --force" : ""}`,
      "locked",
    );
  }
}

/** One live process of a worktree, as a refusal lists it. */
export interface LiveProcess {
  pid: number;
  command: string;
  /** Why it belongs to the worktree: `cwd`, `env`, `port:PORT=3101`. */
  why: string[];
}

/**
 * Exit 4 (code `processes`): live processes belong to the worktree (`details.processes`), so
 * removing or releasing it would leave them running in a deleted folder or holding its ports.
 */
export class LiveProcessesError extends WtError {
  constructor(id: string, processes: readonly LiveProcess[], message?: string, hint?: string) {
    const list = processes.map((p) => `  ${p.pid}  ${p.command.slice(0, 120)}  (${p.why.join(", ")})`).join("\n");
    super(
      "processes",
      ExitCode.busy,
      `${message ?? `worktree ${id} has ${processes.length} live process(es)`}:\n${list}`,
      hint ??
        `stop them, or pass --reap to stop them (SIGTERM, then SIGKILL) or --force to leave them running; \`wt ps ${id}\` lists them`,
      { id, processes },
    );
  }
}

/** Exit 4 (code `lock-busy`): another wt held the repository lock for the whole wait. */
export class LockBusyError extends BusyError {
  constructor(message: string, hint: string) {
    super(message, hint, "lock-busy");
  }
}

/** Exit 4 (code `lock-lost`): the repository lock was removed or replaced while this wt held it. */
export class LockLostError extends BusyError {
  constructor(message: string) {
    super(
      message,
      "make sure no other wt runs on this repository (`wt status`), then run the command again",
      "lock-lost",
    );
  }
}

/** Exit 3 (code `lock-foreign`): something wt did not make is at the lock's path. */
export class ForeignLockError extends ConflictError {
  constructor(lockPath: string, what: string) {
    super(
      `${lockPath} is ${what}, not a lock wt made, so wt cannot tell whether another wt is running`,
      `if no wt is running on this repository, remove it (\`rm -r '${lockPath}'\`) and run the command again`,
      "lock-foreign",
    );
  }
}

/** Exit 4 (code `slots-exhausted`): every port slot is taken or in use. */
export class SlotsExhaustedError extends BusyError {
  constructor(slots: number) {
    super(
      `all ${slots} port slots are taken or in use`,
      "clean up worktrees you no longer need (`wt cleanup --merged`), or raise portSlots in wt.config.json",
      "slots-exhausted",
    );
  }
}

/**
 * Exit 6 (code `command-failed`): the database engine could not open a file (a template that is
 * no database of that engine, or one a newer engine version wrote; a folder it cannot write).
 * `details` names the engine and the file.
 */
export class DatabaseOpenError extends WtError {
  constructor(engine: "sqlite" | "duckdb", file: string, reason: string, isTemplate: boolean) {
    super(
      "command-failed",
      ExitCode.external,
      `${engine === "duckdb" ? "DuckDB" : "SQLite"} could not open ${file}: ${reason}`,
      isTemplate
        ? `check that ${file} is a ${engine} database (fix \`databases[].template\` in wt.config.json if not), then run \`wt create\` again`
        : "check that the database's folder is writable, then run `wt create` again",
      { engine, file },
    );
  }
}

/** Exit 3: a database path outside the worktree holds a file wt did not make. */
export class DatabasePathTakenError extends ConflictError {}

/** Exit 3: a path wt would write leaves its folder, or passes a symlink or a non-folder on the way. */
export class UnsafePathError extends ConflictError {}

/** Exit 3 (code `broken-worktree` when git's tie is broken): the worktree folder is not the one git registered. */
export class SwappedWorktreeError extends ConflictError {}

/**
 * Some of the ids a verb was given were refused and the others done (as `git branch -d a b c`
 * deletes what it can): code, exit code, message, hint and details are the first refusal's, and
 * `result` is the verb's document, whose `skipped[]` lists every refusal.
 */
export class PartialRefusalError<R> extends WtError {
  readonly result: R;

  constructor(first: WtError, result: R, refused: number) {
    const more = refused > 1 ? ` (and ${refused - 1} more refusal(s): see skipped)` : "";
    super(first.code, first.exitCode, `${first.message}${more}`, first.hint, first.details);
    this.result = result;
  }
}

/**
 * Exit 2 (code `untrusted`): the repository's wt.config.json has commands (hooks, database
 * init) this user has not trusted, and no terminal to ask on (or the answer was no).
 * `details.commands` lists them as `{source, command}`.
 */
export class UntrustedError extends WtError {
  constructor(message: string, hint: string, commands: readonly { source: string; command: string }[]) {
    super("untrusted", ExitCode.usage, message, hint, { commands: commands.map((c) => ({ ...c })) });
  }
}

/**
 * Exit 3: `wt adopt <path>` refuses a folder that is not a linked worktree of this repository
 * (the main worktree, a folder git does not list, another repository's, a pool slot), one wt
 * already manages, an id another worktree has, or a path wt would write that already holds a
 * file wt did not make (the env file, a database): adopt changes no file of the user's.
 */
export class AdoptRefusedError extends ConflictError {}
