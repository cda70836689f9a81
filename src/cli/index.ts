import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { CleanupCommandOptions } from "./commands/cleanup.js";
import type { CreateCommandOptions } from "./commands/create.js";
import type { EnvCommandOptions } from "./commands/env.js";
import type { GlobalOptions, Io } from "./io.js";

/**
 * The `wt` program. Only commander is imported up front; each action imports its command
 * module on demand so `wt --help` and `wt path 101` start fast.
 */

/** The package version, read from package.json (one small file, no import). */
function version(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
}

/** The `Io` of a command run through commander (io.ts is loaded only then: `wt --version` never needs it). */
async function makeIo(program: Command, signal?: AbortSignal): Promise<Io> {
  const { ioFor } = await import("./io.js");
  return ioFor(program.opts<GlobalOptions>(), signal);
}

/**
 * Ctrl-C and SIGTERM abort the running command, which rolls back and exits 130. A second
 * signal does not stop the rollback.
 */
function interruptible(io: { err: (t: string) => void }): AbortController {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      process.stderr.write(`\n${sig}: stopping and rolling back what this run made…\n`);
      controller.abort(sig);
    } else {
      process.stderr.write("still rolling back; wt exits when it is done\n");
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  void io;
  return controller;
}

/** Builds the commander program (commander is imported here, not at start-up). */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one declaration per command; split it into commands/*.ts once the shell-integration work on src/cli lands (issue 10)
export async function buildProgram(): Promise<Command> {
  const { Command, Option } = await import("commander");
  const program = new Command();
  program
    .name("wt")
    .description(
      "One isolated git worktree per issue: branch, folder, ports, included files, env file and databases, and a cleanup that never loses work.",
    )
    .version(version(), "--version", "print the version")
    .option("-C <dir>", "run as if wt was started in <dir>")
    .option("--json", "print one JSON document on stdout (errors too)")
    .option("-q, --quiet", "print only the essential result (create: the path)")
    .option("--verbose", "print each step on stderr")
    .showHelpAfterError("(run `wt --help` for usage)")
    .configureHelp({ sortSubcommands: false })
    .exitOverride();

  program
    .command("create")
    .description("create (or check and complete) the worktree of <id>")
    .argument("<id>", "issue id or name: 101, auth-fix")
    .option("--base <ref>", "commit-ish the new branch starts from (default: origin/<default branch>)")
    .option("--branch <name>", "branch name (default from the `branch` template: feature/issue-101)")
    .option("--no-fetch", "do not fetch the base's remote first")
    .option("--no-hooks", "do not run commands from the repository (postCreate hooks, databases[].init)")
    .option("--pool", "claim an idle pool slot (wt pool fill) instead of a checkout")
    .option("--dry-run", "print the plan and change nothing")
    .addHelpText(
      "after",
      '\nExamples:\n  wt create 101\n  wt create auth-fix --base develop\n  cd "$(wt create 101 -q)"',
    )
    .action(async (id: string, opts: CreateCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { createCommand } = await import("./commands/create.js");
      await createCommand(io, id, opts);
    });

  program
    .command("status")
    .description("show every worktree: state, changes, ahead/behind, ports and databases")
    .argument("[id...]", "only these worktrees")
    .action(async (ids: string[]) => {
      const io = await makeIo(program);
      const { statusCommand } = await import("./commands/status.js");
      await statusCommand(io, ids);
    });

  program
    .command("cleanup")
    .description("remove worktrees safely: refuses uncommitted work, keeps unmerged branches")
    .argument("[id...]", "worktrees to remove")
    .option("--merged", "every managed worktree whose branch is merged into its base")
    .option("--all", "every managed worktree")
    .option(
      "--force",
      "remove despite uncommitted changes, submodule work, files cleanup.protect names, a lock or a failing preCleanup hook",
    )
    .option("--keep-branch", "never delete the branch")
    .option("--delete-branch", "delete the branch even when it is not merged")
    .option("--no-hooks", "do not run preCleanup/postCleanup hooks")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (ids: string[], opts: CleanupCommandOptions) => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { cleanupCommand } = await import("./commands/cleanup.js");
      await cleanupCommand(io, ids, opts);
    });

  program
    .command("release")
    .description("give a worktree claimed from the pool back: refuses uncommitted work, keeps an unmerged branch")
    .argument("<id>")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (id: string, opts: { dryRun?: boolean }) => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { releaseCommand } = await import("./commands/release.js");
      await releaseCommand(io, id, opts);
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
      const io = await makeIo(program, controller.signal);
      const { poolFillCommand } = await import("./commands/pool.js");
      await poolFillCommand(io, n, opts);
    });
  pool
    .command("status")
    .description("every slot: idle, claimed, stale or damaged")
    .action(async () => {
      const io = await makeIo(program);
      const { poolStatusCommand } = await import("./commands/pool.js");
      await poolStatusCommand(io);
    });
  pool
    .command("drain")
    .description("remove the idle slots (never a claimed one)")
    .option("--dry-run", "print the plan and change nothing")
    .action(async (opts: { dryRun?: boolean }) => {
      const controller = interruptible({ err: () => {} });
      const io = await makeIo(program, controller.signal);
      const { poolDrainCommand } = await import("./commands/pool.js");
      await poolDrainCommand(io, opts);
    });

  program
    .command("path")
    .description("print the absolute folder of <id>'s worktree")
    .argument("<id>")
    .addHelpText("after", '\nExample:\n  cd "$(wt path 101)"')
    .action(async (id: string) => {
      const io = await makeIo(program);
      const { pathCommand } = await import("./commands/path.js");
      await pathCommand(io, id);
    });

  program
    .command("env")
    .description("print <id>'s variables (WT_*, ports, databases)")
    .argument("<id>")
    .addOption(new Option("--format <format>", "output format").choices(["sh", "dotenv", "json", "fish"]).default("sh"))
    .addHelpText("after", '\nExamples:\n  eval "$(wt env 101)"\n  wt env 101 --format fish | source')
    .action(async (id: string, opts: EnvCommandOptions) => {
      const io = await makeIo(program);
      const { envCommand } = await import("./commands/env.js");
      await envCommand(io, id, opts.format);
    });

  program
    .command("run")
    .description("run a command in <id>'s worktree with its variables; exits with its exit code")
    .argument("<id>")
    .argument("<command...>", "the command and its arguments, after --")
    .addHelpText("after", "\nExample:\n  wt run 101 -- npm run dev")
    .action(async (id: string, command: string[]) => {
      const io = await makeIo(program);
      const { runCommand } = await import("./commands/run.js");
      await runCommand(io, id, command);
    });

  return program;
}

/**
 * Entry point of the `wt` binary: parses argv, runs the command, sets the exit code.
 * `wt --version`, `wt --help`, `wt path <id>` and plain `wt status [<id>...] [--json]` answer
 * without loading commander: shell prompts and agents call them in hot loops (README, Performance).
 */
export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && args[0] === "--version") {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    const cached = cachedHelp();
    if (cached !== null) {
      process.stdout.write(cached);
      return;
    }
  }
  if (args.length === 2 && args[0] === "path" && !(args[1] as string).startsWith("-")) {
    await fastPath(args[1] as string);
    return;
  }
  // `wt status [<id>...] [--json]`: agents poll it; nothing here needs commander's parser.
  if (args[0] === "status" && args.slice(1).every((a) => a === "--json" || !a.startsWith("-"))) {
    await fastStatus(args.slice(1));
    return;
  }
  const program = await buildProgram();
  // Before `--` only: `wt run 101 -- tool --json` does not ask wt for JSON.
  const end = argv.indexOf("--");
  const wantsJson = (end === -1 ? argv : argv.slice(0, end)).includes("--json");
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const { CommanderError } = await import("commander");
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      ) {
        process.exitCode = 0;
        return;
      }
      // commander has already printed its message on stderr.
      if (wantsJson) {
        process.stdout.write(
          `${JSON.stringify({ error: { code: "usage", message: error.message.replace(/^error: /, ""), hint: "run `wt --help` for usage" } })}\n`,
        );
      }
      process.exitCode = 2;
      return;
    }
    const { reportError } = await import("./report.js");
    process.exitCode = reportError(error, wantsJson);
  }
}

/** `wt --help` as the build wrote it (scripts/gen-help.mjs), or null when there is none. */
function cachedHelp(): string | null {
  try {
    return readFileSync(new URL("./help.txt", import.meta.url), "utf8");
  } catch {
    return null;
  }
}

async function fastStatus(args: string[]): Promise<void> {
  const json = args.includes("--json");
  try {
    const [{ statusCommand }, { ioFor }] = await Promise.all([import("./commands/status.js"), import("./io.js")]);
    await statusCommand(
      ioFor({ json }),
      args.filter((a) => a !== "--json"),
    );
  } catch (error) {
    const { reportError } = await import("./report.js");
    process.exitCode = reportError(error, json);
  }
}

async function fastPath(id: string): Promise<void> {
  try {
    const { worktreePath } = await import("../core/resolve.js");
    process.stdout.write(`${await worktreePath({ cwd: process.cwd(), env: process.env }, id)}\n`);
  } catch (error) {
    const { reportError } = await import("./report.js");
    process.exitCode = reportError(error, false);
  }
}
