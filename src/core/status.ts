import { realpathSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { parseStatusV2, type WorktreeEntry } from "../git/parse.js";
import { listWorktrees, resolveCommit, resolveRepo } from "../git/repo.js";
import { git } from "../git/run.js";
import type { WtContext } from "./context.js";
import { WorktreeNotFoundError } from "./errors.js";
import { lstatOrNull } from "./fs-safe.js";
import { idKey, validateId } from "./names.js";
import { isListening } from "./ports.js";
import { defaultBase } from "./session.js";
import { readRecords, type WorktreeRecord } from "./state.js";

export type WorktreeState = "ok" | "missing" | "prunable" | "locked" | "incomplete" | "unmanaged";

export interface StatusDatabase {
  engine: "sqlite" | "duckdb";
  path: string;
  env: string;
  source: "empty" | "template";
  /** Size in bytes, or null when the file is missing. */
  size: number | null;
}

/** One row of `wt status` (CONTRACT.md). */
export interface StatusRow {
  id: string | null;
  name: string;
  branch: string | null;
  path: string;
  head: string | null;
  managed: boolean;
  state: WorktreeState;
  /** Why the state is what it is (lock reason, prunable reason), or null. */
  reason: string | null;
  dirty: boolean;
  /** Changed, staged and untracked paths (ignored ones and wt's own files excluded). */
  changes: number;
  /** Commits on the branch and not on the base, and the reverse; null when unknown. */
  ahead: number | null;
  behind: number | null;
  /** The base the counts are against. */
  base: string | null;
  ports: Record<string, number>;
  listening: Record<string, boolean>;
  databases: StatusDatabase[];
}

export interface StatusResult {
  /** The main worktree (absolute). */
  main: string;
  worktrees: StatusRow[];
}

/** How many worktrees `git status` runs in at once: about 4 is fastest on 2 cores (issue 5). */
const PARALLEL = 4;

/**
 * `wt status [<id>...]`: one row per worktree of the repository, managed or not, plus
 * managed worktrees git no longer knows. Never fails because of what a row says.
 * @throws UsageError (2) for an invalid id or outside a repository; WorktreeNotFoundError (3)
 *   for an id no managed worktree has.
 */
export async function getStatus(ctx: WtContext, ids: readonly string[] = []): Promise<StatusResult> {
  for (const id of ids) validateId(id);
  const repo = await resolveRepo(ctx.cwd);
  const [entries, records] = await Promise.all([
    listWorktrees(repo.mainPath),
    readRecords(repo.stateDir, (file) =>
      ctx.onWarning?.(`cannot read the record ${file}; its worktree shows as unmanaged (delete the file to forget it)`),
    ),
  ]);
  const byPath = new Map(records.map((r) => [r.path, r]));
  const rows: { entry: WorktreeEntry | null; record: WorktreeRecord | null }[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = realOr(entry.path);
    const record = byPath.get(key) ?? byPath.get(entry.path) ?? null;
    if (record) seen.add(record.path);
    rows.push({ entry, record });
  }
  for (const record of records) {
    if (!seen.has(record.path)) rows.push({ entry: null, record });
  }
  let selected = rows;
  if (ids.length > 0) {
    selected = ids.map((id) => {
      const row = rows.find((r) => r.record && idKey(r.record.id) === idKey(id));
      if (!row) throw new WorktreeNotFoundError(id);
      return row;
    });
  }
  let unmanagedBase: Promise<string | null> | null = null;
  const baseFor = (record: WorktreeRecord | null) => {
    if (record) return Promise.resolve(record.base);
    unmanagedBase ??= defaultBase(repo).catch(() => null);
    return unmanagedBase;
  };
  // Each distinct base resolved once: a worktree whose HEAD is its base's commit is 0/0
  // without running rev-list (the common case right after `wt create`).
  const baseCommits = new Map<string, Promise<string | null>>();
  const commitOf = (base: string) => {
    let p = baseCommits.get(base);
    if (!p) {
      p = resolveCommit(repo.mainPath, base).catch(() => null);
      baseCommits.set(base, p);
    }
    return p;
  };
  const mainReal = repo.mainPath;
  const worktrees = await mapLimit(selected, PARALLEL, ({ entry, record }) =>
    buildRow(entry, record, entry !== null && realOr(entry.path) === mainReal && !repo.bare, baseFor(record), commitOf),
  );
  return { main: repo.mainPath, worktrees };
}

async function buildRow(
  entry: WorktreeEntry | null,
  record: WorktreeRecord | null,
  isMain: boolean,
  basePromise: Promise<string | null>,
  commitOf: (base: string) => Promise<string | null>,
): Promise<StatusRow> {
  const folder = record?.path ?? (entry as WorktreeEntry).path;
  const exists = entry?.bare ? true : (await lstatOrNull(folder)) !== null;
  let state: WorktreeState;
  let reason: string | null = null;
  if (record && record.state !== "ready") {
    state = "incomplete";
    reason =
      record.state === "creating" ? `create did not finish (pid ${record.pid})` : "postCreate hooks have not succeeded";
  } else if (!exists || (record && entry === null)) {
    state = record ? "missing" : "prunable";
    reason = entry?.prunable ?? (exists ? "git no longer lists this worktree" : "folder is gone");
  } else if (entry?.prunable !== null && entry?.prunable !== undefined) {
    state = "prunable";
    reason = entry.prunable;
  } else if (entry?.locked !== null && entry?.locked !== undefined) {
    state = "locked";
    reason = entry.locked || "locked";
  } else {
    state = record || isMain ? "ok" : "unmanaged";
  }
  const base = await basePromise;
  const canRunGit = exists && entry !== null && !entry.bare;
  const [changes, counts, listening, databases] = await Promise.all([
    canRunGit ? countChanges(folder) : Promise.resolve(0),
    canRunGit && base ? aheadBehind(folder, base, entry?.head ?? null, commitOf) : Promise.resolve(null),
    listeningPorts(record?.ports ?? {}),
    Promise.all((record?.databases ?? []).map(async (db) => ({ ...db, size: await sizeOf(db.path) }))),
  ]);
  return {
    id: record?.id ?? null,
    name: record?.name ?? path.basename(folder),
    branch: record?.branch ?? entry?.branch ?? null,
    path: folder,
    head: entry?.head ?? null,
    managed: record !== null,
    state,
    reason,
    dirty: changes > 0,
    changes,
    ahead: counts?.ahead ?? null,
    behind: counts?.behind ?? null,
    base,
    ports: record?.ports ?? {},
    listening,
    databases,
  };
}

/** Number of paths `git status` reports (untracked included, ignored excluded). */
async function countChanges(worktree: string): Promise<number> {
  try {
    const r = await git(["status", "--porcelain=v2", "-z"], { cwd: worktree });
    return parseStatusV2(r.stdout).filter((e) => e.kind !== "ignored").length;
  } catch {
    return 0;
  }
}

/** `rev-list --left-right --count base...HEAD`: left = only on the base (behind), right = ahead. */
async function aheadBehind(
  worktree: string,
  base: string,
  head: string | null,
  commitOf: (base: string) => Promise<string | null>,
): Promise<{ ahead: number; behind: number } | null> {
  if (head !== null && (await commitOf(base)) === head) return { ahead: 0, behind: 0 };
  try {
    const r = await git(["rev-list", "--left-right", "--count", "--end-of-options", `${base}...HEAD`], {
      cwd: worktree,
    });
    const [behind, ahead] = r.stdout.trim().split(/\s+/).map(Number);
    if (behind === undefined || ahead === undefined || Number.isNaN(behind) || Number.isNaN(ahead)) return null;
    return { ahead, behind };
  } catch {
    return null;
  }
}

async function listeningPorts(ports: Record<string, number>): Promise<Record<string, boolean>> {
  const entries = Object.entries(ports);
  const up = await Promise.all(entries.map(([, port]) => isListening(port)));
  return Object.fromEntries(entries.map(([name], i) => [name, up[i] === true]));
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Maps with at most `limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
