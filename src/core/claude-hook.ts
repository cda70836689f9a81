import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { isValidBranchName, resolveRepo } from "../git/repo.js";
import type { Env } from "../git/run.js";
import { cleanupWorktrees } from "./cleanup.js";
import type { WtContext } from "./context.js";
import { createWorktree } from "./create.js";
import { UsageError } from "./errors.js";
import { ID_PATTERN } from "./names.js";
import { fnv1a32 } from "./ports.js";
import { readRecords, type WorktreeRecord } from "./state.js";

/**
 * Claude Code's WorktreeCreate / WorktreeRemove command hooks (docs/contract.md, "Agents:
 * Claude Code hooks, trust"). Claude pipes one JSON object on stdin; the create hook must print
 * the worktree's path as the last non-empty line of stdout, and any non-zero exit aborts the
 * session's worktree (Claude Code hooks reference, "WorktreeCreate").
 */

/** The fields wt reads from a hook payload; every other field is ignored. */
export interface ClaudeHookPayload {
  /** WorktreeCreate: the slug (`bold-oak-a3f2`, `feat/auth`, `agent-<hash>`). */
  name?: string;
  /** WorktreeCreate: what older Claude Code docs called `name`. */
  worktree_name?: string;
  /** WorktreeRemove: the path the create hook printed. */
  worktree_path?: string;
}

/**
 * Parses the text Claude piped in. Only a JSON object is a payload.
 * @throws UsageError (exit 2) naming what was wrong, before anything is touched.
 */
export function parseHookPayload(text: string): ClaudeHookPayload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const shown = text.trim() === "" ? "nothing" : JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
    throw new UsageError(
      `the hook payload on stdin is not valid JSON (got ${shown}: ${(e as Error).message})`,
      'Claude Code pipes one JSON object; to try by hand: echo \'{"name":"demo"}\' | wt hook claude-create',
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(
      "the hook payload on stdin is not a JSON object",
      'pipe one JSON object, e.g. {"name":"demo"}',
    );
  }
  return value as ClaudeHookPayload;
}

/**
 * The wt id of a Claude worktree name, deterministic so a repeated payload finds the same
 * worktree: a name that is already a valid id is kept; otherwise every character outside
 * `A-Za-z0-9._-` (`/` included) becomes `-`, runs of `-` and of `.` shrink to one (git refuses
 * `..` in branch names), leading characters up to the first letter or digit are dropped, and so
 * are a trailing `.`/`-` and a `.lock` end (git-check-ref-format(1)). A result over 64 characters
 * keeps its first 55 and appends `-` and the FNV-1a hash of the whole name (8 hex digits), so two
 * long names that share a beginning stay apart. `feat/04-product-config` -> `feat-04-product-config`.
 * @throws UsageError (exit 2) when nothing usable is left (`///`, an all-unicode name).
 */
export function idForClaudeName(name: string): string {
  if (ID_PATTERN.test(name) && !name.includes("..") && !name.endsWith(".") && !name.endsWith(".lock")) return name;
  let id = name
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/-{2,}/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/\.lock$/i, "-lock")
    .replace(/[.-]+$/, "");
  if (id === "") {
    throw new UsageError(
      `the worktree name ${JSON.stringify(name)} has no letter or digit wt can use as an id`,
      "name the worktree with letters, digits, '.', '_', '-' or '/': claude --worktree feat/auth",
      "invalid-id",
    );
  }
  if (id.length > 64) id = `${id.slice(0, 55).replace(/[.-]+$/, "")}-${fnv1a32(name).toString(16).padStart(8, "0")}`;
  return id;
}

/** The create payload's name: `name`, else `worktree_name` (older docs). @throws UsageError (2). */
function payloadName(payload: ClaudeHookPayload): string {
  const name = typeof payload.name === "string" && payload.name !== "" ? payload.name : payload.worktree_name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new UsageError(
      "the WorktreeCreate payload has no `name` (nor `worktree_name`)",
      'Claude Code sends {"name": "<slug>", ...}; to try by hand: echo \'{"name":"demo"}\' | wt hook claude-create',
    );
  }
  return name.trim();
}

/** What `wt hook claude-create` made or found. */
export interface ClaudeCreateResult {
  id: string;
  /** The worktree folder as a real path: absolute, no `.`/`..`, no symlinked component. */
  path: string;
  /** false when the worktree already existed (a repeated or racing payload). */
  created: boolean;
  warnings: string[];
}

/**
 * `wt hook claude-create`: the normal create transaction (lock, slot, ports,
 * `.worktreeinclude` — Claude skips it when a WorktreeCreate hook is configured —, env file,
 * databases, postCreate hooks) for the id `idForClaudeName(name)` in the repository around
 * `ctx.cwd` (the session's folder: the main worktree, a subfolder or a linked worktree).
 * A name holding `/` that git accepts as a branch name is also the branch (`claude -w
 * feat/auth` works on `feat/auth`); else the `branch` template applies. An existing worktree
 * of that id is checked and returned (`created: false`), so two racing payloads of one name
 * make one worktree: the repository lock serialises them.
 * @returns the result; its `path` is what Claude must be told.
 * @throws UsageError (2) for a payload without a name; whatever `createWorktree` throws.
 */
export async function claudeCreate(ctx: WtContext, payload: ClaudeHookPayload): Promise<ClaudeCreateResult> {
  const name = payloadName(payload);
  const id = idForClaudeName(name);
  // TRUST GATE (issue 15 item 2): the postCreate hooks and databases[].init that this create
  // runs come from the repository. When `wt trust` lands, check trust here, before
  // createWorktree: a hook has no terminal to ask on (stdin is the payload), so an untrusted
  // repository must fail with exit 2 naming `wt trust` (or run with hooks: false if the
  // contract says so) — never run the commands unasked.
  const branch = name.includes("/") ? name : undefined;
  const result = await createWorktree(ctx, { id, branch: branch && (await branchAccepted(ctx, branch)) });
  const real = realpathSync(result.path);
  if (/[\r\n]/.test(real)) {
    throw new UsageError(
      `the worktree folder ${JSON.stringify(real)} holds a line break: Claude Code reads one line`,
      "set a `worktreeDir` without line breaks in wt.config.json",
    );
  }
  return { id: result.id, path: real, created: result.created, warnings: result.warnings };
}

/** `branch` when git accepts it as a branch name (git check-ref-format --branch), else undefined. */
async function branchAccepted(ctx: WtContext, branch: string): Promise<string | undefined> {
  const repo = await resolveRepo(ctx.cwd, ctx.env);
  return (await isValidBranchName({ cwd: repo.mainPath, env: ctx.env }, branch)) ? branch : undefined;
}

/** What `wt hook claude-remove` did. */
export interface ClaudeRemoveResult {
  /** `removed`: cleaned up; `gone`: the folder no longer exists; `unmanaged`: not a wt worktree. */
  outcome: "removed" | "gone" | "unmanaged";
  id: string | null;
  path: string | null;
  warnings: string[];
}

/**
 * `wt hook claude-remove`: cleans up the managed worktree at `worktree_path` with the normal
 * safety rules. A missing path, a folder that is gone or has no `.git`, and a folder wt does not
 * manage are not failures (`outcome` says which): Claude cannot block a removal, and a failing
 * WorktreeRemove leaves a row in its agents view that cannot be deleted.
 * @throws DirtyWorktreeError (5) and every other refusal of `cleanupWorktrees`: the worktree is kept.
 */
export async function claudeRemove(ctx: WtContext, payload: ClaudeHookPayload): Promise<ClaudeRemoveResult> {
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const given = payload.worktree_path;
  if (typeof given !== "string" || given === "") {
    warn("the WorktreeRemove payload has no `worktree_path`: nothing to remove");
    return { outcome: "gone", id: null, path: null, warnings };
  }
  const folder = path.resolve(ctx.cwd, given);
  if (!existsSync(path.join(folder, ".git"))) {
    warn(`${folder} is already gone (or is no git worktree): nothing to remove`);
    return { outcome: "gone", id: null, path: folder, warnings };
  }
  // The worktree itself tells its repository: the session may have moved anywhere since.
  const record = await recordAt(folder, ctx.env);
  if (record === null) {
    warn(`${folder} is not a worktree wt manages: left as it is`);
    return { outcome: "unmanaged", id: null, path: folder, warnings };
  }
  const result = await cleanupWorktrees({ ...ctx, cwd: folder }, { ids: [record.id] });
  warnings.push(...result.warnings.filter((w) => !warnings.includes(w)));
  return { outcome: "removed", id: record.id, path: folder, warnings };
}

/** The record of the managed worktree whose folder is `folder` (compared as real paths), or null. */
async function recordAt(folder: string, env: Env): Promise<WorktreeRecord | null> {
  let repo: Awaited<ReturnType<typeof resolveRepo>>;
  try {
    repo = await resolveRepo(folder, env);
  } catch {
    return null;
  }
  const real = realOrNull(folder);
  const records = await readRecords(repo.stateDir);
  return records.find((r) => r.path === folder || (real !== null && realOrNull(r.path) === real)) ?? null;
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}
