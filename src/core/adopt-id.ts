import path from "node:path";
import { idForClaudeName } from "./claude-hook.js";
import type { WtConfig } from "./config.js";

/** Where `wt adopt` took the id from (reported in its result). */
export type AdoptIdSource = "flag" | "branch" | "folder";

/**
 * The id `wt adopt` gives a worktree when `--id` is absent (docs/contract.md, "adopt"):
 * 1. the branch read back through the `branch` template (`feature/{name}` and `feature/issue-101`
 *    give the name `issue-101`; through the `name` template `issue-{id}` that is id `101`; a
 *    name the `name` template does not give back is the id itself, as `nameFor` makes it);
 * 2. else the folder's name read back through the last segment of `worktreeDir` (`{name}`:
 *    `issue-101` -> `101`, `auth-fix` -> `auth-fix`); a folder named like the repository (Codex's
 *    `$CODEX_HOME/worktrees/<hash>/<repo>`) gives its parent's name instead;
 * 3. else the folder's name as it is.
 * The result is made a valid id as Claude Code's names are (`idForClaudeName`: `/` and other
 * characters become `-`).
 * @throws UsageError (exit 2) when nothing usable is left.
 */
export function deriveAdoptId(
  config: Pick<WtConfig, "branch" | "name" | "worktreeDir">,
  repoName: string,
  folder: string,
  branch: string | null,
): { id: string; from: AdoptIdSource } {
  const viaBranch = branch === null ? null : readBack(config.branch, branch, repoName);
  if (viaBranch !== null) return { id: idForClaudeName(idOf(viaBranch, config, repoName)), from: "branch" };
  let base = path.basename(folder);
  if (base === repoName) base = path.basename(path.dirname(folder));
  const last = config.worktreeDir.split(/[\\/]/).pop() ?? "";
  const viaFolder = readBack(last, base, repoName);
  const id = viaFolder !== null ? idOf(viaFolder, config, repoName) : base;
  return { id: idForClaudeName(id), from: "folder" };
}

/** `{id}` or `{name}` captured from `text` by `template`, or null when it does not match (or has neither). */
function readBack(template: string, text: string, repoName: string): { id?: string; name?: string } | null {
  if (!/\{(id|name)\}/.test(template)) return null;
  const parts = template.split(/(\{[^{}]*\})/);
  let source = "";
  for (const part of parts) {
    if (part === "{id}") source += "(?<id>.+?)";
    else if (part === "{name}") source += "(?<name>.+?)";
    else if (part === "{repo}") source += escapeRegExp(repoName);
    else source += escapeRegExp(part);
  }
  const m = new RegExp(`^${source}$`).exec(text);
  if (!m?.groups) return null;
  return { ...(m.groups.id ? { id: m.groups.id } : {}), ...(m.groups.name ? { name: m.groups.name } : {}) };
}

/** An id from what a template gave back: the id itself, or the name read back through `name`. */
function idOf(found: { id?: string; name?: string }, config: Pick<WtConfig, "name">, repoName: string): string {
  if (found.id) return found.id;
  const name = found.name ?? "";
  const viaName = readBack(config.name, name, repoName);
  // `nameFor` applies the `name` template to all-digit ids only: any other name is its id.
  if (viaName?.id && /^\d+$/.test(viaName.id)) return viaName.id;
  return name;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
