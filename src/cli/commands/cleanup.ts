import { cleanupWorktrees } from "../../core/cleanup.js";
import type { Io } from "../io.js";
import { makeChalk, renderCleanup } from "../render.js";

/**
 * The options of `wt cleanup`, as commander parses them (`hooks` is false only for an explicit
 * `--no-hooks`).
 */
export interface CleanupCommandOptions {
  merged?: boolean;
  all?: boolean;
  force?: boolean;
  keepBranch?: boolean;
  deleteBranch?: boolean;
  dryRun?: boolean;
  hooks: boolean;
}

/** `wt cleanup <id>... | --merged | --all`. */
export async function cleanupCommand(io: Io, ids: string[], opts: CleanupCommandOptions): Promise<void> {
  const result = await cleanupWorktrees(io.ctx, {
    ids,
    merged: opts.merged === true,
    all: opts.all === true,
    force: opts.force === true,
    keepBranch: opts.keepBranch === true,
    deleteBranch: opts.deleteBranch === true,
    dryRun: opts.dryRun === true,
    hooks: opts.hooks !== false,
  });
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (!io.globals.quiet) io.out(renderCleanup(result, makeChalk()));
}
