import { BusyError, ConflictError, UsageError, type WtError } from "./errors.js";

/**
 * Errors the machine gives where the user did nothing wrong in wt's eyes (a full disk, an
 * immutable or read-only file, a path too long) are not bugs: each gets an exit code from the
 * contract and a hint, instead of "internal error" and a stack (issue 9, item 16).
 *
 * - ENOSPC, EDQUOT: exit 4, like "all slots taken": a resource is exhausted, and the same
 *   command works once space is freed.
 * - EACCES, EPERM, EROFS: exit 3: the state of the repository or the machine (a file made
 *   immutable with `chattr +i`, a read-only mount) conflicts with the change; it is neither a
 *   usage error (2) nor an external command that failed (6: git, hooks and init).
 * - ENAMETOOLONG: exit 2: the configured `worktreeDir` (or a database `path`) names a path
 *   the system cannot hold; the fix is in the configuration.
 * - EISDIR, ENOTDIR: exit 3: a folder where wt expects a file, or the other way round.
 */
const HINT_RETRY = "then run the command again";

/**
 * The `WtError` for a Node system error (one with `code` and `syscall`) of the kinds above,
 * or null for anything else (then it is a bug: exit 1 with its stack).
 */
export function fromSystemError(error: unknown): WtError | null {
  const e = error as NodeJS.ErrnoException & { dest?: string };
  if (!(error instanceof Error) || typeof e.code !== "string" || typeof e.syscall !== "string") return null;
  // A rename names its target in `dest`: the target is what the user knows.
  const where = e.dest ?? e.path;
  const at = where ? ` ${where}` : "";
  const what = `${e.syscall}${at}`;
  // Only the codes below are mapped; `what` names the call and its path for messages.
  switch (e.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new BusyError(
        `no space left on the device (${e.code}) for ${what}`,
        `free some disk space (\`wt cleanup <id>\` works on a full disk and frees a worktree's), ${HINT_RETRY}`,
        "disk-full",
      );
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new ConflictError(
        `the system refused ${e.syscall} on${at || " a path"} (${e.code}: ${e.code === "EROFS" ? "read-only file system" : "permission denied"})`,
        `check the permissions and attributes of${at || " the file"} (\`ls -ld\`, \`lsattr\`; an immutable file needs \`chattr -i\`), ${HINT_RETRY}`,
        "permission-denied",
      );
    case "ENAMETOOLONG":
      return pathTooLong(where ?? "a path", "it is longer than the system allows (ENAMETOOLONG)");
    case "EISDIR":
    case "ENOTDIR":
      return new ConflictError(
        `${where ?? "a path"} is ${e.code === "EISDIR" ? "a folder where wt expects a file" : "in the way: a file where wt expects a folder"} (${e.code}, ${e.syscall})`,
        `move it away, ${HINT_RETRY}`,
      );
    default:
      return null;
  }
}

/** Longest path (bytes, without the final NUL) and path component the system takes. */
const PATH_MAX = process.platform === "darwin" ? 1023 : 4095;
const NAME_MAX = 255;

/**
 * Refuses a path the system cannot hold before anything is made: over PATH_MAX bytes
 * (limits.h: 4096 on Linux, 1024 on macOS, NUL included) or with a component over NAME_MAX
 * (255) bytes.
 * @param what what the path is, for the message ("the worktree folder")
 * @throws UsageError (exit 2, code `path-too-long`)
 */
export function checkPathLength(p: string, what: string): void {
  const bytes = Buffer.byteLength(p, "utf8");
  if (bytes > PATH_MAX) throw pathTooLong(p, `${what} is ${bytes} bytes long, over the system's limit of ${PATH_MAX}`);
  const long = p.split("/").find((c) => Buffer.byteLength(c, "utf8") > NAME_MAX);
  if (long !== undefined) {
    throw pathTooLong(
      p,
      `${what} has a name of ${Buffer.byteLength(long, "utf8")} bytes, over the limit of ${NAME_MAX}`,
    );
  }
}

function pathTooLong(p: string, why: string): UsageError {
  const shown = p.length > 120 ? `${p.slice(0, 60)}…${p.slice(-40)}` : p;
  return new UsageError(
    `${shown}: ${why}`,
    "shorten `worktreeDir` (or the database `path`) in wt.config.json, or move the repository to a shorter path",
    "path-too-long",
  );
}
