import { type ClaudeHookPayload, claudeCreate, claudeRemove, parseHookPayload } from "../../core/claude-hook.js";
import type { Io } from "../io.js";
import { readHookInput } from "../stdin.js";

/** Reads and parses the payload on stdin, then lets go of stdin so a pipe left open cannot hold wt. */
async function payloadFromStdin(): Promise<ClaudeHookPayload> {
  try {
    return parseHookPayload(await readHookInput(process.stdin));
  } finally {
    process.stdin.destroy();
  }
}

/**
 * `wt hook claude-create` (Claude Code's WorktreeCreate): stdout gets exactly one line, the
 * worktree's real path; warnings, progress and hook output go to stderr (ioFor sends them
 * there), and a failure prints nothing on stdout (report.ts, without --json).
 */
export async function hookClaudeCreateCommand(io: Io): Promise<void> {
  const payload = await payloadFromStdin();
  const result = await claudeCreate(io.ctx, payload);
  io.out(`${result.path}\n`);
}

/**
 * `wt hook claude-remove` (Claude Code's WorktreeRemove): nothing on stdout; a gone or
 * unmanaged path is exit 0 with a note on stderr; a refusal (uncommitted work: exit 5) keeps
 * the worktree and says why on stderr.
 */
export async function hookClaudeRemoveCommand(io: Io): Promise<void> {
  const payload = await payloadFromStdin();
  const result = await claudeRemove(io.ctx, payload);
  if (result.outcome === "removed") io.err(`removed worktree ${result.id} (${result.path})\n`);
}
