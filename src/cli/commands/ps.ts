import { listWorktreeProcesses } from "../../core/ps.js";
import type { Io } from "../io.js";
import { renderPs } from "../render-checks.js";

/** `wt ps [<id>...]`: the processes of each worktree, as a list, their pids alone (-q), or the JSON document. */
export async function psCommand(io: Io, ids: string[]): Promise<void> {
  const result = await listWorktreeProcesses(io.ctx, ids);
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  // -q: the process ids alone, one a line (`kill $(wt ps -q 101)`).
  else if (io.globals.quiet) io.out(result.worktrees.flatMap((w) => w.processes.map((p) => `${p.pid}\n`)).join(""));
  else io.out(renderPs(result));
}
