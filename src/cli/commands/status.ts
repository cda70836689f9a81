import { realpathSync } from "node:fs";
import path from "node:path";
import { getStatus, type StatusResult } from "../../core/status.js";
import type { Io } from "../io.js";

/** The options of `wt status`. */
export interface StatusCommandOptions {
  wide?: boolean;
}

/**
 * `wt status [<id>...]`: a table that fits the terminal (full rows when piped or `--wide`),
 * the ids alone with `-q`, or the JSON document (which needs no table renderer).
 */
export async function statusCommand(io: Io, ids: string[], opts: StatusCommandOptions = {}): Promise<void> {
  const result = await getStatus(io.ctx, ids);
  if (io.globals.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const { makeChalk, renderStatus, renderStatusIds } = await import("../render.js");
  if (io.globals.quiet) {
    io.out(renderStatusIds(result));
    return;
  }
  const width = opts.wide || !process.stdout.isTTY ? null : process.stdout.columns || 80;
  const current = currentRow(result, io.ctx.cwd);
  io.verbose(
    `${width === null ? "full rows (piped or --wide)" : `fitted to ${width} columns`}; marked *: ${current ?? "none (this folder is in no worktree)"}`,
  );
  io.out(renderStatus(result, makeChalk(), { width, current }));
}

/** The row whose worktree holds `cwd` (the deepest one: a worktree may sit inside the main one). */
function currentRow(result: StatusResult, cwd: string): string | null {
  let here: string;
  try {
    here = realpathSync(cwd);
  } catch {
    return null;
  }
  let best: string | null = null;
  for (const row of result.worktrees) {
    const inside =
      here === row.path || here.startsWith(row.path.endsWith(path.sep) ? row.path : `${row.path}${path.sep}`);
    if (inside && (best === null || row.path.length > best.length)) best = row.path;
  }
  return best;
}
