import path from "node:path";
import { type CleanupOptions, type CleanupResult, cleanupWorktrees } from "../../core/cleanup.js";
import { shQuote } from "../../core/envfile.js";
import { PartialRefusalError } from "../../core/errors.js";
import { mainWorktreePath } from "../../core/resolve.js";
import type { Io } from "../io.js";
import { formatError } from "../report.js";

/**
 * The options of `wt cleanup`, as commander parses them: the core's own, without the ids
 * (commander's argument), `hooks` false only for an explicit `--no-hooks`.
 */
export type CleanupCommandOptions = Omit<CleanupOptions, "ids"> & { hooks: boolean };

/** `wt cleanup <id>... | --merged | --all`. */
export async function cleanupCommand(io: Io, ids: string[], opts: CleanupCommandOptions): Promise<void> {
  // Found before the worktree the shell may stand in is gone.
  const main = await mainWorktreePath(io.ctx);
  const { result, refused } = await cleanupOrRefused(io, {
    ids,
    merged: opts.merged === true,
    all: opts.all === true,
    force: opts.force === true,
    reap: opts.reap === true,
    keepBranch: opts.keepBranch === true,
    deleteBranch: opts.deleteBranch === true,
    dryRun: opts.dryRun === true,
    hooks: opts.hooks !== false,
  });
  const error = refused ? { code: refused.code, message: refused.message, hint: refused.hint, ...refused.details } : {};
  if (io.globals.json) io.out(`${JSON.stringify({ ...result, ...(refused ? { error } : {}) }, null, 2)}\n`);
  // A lone refusal with nothing removed is said once, on stderr (as before issue 11).
  else if (!io.globals.quiet && !(refused && result.removed.length === 0 && result.skipped.length === 1)) {
    // The renderer and chalk load only for a person's summary, not for --json or -q.
    const { makeChalk, renderCleanup } = await import("../render.js");
    io.out(renderCleanup(result, makeChalk()));
  }
  if (!result.dryRun) await leaveRemovedFolder(io, result.removed, main);
  if (refused) {
    io.err(formatError(refused.message, refused.hint));
    process.exitCode = refused.exitCode;
  }
}

/**
 * The cleanup's document, also when named ids were refused (PartialRefusalError): then the
 * document is printed as usual, with `error` (the first refusal) in --json, and the exit code
 * is that refusal's (docs/contract.md).
 */
async function cleanupOrRefused(
  io: Io,
  options: CleanupOptions,
): Promise<{ result: CleanupResult; refused: PartialRefusalError<CleanupResult> | null }> {
  try {
    return { result: await cleanupWorktrees(io.ctx, options), refused: null };
  } catch (e) {
    if (!(e instanceof PartialRefusalError)) throw e;
    return { result: e.result as CleanupResult, refused: e as PartialRefusalError<CleanupResult> };
  }
}

/**
 * When the shell stands in a worktree this cleanup removed, moves it to the main worktree
 * (under the shell function), else says where to go: its folder is gone.
 */
async function leaveRemovedFolder(io: Io, removed: readonly { path: string }[], main: string): Promise<void> {
  const here = path.resolve(io.ctx.cwd);
  const gone = removed.find((w) => here === w.path || here.startsWith(`${w.path}${path.sep}`));
  if (!gone) return;
  const { writeCdFile } = await import("../shell.js");
  if (writeCdFile(io.ctx.env, main)) {
    io.verbose(`moving the shell to the main worktree ${main}`);
    return;
  }
  io.err(`note: this shell stood in ${gone.path}, which is gone: cd ${shQuote(main)}\n`);
}
