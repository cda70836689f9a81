import { readFileSync } from "node:fs";
import { codePath, packageVersion } from "../core/package-root.js";
import { type Shell, shellInitScript } from "./shell-init.js";

/**
 * The texts of `wt completion <shell>` and `wt shell-init <shell>` as the build made them, for
 * the commands that print them (index.ts) and for the cached copy (shell-cache.ts).
 */

/** The completion script the build generated (dist/cli/completion.<shell>), or null (running from the sources). */
export function builtCompletion(shell: string): string | null {
  try {
    return readFileSync(codePath("cli", `completion.${shell}`), "utf8");
  } catch {
    return null;
  }
}

/** The built `wt shell-init <shell>` text, or null when there is no built completion script. */
export function builtShellInit(shell: Shell): string | null {
  const completion = builtCompletion(shell);
  return completion === null ? null : shellInitScript(shell, completion, packageVersion());
}
