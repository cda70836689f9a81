import type { Command } from "commander";
import { requireCjs } from "../core/require-cjs.js";
import type { ClaudeCommandOptions } from "./commands/claude.js";
import type { DoctorCommandOptions } from "./commands/doctor.js";
import type { TrustCommandOptions } from "./commands/trust.js";
import { interruptible, makeIo } from "./program-kit.js";

/** The commands for agents and repairs: `wt hook`, `wt claude`, `wt ps`, `wt doctor`. */
export async function addAgentCommands(program: Command): Promise<void> {
  addHookCommands(program);
  await addClaudeCommands(program);
  addRepairCommands(program);
  addTrustCommand(program);
}

/** `wt trust [--show | --revoke]`. */
function addTrustCommand(program: Command): void {
  program
    .command("trust")
    .description("trust this repository's commands (hooks, databases[].init) as they are now")
    .option("--show", "print the commands and whether they are trusted")
    .option("--revoke", "forget this repository's trust")
    .addHelpText("after", "\nExamples:\n  wt trust --show\n  wt trust\n  WT_TRUST=1 wt create 101   # CI")
    .action(async (opts: TrustCommandOptions) => {
      const io = await makeIo(program);
      const { trustCommand } = await import("./commands/trust.js");
      await trustCommand(io, opts);
    });
}

/** `wt hook claude-create|claude-remove` (hidden: Claude Code calls them). */
function addHookCommands(program: Command): void {
  const hook = program
    .command("hook", { hidden: true })
    .description("entry points for agents' hooks (stdin: the agent's JSON payload)");
  hook
    .command("claude-create")
    .description("Claude Code WorktreeCreate: create or find the worktree; stdout: its real path")
    .action(async () => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { hookClaudeCreateCommand } = await import("./commands/hook.js");
      await hookClaudeCreateCommand(io);
    });
  hook
    .command("claude-remove")
    .description("Claude Code WorktreeRemove: clean up the worktree at worktree_path (gone: exit 0)")
    .action(async () => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { hookClaudeRemoveCommand } = await import("./commands/hook.js");
      await hookClaudeRemoveCommand(io);
    });
}

/** `wt claude install|uninstall|status`. */
async function addClaudeCommands(program: Command): Promise<void> {
  const { Option } = requireCjs("commander") as typeof import("commander");
  const claude = program.command("claude").description("install wt as Claude Code's worktree hooks");
  const scope = () =>
    new Option(
      "--scope <scope>",
      "settings file: local (.claude/settings.local.json), project (.claude/settings.json), user (~/.claude/settings.json)",
    )
      .choices(["local", "project", "user"])
      .default("local");
  claude
    .command("install")
    .description("make Claude Code create and remove its worktrees through wt (WorktreeCreate/WorktreeRemove)")
    .addOption(scope())
    .option("--replace", "replace other WorktreeCreate/WorktreeRemove handlers of this scope instead of refusing")
    .option("--command <words>", "what starts wt in the hooks (default: this node and this wt, by absolute path)")
    .addHelpText("after", "\nExamples:\n  wt claude install\n  wt claude install --scope user")
    .action(async (opts: ClaudeCommandOptions) => {
      const io = await makeIo(program);
      const { claudeInstallCommand } = await import("./commands/claude.js");
      await claudeInstallCommand(io, opts);
    });
  claude
    .command("uninstall")
    .description("remove wt's hooks (only them) from Claude Code's settings")
    .addOption(scope())
    .action(async (opts: ClaudeCommandOptions) => {
      const io = await makeIo(program);
      const { claudeUninstallCommand } = await import("./commands/claude.js");
      await claudeUninstallCommand(io, opts);
    });
  claude
    .command("status")
    .description("show, per settings file, whether wt's hooks are installed and which handlers race them")
    .action(async () => {
      const io = await makeIo(program);
      const { claudeStatusCommand } = await import("./commands/claude.js");
      await claudeStatusCommand(io);
    });
}

/** `wt ps`, `wt doctor`. */
function addRepairCommands(program: Command): void {
  program
    .command("ps")
    .description(
      "list processes of worktrees: working directory inside, WT_MAIN+WT_ID in their environment, or on their ports",
    )
    .argument("[id...]", "only these worktrees")
    .action(async (ids: string[]) => {
      const io = await makeIo(program);
      const { psCommand } = await import("./commands/ps.js");
      await psCommand(io, ids);
    });

  program
    .command("doctor")
    .description("check records, folders and git's worktree list against each other; --fix repairs what loses nothing")
    .argument("[id...]", "only these worktrees")
    .option("--fix", "run the fixes that lose nothing (never deletes a folder that exists, never lifts a user's lock)")
    .option("--dry-run", "with --fix: show the fixes and change nothing")
    .action(async (ids: string[], opts: DoctorCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { doctorCommand } = await import("./commands/doctor.js");
      await doctorCommand(io, ids, opts);
    });
}
