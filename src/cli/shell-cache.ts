import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { userStateDir } from "../core/slot-registry.js";
import type { Shell } from "./shell-init.js";

/**
 * Two things that keep the shell integration cheap and quiet (issue 13, item 1):
 * - the cached `wt shell-init <shell>` script the rc block sources, so a new shell starts no
 *   node process. `wt shell install` writes it, `wt shell uninstall` removes it, and a wt of
 *   another version than the function it runs under (`WT_SHELL_VERSION`) refreshes it, as does
 *   `wt shell-init`; only a file that is there is ever refreshed, so wt never puts one in a
 *   cache folder the user did not ask for.
 * - the limit on the "shell function missing / not loaded / out of date" hint: once a day per
 *   hint and rc file (`--verbose` shows it every time).
 */

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `${XDG_CACHE_HOME:-$HOME/.cache}/wt/shell-init.<shell>`, spelled as the rc block spells it
 * (an empty XDG_CACHE_HOME counts as unset), or null when that folder is not absolute.
 */
export function shellCacheFile(shell: Shell, env: Env): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, ".cache") : "");
  // A relative folder would be relative to wherever wt runs: no cache then (the block falls back).
  return path.isAbsolute(base) ? path.join(base, "wt", `shell-init.${shell}`) : null;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * Writes `script` to the shell's cache file (through a temporary file and a rename, so a shell
 * starting at that moment reads the old or the new script, never half of one).
 * @param onlyIfPresent refresh a file that is there, never make one
 * @returns true when the file now holds `script` and did not before
 */
export function writeShellCache(shell: Shell, env: Env, script: string, onlyIfPresent: boolean): boolean {
  const file = shellCacheFile(shell, env);
  if (file === null) return false;
  const before = readOrNull(file);
  if (before === script || (onlyIfPresent && before === null)) return false;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, script, { mode: 0o644 });
    renameSync(temp, file);
    return true;
  } catch {
    // A cache: without it the rc block runs `wt shell-init` itself.
    return false;
  }
}

/** Removes the shell's cache file (`wt shell uninstall`). */
export function removeShellCache(shell: Shell, env: Env): void {
  const file = shellCacheFile(shell, env);
  if (file !== null) rmSync(file, { force: true });
}

/** How long a shown hint stays quiet. */
export const HINT_QUIET_MS = 24 * 60 * 60 * 1000;

/**
 * True when the hint `key` (its kind and rc file) was not shown in the last `HINT_QUIET_MS`,
 * and records that it is shown now, in `$XDG_STATE_HOME/wt/shell-hints.json`. When that file
 * cannot be read or written, the hint is shown.
 */
export function hintDue(key: string, env: Env, nowMs = Date.now()): boolean {
  const file = path.join(userStateDir(env), "shell-hints.json");
  let shown: Record<string, number> = {};
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (parsed && typeof parsed === "object") shown = parsed as Record<string, number>;
  } catch {
    // None yet, or unreadable: start afresh.
  }
  const last = shown[key];
  if (typeof last === "number" && nowMs - last >= 0 && nowMs - last < HINT_QUIET_MS) return false;
  // Old entries are dropped as the file is written again.
  const kept = Object.fromEntries(Object.entries(shown).filter(([, at]) => nowMs - at < HINT_QUIET_MS));
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ ...kept, [key]: nowMs })}\n`);
    renameSync(temp, file);
  } catch {
    // Shown, unrecorded: the next run shows it again.
  }
  return true;
}
