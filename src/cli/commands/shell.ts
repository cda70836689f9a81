import type { Io } from "../io.js";
import { chooseShell, editRcFile } from "../shell.js";
import { removeShellCache, shellCacheFile, writeShellCache } from "../shell-cache.js";
import { builtShellInit } from "../shell-script.js";

/** `wt shell install|uninstall [--shell <s>]`: one marked block in the shell's rc file, idempotent. */
export async function shellCommand(
  io: Io,
  action: "install" | "uninstall",
  shellName: string | undefined,
): Promise<void> {
  const shell = chooseShell(shellName, io.ctx.env);
  const { file, changed } = await editRcFile(shell, io.ctx.env, action === "install");
  // The script the block sources, so that a new shell starts no node process (shell-cache.ts).
  const script = action === "install" ? builtShellInit(shell) : null;
  if (script !== null) writeShellCache(shell, io.ctx.env, script, false);
  else if (action === "uninstall") removeShellCache(shell, io.ctx.env);
  const cache = script === null ? null : shellCacheFile(shell, io.ctx.env);
  io.verbose(`shell ${shell} (from ${shellName === undefined ? "$SHELL" : "--shell"}); rc file ${file}`);
  if (io.globals.json) {
    io.out(`${JSON.stringify({ shell, file, action, changed, cache })}\n`);
    return;
  }
  const done =
    action === "install"
      ? changed
        ? `Added wt's shell function to ${file}; open a new shell to use it.`
        : `wt's shell function is already in ${file}.`
      : changed
        ? `Removed wt's shell function from ${file}; open a new shell to drop it.`
        : `wt's shell function is not in ${file}; nothing to remove.`;
  if (!io.globals.quiet) io.out(`${done}\n`);
}
