import type { WtContext } from "../../core/context.js";
import { createWorktree } from "../../core/create.js";
import type { Io } from "../io.js";

/**
 * The options of `wt create`, as commander parses them. commander gives a `--no-x` option the
 * value true unless the flag is given, so `fetch` and `hooks` are false only for an explicit flag.
 */
export interface CreateCommandOptions {
  base?: string;
  branch?: string;
  fetch: boolean;
  hooks: boolean;
  dryRun?: boolean;
  pool?: boolean;
  /** false for `--no-cd`: the shell function does not move the shell into the new worktree. */
  cd: boolean;
}

/** `wt create <id>`: JSON document, the path alone (--quiet), or a summary. */
export async function createCommand(io: Io, id: string, opts: CreateCommandOptions): Promise<void> {
  const human = !io.globals.json && !io.globals.quiet;
  const result = await createWorktree(human ? preloadingRender(io.ctx) : io.ctx, {
    id,
    base: opts.base,
    branch: opts.branch,
    // commander gives `--no-x` options a default of true: only an explicit --no-x is a flag,
    // else wt.config.json and WT_FETCH would never be heard (flags > env > file > defaults).
    fetch: opts.fetch === false ? false : undefined,
    hooks: opts.hooks === false ? false : undefined,
    dryRun: opts.dryRun === true,
    ...(opts.pool ? { pool: true } : {}),
  });
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (io.globals.quiet) io.out(`${result.path}\n`);
  else {
    // The summary's renderer (and chalk) and the shell function's hand-off load only for a
    // person at a terminal: --json and -q, what scripts and agents use, never need them.
    const { makeChalk, renderCreate } = await import("../render.js");
    io.out(renderCreate(result, makeChalk()));
    if (!result.dryRun && opts.cd !== false) await moveShell(io, result.path);
  }
}

/**
 * `ctx` whose step reports also start loading the summary's renderer (and chalk, ~10 ms of
 * compiling) when git starts the checkout or the claim: its load then overlaps git's work
 * instead of following it.
 */
function preloadingRender(ctx: WtContext): WtContext {
  return {
    ...ctx,
    onProgress: (title, kind) => {
      if (kind === "add-worktree" || kind === "claim-slot") {
        setImmediate(() => {
          import("../render.js").then((m) => m.makeChalk()).catch(() => {}); // imported again where used
        });
      }
      ctx.onProgress?.(title, kind);
    },
  };
}

/**
 * Moves the shell into the new worktree: only under the shell function, on a terminal (a
 * script's `wt create` must not change its folder) and without --json / -q.
 */
async function moveShell(io: Io, folder: string): Promise<void> {
  if (!process.stdout.isTTY) return;
  const { shellFunctionActive, shellHint, writeCdFile } = await import("../shell.js");
  if (!shellFunctionActive(io.ctx.env)) return;
  if (writeCdFile(io.ctx.env, folder)) io.verbose(`moving the shell to ${folder}`);
  const hint = shellHint(io.ctx.env, io.globals.verbose === true);
  if (hint) io.err(`hint: ${hint}\n`);
}
