import { realpathSync } from "node:fs";
import type { RepoContext } from "../git/discover.js";
import type { WorktreeEntry } from "../git/parse.js";
import { worktreeLinkProblem } from "../git/worktree-link.js";
import { shQuote } from "./envfile.js";
import { WorktreeNotFoundError } from "./errors.js";
import { lstatOrNull } from "./fs-safe.js";
import { idKey } from "./names.js";
import type { WorktreeRecord } from "./state.js";
import { trashedWorktree } from "./trash.js";

/** What `wt status` knows of one row before git runs in it. */
export interface RowFacts {
  entry: WorktreeEntry | null;
  record: WorktreeRecord | null;
  /** The folder the row is about (the record's when there is one). */
  folder: string;
  exists: boolean;
  /** The main worktree's row. */
  isMain: boolean;
  /** Why the folder's `.git` does not lead to this repository (`worktreeLinkProblem`), or null. */
  broken: string | null;
  /** When `broken` or the folder is gone: the trash entry holding the worktree a stopped cleanup moved there (`trashedWorktree`), or null. */
  trashed: string | null;
  /** True when git can run in the folder (it exists, git lists it, it is not bare or broken). */
  canRunGit: boolean;
}

/** One row to show: git's entry and wt's record of the same folder (either may be missing). */
export interface RowPair {
  entry: WorktreeEntry | null;
  record: WorktreeRecord | null;
}

/**
 * Pairs git's worktrees with wt's records by folder (records git no longer lists get a row of
 * their own), then keeps those `ids` name, in their order.
 * @throws WorktreeNotFoundError (exit 3) for an id no record has.
 */
export function selectRows(
  entries: readonly WorktreeEntry[],
  records: readonly WorktreeRecord[],
  ids: readonly string[],
): RowPair[] {
  const byPath = new Map(records.map((r) => [r.path, r]));
  const rows: RowPair[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const record = byPath.get(realOr(entry.path)) ?? byPath.get(entry.path) ?? null;
    if (record) seen.add(record.path);
    rows.push({ entry, record });
  }
  for (const record of records) {
    if (!seen.has(record.path)) rows.push({ entry: null, record });
  }
  if (ids.length === 0) return rows;
  return ids.map((id) => {
    const row = rows.find((r) => r.record && idKey(r.record.id) === idKey(id));
    if (!row) throw new WorktreeNotFoundError(id);
    return row;
  });
}

/** The facts of each row from the filesystem alone (no process per worktree). */
export function rowFacts(repo: RepoContext, selected: readonly RowPair[]): Promise<RowFacts[]> {
  const mainReal = repo.mainPath;
  return Promise.all(
    selected.map(async ({ entry, record }): Promise<RowFacts> => {
      const folder = record?.path ?? (entry as WorktreeEntry).path;
      const exists = entry?.bare ? true : (await lstatOrNull(folder)) !== null;
      const isMain = entry !== null && realOr(entry.path) === mainReal && !repo.bare;
      // Filesystem reads only (no process per worktree): is git's answer there about this worktree?
      const broken =
        exists && entry !== null && !entry.bare && !isMain ? worktreeLinkProblem(repo.commonDir, folder) : null;
      const trashed = broken === null && exists ? null : trashedWorktree(repo.stateDir, repo.commonDir, folder);
      return {
        entry,
        record,
        folder,
        exists,
        isMain,
        broken,
        trashed,
        canRunGit: exists && entry !== null && !entry.bare && broken === null,
      };
    }),
  );
}

/**
 * Why a row is `missing` or `prunable`: where a stopped cleanup left the folder (wt's trash),
 * git's prunable reason, or that git no longer lists it / its folder is gone.
 */
export function goneReason({
  entry,
  record,
  exists,
  trashed,
}: Pick<RowFacts, "entry" | "record" | "exists" | "trashed">): string {
  if (!exists && trashed !== null) {
    const where = `folder is gone: it is in wt's trash (${trashed}), left there by a stopped cleanup`;
    // git lists it at its trash path (`git worktree repair` run inside it): no wt verb moves it back (as doctor says).
    if (entry === null && record) {
      return `${where}, and git lists it there now: \`mv ${shQuote(trashed)} ${shQuote(record.path)}\`, then \`git worktree repair ${shQuote(record.path)}\` in the main worktree`;
    }
    return `${where}; \`wt doctor --fix\`${record ? ` or the next \`wt cleanup ${record.id}\`` : ""} puts it back`;
  }
  return entry?.prunable ?? (exists ? "git no longer lists this worktree" : "folder is gone");
}

/** `p` with its links resolved, or `p` itself when it cannot be. */
export function realOr(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}
