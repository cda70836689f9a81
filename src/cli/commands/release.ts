import { releaseWorktree } from "../../core/pool/release.js";
import type { Io } from "../io.js";

/** `wt release <id>`: gives a claimed pool worktree back. */
export async function releaseCommand(
  io: Io,
  id: string,
  opts: { dryRun?: boolean; reap?: boolean; force?: boolean },
): Promise<void> {
  const r = await releaseWorktree(io.ctx, {
    id,
    dryRun: opts.dryRun === true,
    reap: opts.reap === true,
    force: opts.force === true,
  });
  if (io.globals.json) io.out(`${JSON.stringify(r, null, 2)}\n`);
  else if (!io.globals.quiet) {
    const plan = r.plan ? `${r.plan.map((t) => `would: ${t}`).join("\n")}\n` : "";
    // branchKept null: deleted, or (--dry-run) to be deleted.
    const branch = r.branchDeleted
      ? `branch ${r.branch} deleted`
      : r.branchKept === null
        ? `branch ${r.branch} would be deleted (integrated)`
        : `branch ${r.branch} kept (${r.branchKept})`;
    io.out(
      `${plan}${r.dryRun ? "would release" : "released"} ${r.id}: ${r.slot ? `back in the pool at ${r.slot}` : "removed (the pool is full)"}; ${branch}\n`,
    );
  }
}
