import { WtError } from "../core/errors.js";
import { fromSystemError } from "../core/fs-errors.js";

/**
 * The one place errors become exit codes. A `WtError` prints its message and hint (or, with
 * --json, `{"error": {"code", "message", "hint"}}` on stdout); so does a system error the
 * machine gave (full disk, permission, path too long: `fromSystemError`), under its contract
 * code; anything else is a bug: its stack and a request to report it, exit 1.
 * @returns the exit code.
 */
export function reportError(thrown: unknown, json: boolean): number {
  const error = thrown instanceof WtError ? thrown : (fromSystemError(thrown) ?? thrown);
  if (error instanceof WtError) {
    if (json) {
      const doc = { error: { code: error.code, message: error.message, hint: error.hint, ...(error.details ?? {}) } };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    process.stderr.write(`wt: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: "internal", message: err.message, hint: "this is a bug in wt; please report it with the stack trace printed on stderr" } }, null, 2)}\n`,
    );
  }
  process.stderr.write(
    `wt: internal error (a bug): ${err.message}\n${err.stack ?? ""}\nPlease report this at the wt issue tracker, with the command you ran.\n`,
  );
  return 1;
}
