import path from "node:path";
import type { WtConfig } from "./config.js";
import { ConfigError, UsageError } from "./errors.js";

/** Valid ids (docs/contract.md, "Words"): a letter or digit, then up to 63 of `A-Za-z0-9._-`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Checks an id before anything is touched. Also refuses `..` inside the id: git refuses
 * it in branch names (git-check-ref-format(1)) and it reads like a path climb.
 * @throws UsageError (exit 2, code `invalid-id`) with the reason.
 */
export function validateId(id: string): void {
  if (!ID_PATTERN.test(id) || id.includes("..") || id.endsWith(".lock") || id.endsWith(".")) {
    const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
    throw new UsageError(
      `invalid id ${shown}: an id is 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit (no '..', not ending in '.' or '.lock')`,
      "for example: wt create 101, wt create auth-fix",
      "invalid-id",
    );
  }
}

/** Key under which an id's record is stored: ids are unique case-insensitively. */
export function idKey(id: string): string {
  return id.toLowerCase();
}

/** The worktree's name: the `name` template for all-digit ids (`issue-101`), else the id. */
export function nameFor(id: string, config: Pick<WtConfig, "name">, repo: string): string {
  if (!/^\d+$/.test(id)) return id;
  return expandTemplate(config.name, { repo, id }, "name");
}

/**
 * Replaces `{repo}`, `{id}` and `{name}` in a template. An unknown placeholder is a config
 * error rather than a folder literally named `{adw_id}`.
 * @throws ConfigError naming the key.
 */
export function expandTemplate(template: string, values: Record<string, string>, key: string): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) {
      const known = Object.keys(values)
        .map((k) => `{${k}}`)
        .join(" ");
      throw new ConfigError(`"${key}" uses ${whole}, which is not a placeholder here (known: ${known})`);
    }
    return v;
  });
}

/** Absolute worktree folder for `id`: `worktreeDir` expanded, relative to the main worktree. */
export function worktreePathFor(
  config: Pick<WtConfig, "worktreeDir">,
  mainPath: string,
  values: { repo: string; id: string; name: string },
): string {
  return path.resolve(mainPath, expandTemplate(config.worktreeDir, values, "worktreeDir"));
}

/**
 * The folder that holds every worktree `worktreeDir` places: its leading segments up to the
 * first one that uses `{id}` or `{name}` (`.worktrees/{name}` -> `<main>/.worktrees`,
 * `../{repo}-worktrees/{name}` -> `<main>/../app-worktrees`), absolute.
 * @throws ConfigError for an unknown placeholder.
 */
export function worktreeDirHolder(config: Pick<WtConfig, "worktreeDir">, mainPath: string, repo: string): string {
  const segments = config.worktreeDir.split(/[\\/]/);
  const varying = segments.findIndex((s) => /\{(id|name)\}/.test(s));
  const fixed = segments.slice(0, varying === -1 ? -1 : varying).join("/");
  return path.resolve(mainPath, expandTemplate(fixed, { repo }, "worktreeDir"));
}

/**
 * Orders strings by UTF-16 code unit, as `Array.prototype.sort` does by default. Not
 * `localeCompare`: its first call loads ICU's collator, ~10 ms of every `wt status` (issue 5).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
