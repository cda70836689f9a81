import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { codePath, packageVersion } from "../core/package-root.js";
import { requireCjs } from "../core/require-cjs.js";

/**
 * The `wt` program. Only commander is imported up front; each action imports its command
 * module on demand so `wt --help` and `wt path 101` start fast.
 */

const version = packageVersion;

/** Builds the commander program (commander is imported here, not at start-up). */
export async function buildProgram(): Promise<Command> {
  const { Command } = requireCjs("commander") as typeof import("commander");
  const program = new Command();
  program
    .name("wt")
    .description(
      "One isolated git worktree per issue: branch, folder, ports, included files, env file and databases, and a cleanup that never loses work.",
    )
    .version(version(), "--version", "print the version")
    .option("-C <dir>", "run as if wt was started in <dir>")
    .option("--json", "print one JSON document on stdout (errors too)")
    .option("-q, --quiet", "print only the essential result (create: the path; status: the ids)")
    .option("--verbose", "print each step, every git command, and how ids and files were found, on stderr")
    .option("--trust", "run the repository's commands (hooks, databases[].init) this once without asking")
    .configureHelp({ sortSubcommands: false })
    // Errors are printed by main() in wt's one style (`wt: ...` + `hint: ...`), not commander's.
    .configureOutput({ outputError: () => {} })
    .helpCommand(false)
    .exitOverride();
  const { addWorktreeCommands } = await import("./program-worktrees.js");
  await addWorktreeCommands(program);
  const { addPoolCommands } = await import("./program-pool.js");
  addPoolCommands(program);
  await addShellCommands(program);
  const { addAgentCommands } = await import("./program-agents.js");
  await addAgentCommands(program);
  return program;
}

/** program-kit's `withIo`, imported when a command runs (the entry imports nothing of wt's work). */
async function withIoLazy(...args: Parameters<typeof import("./program-kit.js").withIo>): Promise<void> {
  const { withIo } = await import("./program-kit.js");
  await withIo(...args);
}

async function addShellCommands(program: Command): Promise<void> {
  const { Argument, Option } = requireCjs("commander") as typeof import("commander");
  const shells = ["bash", "zsh", "fish"];
  program
    .command("cd")
    .description("move the shell into <id>'s worktree (no id: the main worktree); needs the shell function")
    .argument("[id]", "id or folder name")
    .addHelpText("after", '\nSet up once: wt shell install\nWithout it:  cd "$(wt cd 101)"')
    .action(async (id: string | undefined) => {
      const { cdCommand } = await import("./commands/cd.js");
      await withIoLazy(program, (io) => cdCommand(io, id));
    });

  program
    .command("shell")
    .description("add (install) or remove (uninstall) the line that loads wt's shell function in your rc file")
    .addArgument(new Argument("<action>").choices(["install", "uninstall"]))
    .addOption(new Option("--shell <shell>", "bash, zsh or fish (default: from $SHELL)").choices(shells))
    .action(async (action: "install" | "uninstall", opts: { shell?: string }) => {
      const { shellCommand } = await import("./commands/shell.js");
      await withIoLazy(program, (io) => shellCommand(io, action, opts.shell));
    });

  program
    .command("shell-init")
    .description('print the shell function (and completions): eval "$(wt shell-init bash)"')
    .addArgument(new Argument("<shell>").choices(shells))
    .action(async (shell: string) => {
      process.stdout.write(await shellScript("shell-init", shell));
    });

  program
    .command("completion")
    .description('print the completion script: eval "$(wt completion bash)"')
    .addArgument(new Argument("<shell>").choices(shells))
    .action(async (shell: string) => {
      process.stdout.write(await shellScript("completion", shell));
    });

  program
    .command("help")
    .description("help on a command, or a topic: config, exit-codes, shell")
    .argument("[topic]", "a command or config | exit-codes | shell")
    .action(async (topic: string | undefined) => {
      const { HELP_TOPICS } = await import("./help-topics.js");
      const page = topic === undefined ? undefined : HELP_TOPICS[topic];
      if (page !== undefined) {
        process.stdout.write(page);
        return;
      }
      const sub = program.commands.find((c) => c.name() === topic || c.aliases().includes(topic ?? ""));
      if (topic !== undefined && !sub) {
        const { UsageError } = await import("../core/errors.js");
        throw new UsageError(
          `no command or help topic '${topic}'`,
          "run `wt help` for commands; topics: config, exit-codes, shell",
        );
      }
      process.stdout.write((sub ?? program).helpInformation());
    });

  program
    .command("__complete", { hidden: true })
    .argument("<what>")
    .action(async (what: string) => {
      await completeWords(what);
    });
}

/**
 * Entry point of the `wt` binary: parses argv, runs the command, sets the exit code.
 * `wt --version`, `wt --help`, `wt path <id>`, plain `wt status [<id>...] [--json]`,
 * `wt __complete ids`, `wt completion <shell>` and plain `wt create|release|cleanup` lines
 * (fast-verbs.ts) answer without loading commander: shell
 * prompts, completion and agents call them in hot loops (README, Performance).
 */
export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  // A function of another wt version (an upgrade since the shell started): refresh the cached
  // script new shells source (shell-cache.ts); this shell keeps its function.
  const underFunction = process.env.WT_SHELL_VERSION;
  if (underFunction && isShellName(process.env.WT_SHELL) && underFunction !== version()) {
    const shell = process.env.WT_SHELL as "bash" | "zsh" | "fish";
    const [{ builtShellInit }, { writeShellCache }] = await Promise.all([
      import("./shell-script.js"),
      import("./shell-cache.js"),
    ]);
    const script = builtShellInit(shell);
    if (script !== null) writeShellCache(shell, process.env, script, true);
  }
  const args = argv.slice(2);
  if (args.length === 1 && args[0] === "--version") {
    process.stdout.write(`${version()}\n`);
    return;
  }
  // `wt` alone and `wt help` are asking for help: on stdout, exit 0.
  if (args.length === 0 || (args.length === 1 && ["--help", "-h", "help"].includes(args[0] as string))) {
    const cached = cachedHelp();
    if (cached !== null) {
      process.stdout.write(cached);
      return;
    }
    if (args.length === 0) args.push("--help");
  }
  if (args.length === 2 && args[0] === "path" && !(args[1] as string).startsWith("-")) {
    await fastPath(args[1] as string);
    return;
  }
  if (args.length === 2 && args[0] === "__complete") {
    await completeWords(args[1] as string);
    return;
  }
  if (args.length === 2 && (args[0] === "completion" || args[0] === "shell-init") && isShellName(args[1])) {
    process.stdout.write(await shellScript(args[0], args[1] as string));
    return;
  }
  // `wt status [<id>...] [--json]`: agents poll it; nothing here needs commander's parser.
  if (STATUS_NAMES.includes(args[0] as string) && args.slice(1).every((a) => a === "--json" || !a.startsWith("-"))) {
    await fastStatus(args.slice(1));
    return;
  }
  await startEarlyReadsFor(args[0]);
  // `wt create|release|cleanup` with plain arguments: no commander (fast-verbs.ts).
  const { parseFastLine, runFastLine } = await import("./fast-verbs.js");
  const fast = parseFastLine(args);
  if (fast) {
    await runFastLine(fast);
    return;
  }
  const program = await buildProgram();
  // Before `--` only: `wt run 101 -- tool --json` does not ask wt for JSON.
  const end = args.indexOf("--");
  const wantsJson = (end === -1 ? args : args.slice(0, end)).includes("--json");
  try {
    await program.parseAsync([...argv.slice(0, 2), ...args]);
  } catch (error) {
    process.exitCode = await reportFailure(error, wantsJson, args);
  }
}

const STATUS_NAMES = ["status", "ls", "list"];

function isShellName(name: string | undefined): boolean {
  return name === "bash" || name === "zsh" || name === "fish";
}

/**
 * A reader that went away (`wt create --help | head -1`) is no error: stop writing to it,
 * quietly, and let the command finish (a create half done must still roll forward or back).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}

/** The exit code of a failed command; commander's own errors are printed in wt's style (exit 2). */
async function reportFailure(error: unknown, wantsJson: boolean, args: string[]): Promise<number> {
  const { CommanderError } = requireCjs("commander") as typeof import("commander");
  const { formatError, reportError } = await import("./report.js");
  if (!(error instanceof CommanderError)) return reportError(error, wantsJson);
  if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code)) return 0;
  const message = error.message.replace(/^error: /, "");
  const sub = args.find((a) => !a.startsWith("-"));
  const known = sub !== undefined && error.code !== "commander.unknownCommand";
  const hint = known ? `run \`wt ${sub} --help\` for its usage` : "run `wt --help` for usage";
  if (wantsJson) process.stdout.write(`${JSON.stringify({ error: { code: "usage", message, hint } })}\n`);
  process.stderr.write(formatError(message, hint));
  return 2;
}

/**
 * `wt completion <shell>` / `wt shell-init <shell>`: the script the build generated from the
 * program (dist/cli/completion.<shell>), or one generated now when running from the sources.
 * `wt shell-init` also refreshes the shell's cached script when there is one (shell-cache.ts).
 */
async function shellScript(kind: "completion" | "shell-init", shell: string): Promise<string> {
  const { builtCompletion } = await import("./shell-script.js");
  let completion = builtCompletion(shell);
  if (completion === null) {
    const gen = await import("./completion.js");
    const spec = gen.completionSpec(await buildProgram());
    completion =
      shell === "fish"
        ? gen.fishCompletion(spec)
        : shell === "zsh"
          ? gen.zshCompletion(spec)
          : gen.bashCompletion(spec);
  }
  if (kind === "completion") return completion;
  const { shellInitScript } = await import("./shell-init.js");
  const script = shellInitScript(shell as "bash" | "zsh" | "fish", completion, version());
  const { writeShellCache } = await import("./shell-cache.js");
  writeShellCache(shell as "bash" | "zsh" | "fish", process.env, script, true);
  return script;
}

/** `wt __complete ids|shells`: candidates one a line, from wt's records only (no git); nothing on any error. */
async function completeWords(what: string): Promise<void> {
  try {
    if (what === "shells") {
      process.stdout.write("bash\nzsh\nfish\n");
      return;
    }
    if (what !== "ids") return;
    const { managedIds } = await import("../core/resolve.js");
    const ids = await managedIds({ cwd: process.cwd(), env: process.env });
    process.stdout.write(ids.map((r) => `${r.id}\n`).join(""));
  } catch {
    // A completion never prints an error into the user's command line.
  }
}

/** `wt --help` as the build wrote it (scripts/gen-help.mjs), or null when there is none. */
function cachedHelp(): string | null {
  try {
    return readFileSync(codePath("cli", "help.txt"), "utf8");
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

/**
 * The first git reads of a create, release or cleanup started while its code loads
 * (git/early.ts); a verb given `-C` (args[0] an option) reads elsewhere and starts none.
 */
async function startEarlyReadsFor(verb: string | undefined): Promise<void> {
  const scope =
    verb === "create" || verb === "new" ? "create" : EARLY_REPOSITORY.includes(verb ?? "") ? "repository" : null;
  if (scope === null) return;
  try {
    // Loaded before the verb's own code, not beside it: its chunk would otherwise wait
    // for the large one to compile, and the reads would start no sooner.
    const { startEarlyReads } = await import("../git/early.js");
    startEarlyReads(process.cwd(), process.env, scope).catch(() => {
      // Only a head start: the verb runs its reads itself.
    });
  } catch {
    // Same: a folder that is gone, say, is for the verb to report.
  }
}

const EARLY_REPOSITORY = ["release", "cleanup", "rm", "remove"];
