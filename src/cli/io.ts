import type { WtContext } from "../core/context.js";
import { type GitCommandRun, observeGitCommands } from "../git/run.js";
import { type ProgressReporter, progressReporter } from "./progress.js";
import { noteWarning } from "./report.js";

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
  /** Writes data to stdout (ending the progress display: the steps before a result are over). */
  out: (text: string) => void;
  /** Writes to stderr unless --quiet (warnings are shown even then). */
  err: (text: string) => void;
  /** Writes a line to stderr with --verbose only (how an id was found, which file was read). */
  verbose: (text: string) => void;
  /** Ends the progress of the command (its last step's elapsed time; `ok` false: it failed); called once it ends. */
  finish: (ok?: boolean) => void;
}

/**
 * Builds the `Io` of one command from its global flags: the CLI is the one layer that reads
 * `process.cwd()`, `process.env` and the real stdout/stderr, and hands them to core in `ctx`.
 * `signal` aborts the command (Ctrl-C, SIGTERM). Progress goes to stderr on a terminal (or
 * everywhere with --verbose), never with -q, nor with --json unless --verbose. Hooks and
 * `databases[].init` get the terminal when stdin and stderr are one (not with -q).
 */
export function ioFor(globals: GlobalOptions, signal?: AbortSignal): Io {
  const quiet = globals.quiet === true;
  const cwd = globals.C ? (globals.C.startsWith("/") ? globals.C : `${process.cwd()}/${globals.C}`) : process.cwd();
  const progress = reporterFor(globals);
  // Warnings and notices go around the live progress line, which is redrawn after them.
  const toStderr = (t: string) => {
    if (progress) progress.around(() => process.stderr.write(t));
    else process.stderr.write(t);
  };
  const verbose = globals.verbose === true;
  // --verbose on every command: each git command wt runs, with its folder and time.
  observeGitCommands(verbose ? (run) => toStderr(`${describeGitRun(run)}\n`) : null);
  return {
    globals,
    // A result being printed: the steps before it are over (the last hook's time goes above it).
    out: (t) => {
      progress?.end(true);
      process.stdout.write(t);
    },
    err: (t) => {
      if (!quiet) toStderr(t);
    },
    verbose: (t) => {
      if (verbose) toStderr(`${t}\n`);
    },
    finish: (ok = true) => progress?.end(ok),
    ctx: {
      cwd,
      env: process.env,
      signal,
      output: quiet ? null : process.stderr,
      ...(terminalFor(globals) ?? {}),
      onWarning: (m) => {
        noteWarning(m);
        toStderr(`warning: ${m}\n`);
      },
      onProgress: progress ? (title, kind) => progress.step(title, kind) : undefined,
      onStepProgress: progress ? (p) => progress.update(p) : undefined,
      onNotice: quiet ? undefined : (m) => toStderr(`${m}\n`),
      onDetail: verbose ? (m) => toStderr(`${m}\n`) : undefined,
      trust: globals.trust === true,
      // A question needs someone to answer it: only when both ends are a terminal.
      confirm:
        process.stdin.isTTY && process.stderr.isTTY
          ? async (question) => (await import("./confirm.js")).askYesNo(question, signal)
          : undefined,
    },
  };
}

/**
 * --verbose asks for every step (on stderr, so JSON on stdout stays whole); otherwise only a
 * terminal gets the steps that outlast half a second; -q: none.
 */
function reporterFor(globals: GlobalOptions): ProgressReporter | null {
  const write = (t: string) => {
    process.stderr.write(t);
  };
  const live = process.stderr.isTTY === true;
  const columns = () => process.stderr.columns || 80;
  if (globals.quiet) return null;
  if (globals.verbose) return progressReporter(write, { verbose: true, live, columns });
  if (globals.json || !live) return null;
  return progressReporter(write, { verbose: false, live, columns });
}

/**
 * The terminal hooks and `databases[].init` get (issue 13, item 4): when stdin and stderr are
 * terminals and -q is not given. Their stdout is wt's stdout only when that is the terminal
 * too and not --json (stdout must stay one JSON document, or the path `cd "$(wt create -q …)"` reads).
 */
function terminalFor(globals: GlobalOptions): Pick<WtContext, "terminal"> | null {
  if (globals.quiet || !process.stdin.isTTY || !process.stderr.isTTY) return null;
  return { terminal: { stdout: globals.json || !process.stdout.isTTY ? "stderr" : "stdout" } };
}

/**
 * `  $ git worktree list --porcelain -z  (8 ms, in /repo)`: a word with a space or a quote in
 * it is quoted; a long line (`sh -c` running many git commands at once) is cut at 200 characters.
 */
export function describeGitRun(run: GitCommandRun): string {
  const word = (w: string) => (/^[\w./:@=+,-]+$/.test(w) ? w : JSON.stringify(w));
  let line = [run.command, ...run.args].map(word).join(" ");
  if (line.length > 200) line = `${line.slice(0, 199)}…`;
  const code = run.exitCode === 0 ? "" : `, exit ${run.exitCode ?? "killed"}`;
  return `  $ ${line}  (${run.ms} ms${code}, in ${run.cwd})`;
}
