import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { FAST_VERBS, parseFastLine } from "../../src/cli/fast-verbs.js";
import { buildProgram } from "../../src/cli/index.js";

/** What commander gives the action of `args`: its operands, options and the program's globals. */
async function commanderParse(args: string[]): Promise<{ operands: unknown[]; opts: unknown; globals: unknown }> {
  const program = await buildProgram();
  let seen: { operands: unknown[]; opts: unknown } | undefined;
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.action((...a: unknown[]) => {
      const operands = a.slice(0, -2);
      seen = { operands: operands.flat(), opts: a[a.length - 2] };
    });
  }
  await program.parseAsync(args, { from: "user" });
  if (!seen) throw new Error(`no action ran for ${args.join(" ")}`);
  return { ...seen, globals: program.opts() };
}

const PLAIN = [
  ["create", "101"],
  ["create", "101", "--no-fetch", "--json"],
  ["--json", "create", "101", "--no-fetch"],
  ["new", "auth-fix", "--base", "develop", "--branch", "feature/x", "-q"],
  ["create", "7", "--pool", "--no-hooks", "--no-cd", "--dry-run", "--verbose", "--trust"],
  ["--verbose", "-q", "create", "7", "--quiet"],
  ["release", "101", "--reap", "--json"],
  ["release", "101", "--force", "--dry-run"],
  ["cleanup"],
  ["cleanup", "101", "102", "--merged", "--keep-branch"],
  ["rm", "101", "--all", "--force", "--reap", "--delete-branch", "--no-hooks", "--dry-run", "--json"],
  ["remove", "-q", "101"],
  ["cleanup", "constructor", "toString"],
  ["create", "__proto__"],
];

describe("fast verbs parse a plain line as commander does", () => {
  for (const args of PLAIN) {
    it(args.join(" "), async () => {
      const fast = parseFastLine(args);
      expect(fast).not.toBeNull();
      const ref = await commanderParse(args);
      expect(fast?.operands).toEqual(ref.operands);
      // commander's option object has only the keys it set: compare on those of either side.
      expect(fast?.opts).toEqual(JSON.parse(JSON.stringify(ref.opts)));
      expect(fast?.globals).toEqual(JSON.parse(JSON.stringify(ref.globals)));
    });
  }

  it("leaves every other line to commander", () => {
    for (const args of [
      ["create"],
      ["create", "1", "2"],
      ["create", "1", "--help"],
      ["create", "1", "-h"],
      ["create", "1", "--fetch"],
      ["create", "1", "--base"],
      ["create", "1", "--base", "--json"],
      ["create", "1", "--base=develop"],
      ["create", "1", "--", "x"],
      ["create", "-qv", "1"],
      ["-C", "/tmp", "create", "1"],
      ["release"],
      ["release", "1", "--keep-branch"],
      ["cleanup", "--pool"],
      ["status", "1"],
      ["create", ""],
    ]) {
      expect(parseFastLine(args), args.join(" ")).toBeNull();
    }
  });

  it("knows exactly the options commander declares for each verb", async () => {
    const program = await buildProgram();
    for (const spec of FAST_VERBS) {
      const sub = program.commands.find((c: Command) => c.name() === spec.names[0]) as Command;
      expect([sub.name(), ...sub.aliases()].sort()).toEqual([...spec.names].sort());
      const declared = sub.options.map((o) => o.long).sort();
      expect([...Object.keys(spec.flags), ...Object.keys(spec.values)].sort()).toEqual(declared);
    }
    const globals = program.options.map((o) => o.long ?? o.short).filter((l) => l !== "--version");
    expect(globals.sort()).toEqual(["--json", "--quiet", "--trust", "--verbose", "-C"].sort());
  });
});
