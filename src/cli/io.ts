import type { WtContext } from "../core/context.js";
import { type ProgressReporter, progressReporter } from "./progress.js";

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
}

/** Output and context shared by every command. */
export interface Io {
  globals: GlobalOptions;
  ctx: WtContext;
  /** Writes data to stdout. */
  out: (text: string) => void;
  /** Writes to stderr unless --quiet (warnings are shown even then). */
  err: (text: string) => void;
  /** Writes a line to stderr with --verbose only (how an id was found, which file was read). */
  verbose: (text: string) => void;
  /** Ends the progress of the command (its last step's elapsed time); called once the command ends. */
  finish: () => void;
}

/**
 * Builds the `Io` of one command from its global flags: the CLI is the one layer that reads
 * `process.cwd()`, `process.env` and the real stdout/stderr, and hands them to core in `ctx`.
 * `signal` aborts the command (Ctrl-C, SIGTERM). Progress goes to stderr on a terminal (or
 * everywhere with --verbose), never with -q, nor with --json unless --verbose.
 */
export function ioFor(globals: GlobalOptions, signal?: AbortSignal): Io {
  const quiet = globals.quiet === true;
  const cwd = globals.C ? (globals.C.startsWith("/") ? globals.C : `${process.cwd()}/${globals.C}`) : process.cwd();
  const toStderr = (t: string) => {
    process.stderr.write(t);
  };
  // --verbose asks for every step (on stderr, so JSON on stdout stays whole); otherwise only a
  // terminal gets the steps that outlast half a second.
  const progress: ProgressReporter | null = quiet
    ? null
    : globals.verbose
      ? progressReporter(toStderr, true)
      : globals.json || !process.stderr.isTTY
        ? null
        : progressReporter(toStderr, false);
  return {
    globals,
    out: (t) => process.stdout.write(t),
    err: (t) => {
      if (!quiet) process.stderr.write(t);
    },
    verbose: (t) => {
      if (globals.verbose) process.stderr.write(`${t}\n`);
    },
    finish: () => progress?.end(),
    ctx: {
      cwd,
      env: process.env,
      signal,
      output: quiet ? null : process.stderr,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      onProgress: progress ? (m) => progress.step(m) : undefined,
      onNotice: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
    },
  };
}
