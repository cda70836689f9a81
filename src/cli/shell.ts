import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { writeAtomic } from "../core/atomic.js";
import { UsageError } from "../core/errors.js";
import { hintDue } from "./shell-cache.js";
import { isShell, rcBlock, SHELL_PROTOCOL, SHELLS, type Shell, withBlock } from "./shell-init.js";

/**
 * The binary's half of the shell function (shell-init.ts): writing the cd file, finding and
 * editing the rc file, and the one hint shown when the function is missing or old.
 */

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Writes `target` into the file `env.WT_CD_FILE` names, so the shell function cds there.
 * Only into an existing, empty, regular file the user owns, opened without following a link
 * (`O_NOFOLLOW`): the variable could be inherited by something that is not our function. A
 * path holding a newline is never written (the function reads the file as one path).
 * @returns true when written; false when there is no usable cd file.
 */
export function writeCdFile(env: Env, target: string): boolean {
  const file = env.WT_CD_FILE;
  if (!file || target.includes("\n")) return false;
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || st.size !== 0 || (uid !== undefined && st.uid !== uid)) return false;
    writeSync(fd, target);
    return true;
  } finally {
    closeSync(fd);
  }
}

/** True when the shell function is active (it set `WT_CD_FILE`). */
export function shellFunctionActive(env: Env): boolean {
  return Boolean(env.WT_CD_FILE);
}

/** The shell to install for: `--shell`, else the login shell's name (`$SHELL`). */
export function chooseShell(given: string | undefined, env: Env): Shell {
  const name = given ?? path.basename(env.SHELL ?? "");
  if (isShell(name)) return name;
  throw new UsageError(
    given === undefined
      ? `cannot tell your shell from SHELL=${JSON.stringify(env.SHELL ?? "")}`
      : `unsupported shell '${given}'`,
    `name it: wt shell install --shell ${SHELLS.join("|")}`,
  );
}

/**
 * The rc file wt edits: `~/.bashrc`, `${ZDOTDIR:-~}/.zshrc`,
 * `${XDG_CONFIG_HOME:-~/.config}/fish/config.fish`. `HOME` comes from `env` (tests use a temp one).
 */
export function rcFile(shell: Shell, env: Env): string {
  const home = env.HOME ?? "";
  if (home === "") throw new UsageError("HOME is not set", "set HOME, or add the line from `wt shell-init` yourself");
  if (shell === "bash") return path.join(home, ".bashrc");
  if (shell === "zsh") return path.join(env.ZDOTDIR || home, ".zshrc");
  return path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "fish", "config.fish");
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
}

/**
 * `wt shell install` (block) / `wt shell uninstall` (null): one marked block in the rc file,
 * replaced in place when present (idempotent). A linked rc file (dotfile managers) is edited
 * at its target, keeping the link; the write is atomic and keeps the file's mode.
 * @returns the file and whether it changed.
 */
export async function editRcFile(
  shell: Shell,
  env: Env,
  install: boolean,
): Promise<{ file: string; changed: boolean }> {
  const file = rcFile(shell, env);
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // Not there yet: it is made below.
  }
  const before = readText(target);
  const after = withBlock(before, install ? rcBlock(shell) : null);
  if (after === before) return { file, changed: false };
  await mkdir(path.dirname(target), { recursive: true });
  await writeAtomic(target, after);
  return { file, changed: true };
}

/**
 * The one hint for a command that wanted to move the shell and could not, or null when the
 * function is active and current. Detection: no `WT_CD_FILE` and the rc file holds the block:
 * installed but not loaded in this shell; no block: not installed; `WT_SHELL_PROTOCOL` older
 * than this binary's: the function is out of date. `key` names the hint and its rc file, for
 * the once-a-day limit (`hintDue`).
 */
export function shellHintOf(env: Env): { key: string; text: string } | null {
  if (shellFunctionActive(env)) {
    const protocol = Number(env.WT_SHELL_PROTOCOL ?? "0");
    if (protocol >= SHELL_PROTOCOL) return null;
    return {
      key: `out-of-date:${protocol}`,
      text: "the wt shell function of this shell is out of date: open a new shell (or run `wt shell install` first)",
    };
  }
  const name = path.basename(env.SHELL ?? "");
  const shell: Shell = isShell(name) ? name : "bash";
  let file = "";
  let installed = false;
  try {
    file = rcFile(shell, env);
    installed = readText(file).includes("wt shell-init");
  } catch {
    installed = false;
  }
  return installed
    ? {
        key: `not-loaded:${file}`,
        text: `wt's shell function is installed but not loaded in this shell: open a new shell, or run: ${loadLine(shell)}`,
      }
    : { key: `not-installed:${file}`, text: "to let wt move your shell (wt cd, wt create), run: wt shell install" };
}

/**
 * `shellHintOf`'s text when it is due: each hint at most once a day per rc file (`hintDue`,
 * shell-cache.ts), every time with `always` (--verbose).
 */
export function shellHint(env: Env, always = false): string | null {
  const hint = shellHintOf(env);
  if (hint === null) return null;
  return always || hintDue(hint.key, env) ? hint.text : null;
}

function loadLine(shell: Shell): string {
  return shell === "fish" ? "wt shell-init fish | source" : `eval "$(wt shell-init ${shell})"`;
}
