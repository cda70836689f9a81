import type { WtContext } from "../context.js";
import type { Variables } from "../envfile.js";
import { runShellCommand } from "../hooks.js";
import type { Step } from "../steps/step.js";

/**
 * The hook lists of wt.config.json (`hooks.postCreate`, `hooks.preCleanup`, `hooks.postCleanup`)
 * and the pool's warm commands (`pool.warm`): all the repository's commands, one runner.
 */
export type HookPhase = "postCreate" | "preCleanup" | "postCleanup" | "poolWarm";

/**
 * One step per hook command of `phase`, run through the user's shell in `cwd` with the
 * caller's environment and the worktree's variables (`runShellCommand`); the first failure
 * stops the rest (the executor stops at a failing step).
 */
export function hookSteps(
  phase: HookPhase,
  commands: readonly string[],
  ctx: WtContext,
  where: { cwd: string; vars: Variables },
): Step[] {
  return commands.map((command) => ({
    kind: "hook",
    title: `run ${phase} hook: ${command}`,
    detail: { phase, command, cwd: where.cwd },
    run: () =>
      runShellCommand(command, {
        cwd: where.cwd,
        env: ctx.env,
        vars: where.vars,
        output: ctx.output ?? null,
        terminal: ctx.terminal,
        signal: ctx.signal,
        label: `${phase} hook`,
      }),
  }));
}
