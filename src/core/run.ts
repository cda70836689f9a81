import { repoFreeEnv } from "../git/run.js";
import type { WtContext } from "./context.js";
import { worktreeVariables } from "./envfile.js";
import { UsageError } from "./errors.js";
import { findPresentWorktree } from "./resolve.js";

/**
 * `wt run [<id>] -- <cmd> [args…]` (no id: the worktree `ctx.cwd` is in): runs `cmd` (no shell: argv as given) in the worktree with
 * its variables on top of `ctx.env` (without git's repository-locating variables, `repoFreeEnv`:
 * the command's git must see the worktree, not the repository of a hook that ran wt), stdio
 * inherited.
 * @returns the command's exit code, or 128 + signal number when a signal ended it.
 * @throws UsageError (2) without a command; the errors of `findPresentWorktree` (3 when the folder is gone).
 */
export async function runInWorktree(ctx: WtContext, id: string | undefined, command: string[]): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined)
    throw new UsageError("wt run needs a command after --", "for example: wt run 101 -- npm test");
  const { repo, record } = await findPresentWorktree(ctx, id);
  const { execa } = await import("execa");
  const { signalsByName } = await import("node:os").then((os) => ({ signalsByName: os.constants.signals }));
  const child = execa(file, args, {
    cwd: record.path,
    env: { ...repoFreeEnv(ctx.env), ...worktreeVariables(record, repo.mainPath) },
    extendEnv: false,
    stdio: "inherit",
    reject: false,
    cancelSignal: ctx.signal,
  });
  const result = await child;
  if (result.signal) {
    return 128 + (signalsByName[result.signal as keyof typeof signalsByName] ?? 1);
  }
  if (result.exitCode === undefined) {
    // As a shell does: 127 for a command that is not there, 126 for one that cannot run.
    const code = (result as { code?: string }).code;
    ctx.onWarning?.(`${file}: ${code === "ENOENT" ? "command not found" : (result.shortMessage ?? "cannot run")}`);
    return code === "ENOENT" ? 127 : 126;
  }
  return result.exitCode;
}
