import { wtCommandPrefix } from "../../core/claude-command.js";
import {
  type ClaudeInstallResult,
  type ClaudeScope,
  claudeHookStatus,
  installClaudeHooks,
  uninstallClaudeHooks,
} from "../../core/claude-settings.js";
import { packagePath } from "../../core/package-root.js";
import type { Io } from "../io.js";

/** The options of `wt claude install` / `uninstall`, as commander parses them. */
export interface ClaudeCommandOptions {
  scope: ClaudeScope;
  replace?: boolean;
  command?: string;
}

/** This installation's `bin/wt.js`. */
function binPath(): string {
  return packagePath("bin", "wt.js");
}

/** `wt claude install`: wt's WorktreeCreate/WorktreeRemove hooks in the scope's settings file. */
export async function claudeInstallCommand(io: Io, opts: ClaudeCommandOptions): Promise<void> {
  const prefix = opts.command ?? wtCommandPrefix(io.ctx.env, { execPath: process.execPath, binPath: binPath() });
  const result = await installClaudeHooks(io.ctx, { scope: opts.scope, prefix, replace: opts.replace === true });
  render(io, result, result.changed ? "installed wt's Claude Code hooks in" : "wt's Claude Code hooks are already in");
}

/** `wt claude uninstall`: removes wt's hooks (only them) from the scope's settings file. */
export async function claudeUninstallCommand(io: Io, opts: ClaudeCommandOptions): Promise<void> {
  const result = await uninstallClaudeHooks(io.ctx, opts.scope);
  render(io, result, result.changed ? "removed wt's Claude Code hooks from" : "wt's Claude Code hooks were not in");
}

function render(io: Io, result: ClaudeInstallResult, lead: string): void {
  if (io.globals.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (io.globals.quiet) return;
  const lines = [`${lead} ${result.file}`];
  for (const r of result.replaced) lines.push(`  replaced ${r}`);
  if (result.commands) {
    lines.push(`  WorktreeCreate: ${result.commands.create}`, `  WorktreeRemove: ${result.commands.remove}`);
  }
  io.out(`${lines.join("\n")}\n`);
}

/** `wt claude status`: per scope, whether wt's hooks are installed and which handlers race them. */
export async function claudeStatusCommand(io: Io): Promise<void> {
  const result = await claudeHookStatus(io.ctx);
  if (io.globals.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (io.globals.quiet) {
    // -q: the scopes where wt's hooks are installed, one a line.
    io.out(
      result.scopes
        .filter((s) => s.installed)
        .map((s) => `${s.scope}\n`)
        .join(""),
    );
    return;
  }
  const lines: string[] = [];
  for (const s of result.scopes) {
    const state = s.installed ? "installed" : s.commands.length > 0 ? "partly installed" : "not installed";
    lines.push(`${s.scope.padEnd(8)}${state.padEnd(18)}${s.file}${s.exists ? "" : " (no file)"}`);
    for (const c of s.conflicts) lines.push(`          other handler: ${c}`);
  }
  if (result.scopes.some((s) => s.conflicts.length > 0)) {
    lines.push("", "Claude Code runs every scope's worktree hooks in parallel: keep one WorktreeCreate handler.");
  }
  io.out(`${lines.join("\n")}\n`);
}
