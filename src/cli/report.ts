import { WtError } from "../core/errors.js";
import { fromSystemError } from "../core/fs-errors.js";

/** The warnings this process said (on stderr) before it failed: its --json error document carries them. */
const said: string[] = [];

/** Keeps `message`, a warning just said on stderr, for the --json error document (`reportError`). */
export function noteWarning(message: string): void {
  said.push(message);
}

/**
 * The one place errors become exit codes. A `WtError` prints its message and hint (or, with
 * --json, `{"error": {"code", "message", "hint"}}` on stdout, with `"warnings": [...]` beside
 * `error` when the command said any before it failed: a rollback's, a hook's, a lock's); so does a system error the
 * machine gave (full disk, permission, path too long: `fromSystemError`), under its contract
 * code; anything else is a bug: its stack and a request to report it, exit 1.
 * @returns the exit code.
 */
export function reportError(thrown: unknown, json: boolean): number {
  const error = thrown instanceof WtError ? thrown : (fromSystemError(thrown) ?? thrown);
  if (error instanceof WtError) {
    if (json) {
      const doc = {
        error: { code: error.code, message: error.message, hint: error.hint, ...(error.details ?? {}) },
        ...(said.length > 0 ? { warnings: [...said] } : {}),
      };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    process.stderr.write(formatError(error.message, error.hint));
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: "internal", message: err.message, hint: "this is a bug in wt; please report it with the stack trace printed on stderr" }, ...(said.length > 0 ? { warnings: [...said] } : {}) }, null, 2)}\n`,
    );
  }
  process.stderr.write(
    `wt: internal error (a bug): ${err.message}\n${err.stack ?? ""}\nPlease report this at the wt issue tracker, with the command you ran.\n`,
  );
  return 1;
}

/**
 * The one style of every error wt prints, its own and commander's: `wt: <message>` then
 * `hint: <next command>`, coloured when stderr is a terminal (NO_COLOR / FORCE_COLOR heeded).
 */
export function formatError(message: string, hint: string | null, env: NodeJS.ProcessEnv = process.env): string {
  // The rules of makeChalk (render.ts), for stderr; chalk itself is not loaded for an error.
  const on =
    env.NO_COLOR !== undefined && env.NO_COLOR !== ""
      ? false
      : env.FORCE_COLOR === "0" || env.FORCE_COLOR === "false"
        ? false
        : env.FORCE_COLOR !== undefined || process.stderr.isTTY === true;
  const red = (t: string) => (on ? `\u001b[1;31m${t}\u001b[0m` : t);
  const dim = (t: string) => (on ? `\u001b[36m${t}\u001b[0m` : t);
  return `${red("wt:")} ${message}\n${hint ? `${dim("hint:")} ${hint}\n` : ""}`;
}
