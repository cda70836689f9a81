import type { WtContext } from "../core/context.js";

/**
 * What every command receives: the global flags, the library context and the two output
 * streams. Its own module so that `commands/<verb>.ts` never import `cli/index.ts`, which
 * imports them (an import circle that `npm run check` refuses, .dependency-cruiser.json).
 */

/** The global flags, as commander parses them (`-C <dir>`, `--json`, `-q`, `--verbose`). */
export interface GlobalOptions {
  C?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** `--trust`: run the repository's commands (hooks, database init) this once without asking. */
  trust?: boolean;
}

/** Output and context shared by every command. */
export interface Io {
  globals: GlobalOptions;
  ctx: WtContext;
  /** Writes data to stdout. */
  out: (text: string) => void;
  /** Writes to stderr unless --quiet (warnings are shown even then). */
  err: (text: string) => void;
}

/**
 * Builds the `Io` of one command from its global flags: the CLI is the one layer that reads
 * `process.cwd()`, `process.env` and the real stdout/stderr, and hands them to core in `ctx`.
 * `signal` aborts the command (Ctrl-C, SIGTERM).
 */
export function ioFor(globals: GlobalOptions, signal?: AbortSignal): Io {
  const quiet = globals.quiet === true;
  const cwd = globals.C ? (globals.C.startsWith("/") ? globals.C : `${process.cwd()}/${globals.C}`) : process.cwd();
  return {
    globals,
    out: (t) => process.stdout.write(t),
    err: (t) => {
      if (!quiet) process.stderr.write(t);
    },
    ctx: {
      cwd,
      env: process.env,
      signal,
      output: quiet ? null : process.stderr,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      onProgress: globals.verbose ? (m) => process.stderr.write(`  · ${m}\n`) : undefined,
      onNotice: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
      trust: globals.trust === true,
      // A question needs someone to answer it: only when both ends are a terminal.
      confirm:
        process.stdin.isTTY && process.stderr.isTTY
          ? async (question) => (await import("./confirm.js")).askYesNo(question, signal)
          : undefined,
    },
  };
}
