import { type MergeOptions, mergeWorktrees } from "../../core/merge.js";
import type { Io } from "../io.js";
import { makeChalk, renderMerge } from "../render.js";

/** The options of `wt merge`, as commander parses them: the core's own without the ids (`hooks` is false only for `--no-hooks`). */
export type MergeCommandOptions = Omit<MergeOptions, "ids"> & { hooks: boolean };

/**
 * `wt merge <id>...`. Exit 3 when the run stopped at a conflict, or skipped one with
 * --continue-on-conflict: what merged before it stays merged, and the document says so.
 */
export async function mergeCommand(io: Io, ids: string[], opts: MergeCommandOptions): Promise<void> {
  const result = await mergeWorktrees(io.ctx, {
    ids,
    into: opts.into,
    ffOnly: opts.ffOnly === true,
    squash: opts.squash === true,
    cleanup: opts.cleanup === true,
    continueOnConflict: opts.continueOnConflict === true,
    dryRun: opts.dryRun === true,
    verify: opts.verify ?? [],
    hooks: opts.hooks !== false,
  });
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (!io.globals.quiet) io.out(renderMerge(result, makeChalk()));
  if (result.conflict !== null || result.skipped.some((s) => s.reason === "conflict")) process.exitCode = 3;
}
