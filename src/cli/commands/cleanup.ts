import path from "node:path";
import { cleanupWorktrees } from "../../core/cleanup.js";
import { shQuote } from "../../core/envfile.js";
import { mainWorktreePath } from "../../core/resolve.js";
import type { Io } from "../io.js";
import { makeChalk, renderCleanup } from "../render.js";
import { writeCdFile } from "../shell.js";

/**
 * The options of `wt cleanup`, as commander parses them (`hooks` is false only for an explicit
 * `--no-hooks`).
 */
export interface CleanupCommandOptions {
  merged?: boolean;
  all?: boolean;
  force?: boolean;
  reap?: boolean;
  keepBranch?: boolean;
  deleteBranch?: boolean;
  dryRun?: boolean;
  hooks: boolean;
}

/** `wt cleanup <id>... | --merged | --all`. */
export async function cleanupCommand(io: Io, ids: string[], opts: CleanupCommandOptions): Promise<void> {
  // Found before the worktree the shell may stand in is gone.
  const main = await mainWorktreePath(io.ctx);
  const result = await cleanupWorktrees(io.ctx, {
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
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (!io.globals.quiet) io.out(renderCleanup(result, makeChalk()));
  if (!result.dryRun) leaveRemovedFolder(io, result.removed, main);
}

/**
 * When the shell stands in a worktree this cleanup removed, moves it to the main worktree
 * (under the shell function), else says where to go: its folder is gone.
 */
function leaveRemovedFolder(io: Io, removed: readonly { path: string }[], main: string): void {
  const here = path.resolve(io.ctx.cwd);
  const gone = removed.find((w) => here === w.path || here.startsWith(`${w.path}${path.sep}`));
  if (!gone) return;
  if (writeCdFile(io.ctx.env, main)) {
    io.verbose(`moving the shell to the main worktree ${main}`);
    return;
  }
  io.err(`note: this shell stood in ${gone.path}, which is gone: cd ${shQuote(main)}\n`);
}
