import type { Command } from "commander";
import { requireCjs } from "../core/require-cjs.js";
import type { AdoptCommandOptions } from "./commands/adopt.js";
import type { CleanupCommandOptions } from "./commands/cleanup.js";
import type { CreateCommandOptions } from "./commands/create.js";
import type { EnvCommandOptions } from "./commands/env.js";
import type { InitCommandOptions } from "./commands/init.js";
import type { MergeCommandOptions } from "./commands/merge.js";
import type { StatusCommandOptions } from "./commands/status.js";
import { interruptible, makeIo, withIo } from "./program-kit.js";

/** The commands on worktrees: create, status, cleanup, adopt, merge, path, env, run, init (in `wt --help`'s order). */
export async function addWorktreeCommands(program: Command): Promise<void> {
  addLifecycleCommands(program);
  addAdoptCommand(program);
  addMergeCommand(program);
  await addLookupCommands(program);
}

/** `wt create`, `wt status`, `wt cleanup`. */
function addLifecycleCommands(program: Command): void {
  program
    .command("create")
    .alias("new")
    .description("create (or check and complete) the worktree of <id>; the shell function moves you into it")
    .argument("<id>", "issue id or name: 101, auth-fix")
    .option("--base <ref>", "commit-ish the new branch starts from (default: origin/<default branch>)")
    .option("--branch <name>", "branch name (default from the `branch` template: feature/issue-101)")
    .option("--no-fetch", "do not fetch the base's remote first")
    .option("--no-hooks", "do not run commands from the repository (postCreate hooks, databases[].init)")
    .option("--no-cd", "stay in this folder (the shell function otherwise moves the shell)")
    .option("--pool", "claim an idle pool slot (wt pool fill) instead of a checkout")
    .option("--dry-run", "print the plan and change nothing")
    .addHelpText(
      "after",
      '\nExamples:\n  wt create 101\n  wt create auth-fix --base develop\n  cd "$(wt create 101 -q)"',
    )
    .action(async (id: string, opts: CreateCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const { createCommand } = await import("./commands/create.js");
      await withIo(program, (io) => createCommand(io, id, opts), controller.signal);
    });

  program
    .command("status")
    .aliases(["ls", "list"])
    .description("show every worktree: state, changes, ahead/behind, ports and databases")
    .argument("[id...]", "only these worktrees")
    .option("--wide", "every column in full, whatever the terminal's width")
    .action(async (ids: string[], opts: StatusCommandOptions) => {
      const { statusCommand } = await import("./commands/status.js");
      await withIo(program, (io) => statusCommand(io, ids, opts));
    });

  program
    .command("cleanup")
    .aliases(["rm", "remove"])
    .description("remove worktrees safely: refuses uncommitted work, keeps unmerged branches")
    .argument("[id...]", "worktrees to remove")
    .option("--merged", "every managed worktree whose branch is merged into its base")
    .option("--all", "every managed worktree")
    .option(
      "--force",
      "remove despite uncommitted changes, submodule work, files cleanup.protect names, a lock, a failing preCleanup hook or live processes (left running)",
    )
    .option("--reap", "stop the worktree's live processes (SIGTERM, then SIGKILL) instead of refusing")
    .option("--keep-branch", "never delete the branch")
    .option("--delete-branch", "delete the branch even when it is not merged")
    .option("--no-hooks", "do not run preCleanup/postCleanup hooks")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (ids: string[], opts: CleanupCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const { cleanupCommand } = await import("./commands/cleanup.js");
      await withIo(program, (io) => cleanupCommand(io, ids, opts), controller.signal);
    });
}

/** `wt adopt`. */
function addAdoptCommand(program: Command): void {
  program
    .command("adopt")
    .description(
      "make a worktree made without wt (git worktree add, Claude Code, Codex, Cursor) a managed one: ports, env file, includes, databases; its branch and files stay as they are",
    )
    .argument("<path>", 'the worktree folder (relative or through a link is fine: "$PWD", "$CODEX_WORKTREE_PATH")')
    .option("--id <id>", "the id to give it (default: from the branch or the folder's name, see docs/contract.md)")
    .option("--no-hooks", "do not run commands from the repository (databases[].init)")
    .option("--dry-run", "print the plan and change nothing")
    .addHelpText(
      "after",
      '\nExamples:\n  wt adopt ../app-feature\n  wt adopt "$CODEX_WORKTREE_PATH" --id task-7\n  wt adopt "$PWD"',
    )
    .action(async (folder: string, opts: AdoptCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const { adoptCommand } = await import("./commands/adopt.js");
      await withIo(program, (io) => adoptCommand(io, folder, opts), controller.signal);
    });
}

/** `wt merge`. */
function addMergeCommand(program: Command): void {
  program
    .command("merge")
    .description(
      "merge worktrees' branches into the target one by one (--no-ff), stopping at a conflict; no worktree is left conflicted",
    )
    .argument("<id...>", "worktrees to merge, in this order")
    .option(
      "--into <branch>",
      "target branch (default: config merge.into, else the local branch of the base: origin/main -> main)",
    )
    .option("--ff-only", "refuse (exit 3) unless each branch is a fast-forward")
    .option("--squash", "one single-parent commit per branch instead of a merge commit")
    .option("--cleanup", "then run `wt cleanup` for every id merged in this run")
    .option("--continue-on-conflict", "skip a conflicting id and go on with the next (exit 3 at the end)")
    .option(
      "--verify <cmd>",
      "run <cmd> on the merged tree in a temporary worktree before the branch moves; failure: exit 6, nothing moves (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--no-hooks", "do not run config hooks.preMerge")
    .option("--dry-run", "compute every merge and print the steps; move nothing")
    .addHelpText(
      "after",
      '\nExamples:\n  wt merge 101 102 103\n  wt merge task-48 task-50 --cleanup\n  wt merge 101 --into develop --verify "npm test"',
    )
    .action(async (ids: string[], opts: MergeCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { mergeCommand } = await import("./commands/merge.js");
      await mergeCommand(io, ids, opts);
    });
}

/** `wt path`, `wt env`, `wt run`, `wt init`. */
async function addLookupCommands(program: Command): Promise<void> {
  const { Option } = requireCjs("commander") as typeof import("commander");
  program
    .command("path")
    .description("print the absolute folder of <id>'s worktree (exit 3 when it is gone)")
    .argument("[id]", "id or folder name (issue-101); default: the worktree you are in")
    .addHelpText("after", '\nExample:\n  cd "$(wt path 101)"')
    .action(async (id: string | undefined) => {
      const { pathCommand } = await import("./commands/path.js");
      await withIo(program, (io) => pathCommand(io, id));
    });

  program
    .command("env")
    .description("print <id>'s variables (WT_*, ports, databases)")
    .argument("[id]", "id or folder name; default: the worktree you are in")
    .addOption(new Option("--format <format>", "output format").choices(["sh", "dotenv", "json", "fish"]).default("sh"))
    .addHelpText("after", '\nExamples:\n  eval "$(wt env 101)"\n  wt env 101 --format fish | source')
    .action(async (id: string | undefined, opts: EnvCommandOptions) => {
      const { envCommand } = await import("./commands/env.js");
      await withIo(program, (io) => envCommand(io, id, opts.format));
    });

  program
    .command("run")
    .description("run a command in <id>'s worktree with its variables; exits with its exit code")
    .argument("<id>", "id or folder name; `.` is the worktree you are in")
    .argument("[command...]", "the command and its arguments, after --")
    .addHelpText("after", "\nExamples:\n  wt run 101 -- npm run dev\n  wt run . -- npm test      (inside a worktree)")
    .action(async (id: string, command: string[]) => {
      // `wt run -- 101 cmd` has always meant id 101, so the id cannot simply be left out: `.`
      // stands for the worktree the current folder is in.
      const { runCommand } = await import("./commands/run.js");
      await withIo(program, (io) => runCommand(io, id === "." ? undefined : id, command));
    });

  program
    .command("init")
    .description("write a commented wt.config.json and a .worktreeinclude from what the repository has")
    .option("--dry-run", "print both files and write nothing")
    .action(async (opts: InitCommandOptions) => {
      const { initCommand } = await import("./commands/init.js");
      await withIo(program, (io) => initCommand(io, opts));
    });
}
