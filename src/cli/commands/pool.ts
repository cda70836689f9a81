import { spawn } from "node:child_process";
import { UsageError } from "../../core/errors.js";
import { packagePath } from "../../core/package-root.js";
import type { PoolStatus } from "../../core/pool/fill.js";
import type { PoolChange } from "../../core/pool/verbs.js";
import { drainPool, fillPool, poolStatus } from "../../core/pool/verbs.js";
import type { Io } from "../io.js";

export interface PoolFillOptions {
  background?: boolean;
  dryRun?: boolean;
}

/** The slots as lines: state, head, path, and why. */
function renderSlots(r: PoolStatus): string {
  const lines = r.slots.map(
    (s) =>
      `${s.state.padEnd(8)} ${(s.head ?? "-").slice(0, 8).padEnd(8)} ${s.path}${s.reason ? `  (${s.reason})` : ""}`,
  );
  const idle = r.slots.filter((s) => s.state === "idle").length;
  return `pool: ${idle} idle of ${r.size}\n${lines.join("\n")}${lines.length > 0 ? "\n" : ""}`;
}

function print(io: Io, r: PoolStatus | PoolChange, listIdle = false): void {
  if (io.globals.json) io.out(`${JSON.stringify(r, null, 2)}\n`);
  // -q: `pool status` lists the idle slots' paths, one a line; fill and drain print nothing.
  else if (io.globals.quiet) {
    if (listIdle)
      io.out(
        r.slots
          .filter((s) => s.state === "idle")
          .map((s) => `${s.path}\n`)
          .join(""),
      );
  } else {
    const plan = "plan" in r && r.plan ? `${r.plan.map((t) => `would: ${t}`).join("\n")}\n` : "";
    io.out(plan + renderSlots(r));
  }
}

/** `wt pool fill [<n>] [--background]`. In the background: a detached `wt pool fill` that outlives this one. */
export async function poolFillCommand(io: Io, count: string | undefined, opts: PoolFillOptions): Promise<void> {
  const n = count === undefined ? undefined : Number(count);
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 100)) {
    throw new UsageError(
      `pool fill: <n> must be a whole number 0..100, not ${JSON.stringify(count)}`,
      "for example: wt pool fill 3",
    );
  }
  if (opts.background && !opts.dryRun) {
    const bin = packagePath("bin", "wt.js");
    const args = [bin, "-C", io.ctx.cwd, "pool", "fill", ...(count === undefined ? [] : [count])];
    const child = spawn(process.execPath, args, { detached: true, stdio: "ignore", env: { ...io.ctx.env } });
    child.unref();
    if (io.globals.json) io.out(`${JSON.stringify({ background: true, pid: child.pid ?? null })}\n`);
    else io.out(`filling the pool in the background (pid ${child.pid}); \`wt pool status\` shows it\n`);
    return;
  }
  print(io, await fillPool(io.ctx, { count: n, dryRun: opts.dryRun === true }));
}

/** `wt pool status`. */
export async function poolStatusCommand(io: Io): Promise<void> {
  print(io, await poolStatus(io.ctx), true);
}

/** `wt pool drain`. */
export async function poolDrainCommand(io: Io, opts: { dryRun?: boolean }): Promise<void> {
  print(io, await drainPool(io.ctx, { dryRun: opts.dryRun === true }));
}
