import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { resolveRepo } from "../git/repo.js";
import { writeAtomic } from "./atomic.js";
import type { WtContext } from "./context.js";
import { ConfigError, ConflictError, UsageError } from "./errors.js";

/**
 * `wt claude install|uninstall|status`: wt's two hooks in Claude Code's settings files. The
 * shape is Claude Code's (hooks reference, "Configuration"):
 * `{"hooks": {"WorktreeCreate": [{"hooks": [{"type": "command", "command": "…", "timeout": 600}]}]}}`.
 * Worktree events take no matcher, and the handlers of every scope run in parallel, so a second
 * WorktreeCreate handler races wt's (anthropics/claude-code#38582): install refuses beside one.
 */

/** `local`: `.claude/settings.local.json`, `project`: `.claude/settings.json`, `user`: `~/.claude/settings.json`. */
export type ClaudeScope = "local" | "project" | "user";
export const CLAUDE_SCOPES: readonly ClaudeScope[] = ["local", "project", "user"];

const EVENTS = { WorktreeCreate: "claude-create", WorktreeRemove: "claude-remove" } as const;
type HookEvent = keyof typeof EVENTS;
/** Seconds Claude waits for each hook: create runs the whole transaction (Claude's default is 600). */
const TIMEOUTS: Record<HookEvent, number> = { WorktreeCreate: 600, WorktreeRemove: 120 };

/** A handler is wt's when it is a command ending in `hook claude-create` / `hook claude-remove`. */
function isOurs(handler: unknown, event: HookEvent): boolean {
  const h = handler as { type?: unknown; command?: unknown } | null;
  return (
    h !== null &&
    typeof h === "object" &&
    h.type === "command" &&
    typeof h.command === "string" &&
    new RegExp(`(^|\\s)hook ${EVENTS[event]}\\s*$`).test(h.command)
  );
}

/** A handler as a person reads it: its command, or its type and url. */
function describeHandler(handler: unknown): string {
  const h = (handler ?? {}) as { type?: unknown; command?: unknown; url?: unknown };
  if (typeof h.command === "string") return h.command;
  return `${String(h.type ?? "handler")}${typeof h.url === "string" ? ` ${h.url}` : ""}`;
}

type Settings = Record<string, unknown>;
interface Group {
  hooks: unknown[];
  [k: string]: unknown;
}

/** One settings file, read. */
interface SettingsFile {
  scope: ClaudeScope;
  file: string;
  exists: boolean;
  settings: Settings;
}

/**
 * The settings file of each scope: the project ones in the main worktree (where Claude Code
 * sessions of the repository start), the user one in `$CLAUDE_CONFIG_DIR` (Claude Code's
 * override of `~/.claude`), else `$HOME/.claude` of `ctx.env`.
 * @throws UsageError (2) outside a repository for local/project, in a bare repository, or
 *   without HOME for user.
 */
export async function claudeSettingsFile(ctx: WtContext, scope: ClaudeScope): Promise<string> {
  if (scope === "user") {
    const dir = ctx.env.CLAUDE_CONFIG_DIR || (ctx.env.HOME ? path.join(ctx.env.HOME, ".claude") : "");
    if (dir === "")
      throw new UsageError("HOME is not set: cannot find ~/.claude/settings.json", "set HOME, or use --scope local");
    return path.join(path.resolve(dir), "settings.json");
  }
  const repo = await resolveRepo(ctx.cwd, ctx.env);
  if (repo.bare) {
    throw new UsageError(
      `${repo.mainPath} is a bare repository: it has no folder for .claude/`,
      "use --scope user, or run wt claude install in a worktree's repository that has a main worktree",
    );
  }
  return path.join(repo.mainPath, ".claude", scope === "local" ? "settings.local.json" : "settings.json");
}

/**
 * Reads one settings file; a missing or empty file is `{}`.
 * @throws ConfigError (2) naming the file when it is not JSON, not an object, or its
 *   `hooks.WorktreeCreate`/`WorktreeRemove` are not lists of `{"hooks": [...]}` groups.
 */
async function readSettings(scope: ClaudeScope, file: string): Promise<SettingsFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { scope, file, exists: false, settings: {} };
    throw e;
  }
  if (text.trim() === "") return { scope, file, exists: true, settings: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `${file} is not valid JSON: ${(e as Error).message}`,
      "fix the file (Claude Code reads it as JSON too), then run the command again",
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError(`${file} does not hold a JSON object`, "fix the file, then run the command again");
  }
  checkHookShape(file, value as Settings);
  return { scope, file, exists: true, settings: value as Settings };
}

function checkHookShape(file: string, settings: Settings): void {
  const hooks = settings.hooks;
  if (hooks === undefined) return;
  const bad = (what: string) =>
    new ConfigError(
      `${file}: ${what}`,
      "fix the file as Claude Code's hooks reference describes, then run the command again",
    );
  if (hooks === null || typeof hooks !== "object" || Array.isArray(hooks)) throw bad("`hooks` is not an object");
  for (const event of Object.keys(EVENTS)) {
    const groups = (hooks as Record<string, unknown>)[event];
    if (groups === undefined) continue;
    if (!Array.isArray(groups)) throw bad(`\`hooks.${event}\` is not a list`);
    for (const g of groups) {
      if (g === null || typeof g !== "object" || !Array.isArray((g as Group).hooks)) {
        throw bad(`\`hooks.${event}\` holds an entry without a \`hooks\` list`);
      }
    }
  }
}

/** The groups of `event` in `settings` (validated by `readSettings`). */
function groupsOf(settings: Settings, event: HookEvent): Group[] {
  const hooks = settings.hooks as Record<string, unknown> | undefined;
  return (hooks?.[event] as Group[] | undefined) ?? [];
}

/** Every handler of a worktree event in `file` that is not wt's: `"<event>: <command>"`. */
function foreignHandlers(file: SettingsFile): string[] {
  const out: string[] = [];
  for (const event of Object.keys(EVENTS) as HookEvent[]) {
    for (const group of groupsOf(file.settings, event)) {
      for (const h of group.hooks) if (!isOurs(h, event)) out.push(`${event}: ${describeHandler(h)}`);
    }
  }
  return out;
}

/** Reads the settings file of every scope once (two scopes may name one file). */
async function readAllScopes(ctx: WtContext): Promise<SettingsFile[]> {
  const out: SettingsFile[] = [];
  for (const scope of CLAUDE_SCOPES) {
    let file: string;
    try {
      file = await claudeSettingsFile(ctx, scope);
    } catch (e) {
      // Outside a repository only the user scope exists; HOME unset: no user scope.
      if (e instanceof UsageError) continue;
      throw e;
    }
    if (!out.some((f) => f.file === file)) out.push(await readSettings(scope, file));
  }
  return out;
}

/** The JSON document of `wt claude install` / `uninstall`. */
export interface ClaudeInstallResult {
  scope: ClaudeScope;
  file: string;
  /** false when the file already said exactly this (nothing was written). */
  changed: boolean;
  /** The two commands wt's hooks run (install), or null (uninstall). */
  commands: { create: string; remove: string } | null;
  /** Foreign handlers removed from this file by `--replace`. */
  replaced: string[];
  warnings: string[];
}

export interface ClaudeInstallOptions {
  scope: ClaudeScope;
  /** The words that start this wt (`wtCommandPrefix`), before `hook claude-create`. */
  prefix: string;
  /** Remove the other WorktreeCreate/WorktreeRemove handlers of this scope instead of refusing. */
  replace?: boolean;
}

/**
 * `wt claude install`: adds (or updates) wt's WorktreeCreate and WorktreeRemove handlers in the
 * scope's settings file, keeping every other key and handler. Idempotent: a second run writes
 * nothing. An older wt command (another node path) is updated in place.
 * @throws ConflictError (3) when another WorktreeCreate/WorktreeRemove handler exists in any
 *   scope and `replace` is not set (with it, this scope's are removed; other scopes' are warned
 *   about); ConfigError (2) for a broken settings file; UsageError (2) as `claudeSettingsFile`.
 */
export async function installClaudeHooks(ctx: WtContext, options: ClaudeInstallOptions): Promise<ClaudeInstallResult> {
  const file = await claudeSettingsFile(ctx, options.scope);
  const all = await readAllScopes(ctx);
  const target = all.find((f) => f.file === file) ?? (await readSettings(options.scope, file));
  const conflicts = all.flatMap((f) => foreignHandlers(f).map((h) => ({ file: f, handler: h })));
  if (conflicts.length > 0 && !options.replace) {
    throw new ConflictError(
      `another worktree hook is configured, and Claude Code would run it in parallel with wt's:\n${conflicts
        .map((c) => `  ${c.file.file}: ${c.handler}`)
        .join("\n")}`,
      `remove it, or run \`wt claude install --scope ${conflicts[0]?.file.scope ?? options.scope} --replace\` to replace the handlers of that file`,
    );
  }
  const warnings = conflicts
    .filter((c) => c.file.file !== file)
    .map((c) => `${c.file.file} still has ${c.handler}: Claude Code runs it too (remove it there)`);
  for (const w of warnings) ctx.onWarning?.(w);
  const before = JSON.stringify(target.settings);
  const replaced = options.replace ? removeHandlers(target.settings, (h, e) => !isOurs(h, e)) : [];
  const commands = { create: `${options.prefix} hook claude-create`, remove: `${options.prefix} hook claude-remove` };
  upsertOurs(target.settings, "WorktreeCreate", commands.create);
  upsertOurs(target.settings, "WorktreeRemove", commands.remove);
  const changed = JSON.stringify(target.settings) !== before;
  if (changed) await writeSettings(file, target.settings);
  return { scope: options.scope, file, changed, commands, replaced, warnings };
}

/**
 * `wt claude uninstall`: removes wt's handlers (and only them) from the scope's settings file;
 * a group, event list or `hooks` object left empty by that goes too. Nothing else changes.
 * @throws ConfigError (2) for a broken settings file; UsageError (2) as `claudeSettingsFile`.
 */
export async function uninstallClaudeHooks(ctx: WtContext, scope: ClaudeScope): Promise<ClaudeInstallResult> {
  const file = await claudeSettingsFile(ctx, scope);
  const target = await readSettings(scope, file);
  const removed = removeHandlers(target.settings, isOurs);
  if (removed.length > 0) await writeSettings(file, target.settings);
  return { scope, file, changed: removed.length > 0, commands: null, replaced: [], warnings: [] };
}

/** One row of `wt claude status`. */
export interface ClaudeScopeStatus {
  scope: ClaudeScope;
  file: string;
  exists: boolean;
  /** true when both of wt's handlers are there. */
  installed: boolean;
  /** wt's handlers' commands found in the file. */
  commands: string[];
  /** Other WorktreeCreate/WorktreeRemove handlers (`"<event>: <command>"`): they race wt's. */
  conflicts: string[];
}

/**
 * `wt claude status`: for every scope's settings file, whether wt's hooks are installed and
 * which other worktree handlers would race them.
 * @throws ConfigError (2) for a broken settings file.
 */
export async function claudeHookStatus(ctx: WtContext): Promise<{ scopes: ClaudeScopeStatus[] }> {
  const all = await readAllScopes(ctx);
  return {
    scopes: all.map((f) => {
      const ours = (Object.keys(EVENTS) as HookEvent[]).map((e) =>
        groupsOf(f.settings, e).flatMap((g) => g.hooks.filter((h) => isOurs(h, e)).map(describeHandler)),
      );
      return {
        scope: f.scope,
        file: f.file,
        exists: f.exists,
        installed: ours.every((list) => list.length > 0),
        commands: ours.flat(),
        conflicts: foreignHandlers(f),
      };
    }),
  };
}

/** Sets wt's handler of `event` to `command`: the first one found is updated, others dropped; none -> a new group. */
function upsertOurs(settings: Settings, event: HookEvent, command: string): void {
  const handler = { type: "command", command, timeout: TIMEOUTS[event] };
  const groups = groupsOf(settings, event);
  let placed = false;
  for (const group of groups) {
    group.hooks = group.hooks.flatMap((h) => {
      if (!isOurs(h, event)) return [h];
      if (placed) return [];
      placed = true;
      return [{ ...(h as object), ...handler }];
    });
  }
  const kept = groups.filter((g) => g.hooks.length > 0);
  if (!placed) kept.push({ hooks: [handler] });
  if (settings.hooks === undefined) settings.hooks = {};
  (settings.hooks as Record<string, unknown>)[event] = kept;
}

/**
 * Removes the worktree-event handlers `drop` selects, then the groups, event lists and the
 * `hooks` object that this left empty (ones that were empty before stay).
 * @returns the removed handlers, described.
 */
function removeHandlers(settings: Settings, drop: (h: unknown, event: HookEvent) => boolean): string[] {
  const removed: string[] = [];
  const hooks = settings.hooks as Record<string, unknown> | undefined;
  if (hooks === undefined) return removed;
  for (const event of Object.keys(EVENTS) as HookEvent[]) {
    const groups = groupsOf(settings, event);
    if (groups.length === 0) continue;
    const kept = groups.filter((group) => {
      const before = group.hooks.length;
      group.hooks = group.hooks.filter((h) => {
        if (!drop(h, event)) return true;
        removed.push(`${event}: ${describeHandler(h)}`);
        return false;
      });
      return group.hooks.length > 0 || before === 0;
    });
    if (kept.length > 0) hooks[event] = kept;
    else delete hooks[event];
  }
  if (removed.length > 0 && Object.keys(hooks).length === 0) delete settings.hooks;
  return removed;
}

/** Writes a settings file atomically (a crash never leaves half of it), making `.claude/` as needed. */
async function writeSettings(file: string, settings: Settings): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, `${JSON.stringify(settings, null, 2)}\n`);
}
