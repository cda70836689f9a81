import type { Command } from "commander";
import { interruptible, withIo } from "./program-kit.js";

/** The pool's commands: `wt release`, `wt pool fill | status | drain` (docs/contract.md, "Worktree pool"). */
export function addPoolCommands(program: Command): void {
  program
    .command("release")
    .description("give a worktree claimed from the pool back: refuses uncommitted work, keeps an unmerged branch")
    .argument("<id>")
    .option("--reap", "stop its live processes (SIGTERM, then SIGKILL) instead of refusing")
    .option("--force", "leave its live processes running (never overrides uncommitted work)")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (id: string, opts: { dryRun?: boolean; reap?: boolean; force?: boolean }) => {
      const controller = interruptible({ err: () => {} });
      const { releaseCommand } = await import("./commands/release.js");
      await withIo(program, (io) => releaseCommand(io, id, opts), controller.signal);
    });
  const pool = program.command("pool").description("the pool of warm, idle worktrees that `wt create --pool` claims");
  pool
    .command("fill")
    .description("top the pool up to pool.size (or <n>) idle slots at the base, warmed by pool.warm")
    .argument("[n]", "how many idle slots to keep")
    .option("--background", "fill in a detached process and return at once")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (n: string | undefined, opts: { background?: boolean; dryRun?: boolean }) => {
      const controller = interruptible({ err: () => {} });
      const { poolFillCommand } = await import("./commands/pool.js");
      await withIo(program, (io) => poolFillCommand(io, n, opts), controller.signal);
    });
  pool
    .command("status")
    .description("every slot: idle, claimed, stale or damaged")
    .action(async () => {
      const { poolStatusCommand } = await import("./commands/pool.js");
      await withIo(program, (io) => poolStatusCommand(io));
    });
  pool
    .command("drain")
    .description("remove the idle slots (never a claimed one)")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (opts: { dryRun?: boolean }) => {
      const controller = interruptible({ err: () => {} });
      const { poolDrainCommand } = await import("./commands/pool.js");
      await withIo(program, (io) => poolDrainCommand(io, opts), controller.signal);
    });
}
