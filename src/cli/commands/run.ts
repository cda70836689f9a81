import { runInWorktree } from "../../core/run.js";
import type { Io } from "../io.js";

/**
 * `wt run <id> -- <cmd> [args…]`. While the command runs, Ctrl-C reaches it through the
 * terminal's process group; wt waits and exits with the command's exit code. A SIGTERM sent to
 * wt alone is passed on to the command.
 */
export async function runCommand(io: Io, id: string | undefined, command: string[]): Promise<void> {
  const controller = new AbortController();
  const ignore = () => {};
  const forward = () => controller.abort("SIGTERM");
  process.on("SIGINT", ignore);
  process.on("SIGTERM", forward);
  try {
    process.exitCode = await runInWorktree({ ...io.ctx, signal: controller.signal }, id, command);
  } finally {
    process.off("SIGINT", ignore);
    process.off("SIGTERM", forward);
  }
}
