import { mainWorktreePath, worktreePath } from "../../core/resolve.js";
import type { Io } from "../io.js";
import { shellHint, writeCdFile } from "../shell.js";

/**
 * `wt cd [<id>]` (no id: the main worktree). Under the shell function the path goes into the
 * cd file and the shell moves; without it the path is printed on stdout (`cd "$(wt cd 101)"`)
 * with one hint on stderr saying how to get the function.
 */
export async function cdCommand(io: Io, id: string | undefined): Promise<void> {
  const folder = id === undefined ? await mainWorktreePath(io.ctx) : await worktreePath(io.ctx, id);
  if (io.globals.json) {
    io.out(`${JSON.stringify({ id: id ?? null, path: folder })}\n`);
    return;
  }
  const hint = io.globals.quiet ? null : shellHint(io.ctx.env, io.globals.verbose === true);
  if (writeCdFile(io.ctx.env, folder)) {
    io.verbose(`moving the shell to ${folder}`);
    if (hint) io.err(`hint: ${hint}\n`);
    return;
  }
  io.out(`${folder}\n`);
  if (hint) io.err(`hint: ${hint}\n`);
}
