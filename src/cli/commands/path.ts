import { worktreePath } from "../../core/resolve.js";
import type { Io } from "../io.js";

/** `wt path [<id>]`: the folder alone, for `cd "$(wt path 101)"` (no id: the worktree you are in). */
export async function pathCommand(io: Io, id: string | undefined): Promise<void> {
  const folder = await worktreePath(io.ctx, id);
  io.out(io.globals.json ? `${JSON.stringify({ id: id ?? null, path: folder })}\n` : `${folder}\n`);
}
