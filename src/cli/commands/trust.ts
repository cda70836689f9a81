import { UsageError } from "../../core/errors.js";
import { type TrustResult, trustRepository } from "../../core/trust.js";
import type { Io } from "../io.js";

/** The options of `wt trust`, as commander parses them. */
export interface TrustCommandOptions {
  show?: boolean;
  revoke?: boolean;
}

/** `wt trust [--show | --revoke]`. */
export async function trustCommand(io: Io, opts: TrustCommandOptions): Promise<void> {
  if (opts.show && opts.revoke) {
    throw new UsageError("--show and --revoke cannot be combined", "run `wt trust --show`, then `wt trust --revoke`");
  }
  const action = opts.revoke ? "revoke" : opts.show ? "show" : "trust";
  const result = await trustRepository(io.ctx, action);
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (!io.globals.quiet || action === "show") io.out(renderTrust(result));
}

/** The human text of `wt trust`: the commands, then whether they are trusted. */
export function renderTrust(r: TrustResult): string {
  const where = `${r.main}${r.origin ? ` (origin ${r.origin})` : ""}`;
  if (r.commands.length === 0 && r.action !== "revoke") {
    return `${where}: wt.config.json has no repository commands (hooks, databases[].init); nothing needs trust\n`;
  }
  const lines = r.commands.map((c) => `  ${c.source}: ${c.command}`);
  if (r.action === "revoke") {
    return `${r.revoked ? "Trust revoked" : "Nothing to revoke"} for ${where}\n`;
  }
  const state = r.trusted
    ? `trusted (since ${r.trustedAt})`
    : r.changed
      ? "NOT trusted: they changed since you trusted them (run `wt trust`)"
      : "NOT trusted (run `wt trust`)";
  const head = r.action === "trust" ? `Trusted the commands of ${where}:` : `Commands of ${where}:`;
  return `${head}\n${lines.join("\n")}\n${r.action === "show" ? `${state}\n` : ""}`;
}
