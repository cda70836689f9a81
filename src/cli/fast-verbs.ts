import type { GlobalOptions, Io } from "./io.js";

/**
 * `wt create`, `wt release` and `wt cleanup` with plain arguments, run without commander:
 * orchestrators call them in loops, and loading commander and building the whole program
 * tree costs ~40 ms of a create (issue 12). Anything this parser does not know for certain
 * (help, `--`, `--x=`, a short option other than -q, an unknown flag, a value that starts
 * with `-`, a missing or extra argument) returns null, and commander parses the line as
 * before, with its own errors. test/unit/fast-verbs.test.ts checks every verb against
 * commander's parse of the same line and against the options commander declares.
 */

/** One verb's options: flag -> [option key, value]; `values`: flag -> option key of `--flag <value>`. */
export interface FastVerbSpec {
  names: string[];
  /** How many operands: exactly one id, or any number of them. */
  operands: "one" | "many";
  flags: Record<string, [string, boolean]>;
  values: Record<string, string>;
  /** commander's defaults for `--no-x` options (true unless the flag is given). */
  defaults: Record<string, boolean>;
}

export const FAST_VERBS: FastVerbSpec[] = [
  {
    names: ["create", "new"],
    operands: "one",
    flags: {
      "--no-fetch": ["fetch", false],
      "--no-hooks": ["hooks", false],
      "--no-cd": ["cd", false],
      "--pool": ["pool", true],
      "--dry-run": ["dryRun", true],
    },
    values: { "--base": "base", "--branch": "branch" },
    defaults: { fetch: true, hooks: true, cd: true },
  },
  {
    names: ["release"],
    operands: "one",
    flags: { "--reap": ["reap", true], "--force": ["force", true], "--dry-run": ["dryRun", true] },
    values: {},
    defaults: {},
  },
  {
    names: ["cleanup", "rm", "remove"],
    operands: "many",
    flags: {
      "--merged": ["merged", true],
      "--all": ["all", true],
      "--force": ["force", true],
      "--reap": ["reap", true],
      "--keep-branch": ["keepBranch", true],
      "--delete-branch": ["deleteBranch", true],
      "--no-hooks": ["hooks", false],
      "--dry-run": ["dryRun", true],
    },
    values: {},
    defaults: { hooks: true },
  },
];

const GLOBAL_FLAGS: Record<string, keyof GlobalOptions> = {
  "--json": "json",
  "-q": "quiet",
  "--quiet": "quiet",
  "--verbose": "verbose",
  "--trust": "trust",
};

/** A line parsed as commander would: the verb's spec, its globals, operands and options. */
export interface FastLine {
  spec: FastVerbSpec;
  globals: GlobalOptions;
  operands: string[];
  opts: Record<string, unknown>;
}

/**
 * Parses `args` (argv after the script) when it is a plain line of a fast verb, else null.
 * Globals may come before or after the verb, as commander allows.
 */
export function parseFastLine(args: string[]): FastLine | null {
  const at = args.findIndex((a) => !a.startsWith("-"));
  const verb = args[at];
  // Only value-less globals before the verb: `-C <dir> create` goes to commander.
  if (at > 0 && args.slice(0, at).some((a) => !Object.hasOwn(GLOBAL_FLAGS, a))) return null;
  const spec = FAST_VERBS.find((s) => s.names.includes(verb ?? ""));
  if (!spec) return null;
  const globals: GlobalOptions = {};
  const opts: Record<string, unknown> = { ...spec.defaults };
  const operands: string[] = [];
  const rest = [...args.slice(0, at), ...args.slice(at + 1)];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const value = rest[i + 1];
    // Own keys only: an id such as `constructor` is an operand, not Object.prototype's.
    if (Object.hasOwn(GLOBAL_FLAGS, a)) globals[GLOBAL_FLAGS[a] as "json"] = true;
    else if (Object.hasOwn(spec.flags, a)) {
      const [key, v] = spec.flags[a] as [string, boolean];
      opts[key] = v;
    } else if (
      (Object.hasOwn(spec.values, a) || a === "-C") &&
      value !== undefined &&
      value !== "" &&
      !value.startsWith("-")
    ) {
      if (a === "-C") globals.C = value;
      else opts[spec.values[a] as string] = value;
      i++;
    } else if (!a.startsWith("-") && a !== "") operands.push(a);
    else return null;
  }
  if (spec.operands === "one" && operands.length !== 1) return null;
  return { spec, globals, operands, opts };
}

/**
 * Runs a parsed fast line: the same command module, Io, Ctrl-C handling and error report as
 * the commander action. Sets process.exitCode on failure.
 */
export async function runFastLine(line: FastLine): Promise<void> {
  const { interruptible } = await import("./program-kit.js");
  const controller = interruptible({ err: () => {} });
  const { ioFor } = await import("./io.js");
  let io: Io | undefined;
  try {
    io = ioFor(line.globals, controller.signal);
    const verb = line.spec.names[0];
    const id = line.operands[0] as string;
    if (verb === "create") {
      const { createCommand } = await import("./commands/create.js");
      await createCommand(io, id, line.opts as never);
    } else if (verb === "release") {
      const { releaseCommand } = await import("./commands/release.js");
      await releaseCommand(io, id, line.opts);
    } else {
      const { cleanupCommand } = await import("./commands/cleanup.js");
      await cleanupCommand(io, line.operands, line.opts as never);
    }
    io.finish(true);
  } catch (error) {
    io?.finish(false);
    const { reportError } = await import("./report.js");
    process.exitCode = reportError(error, line.globals.json === true);
  }
}
