import path from "node:path";
import { SIDECAR_SUFFIXES } from "../databases.js";
import { exactPattern } from "../exclude.js";
import { isInside } from "../fs-safe.js";
import type { WorktreeRecord } from "../state.js";

/** What the owned paths are computed from: a record, or the plan of one not yet made. */
export type OwnedSource = Pick<WorktreeRecord, "path" | "envFile" | "databases"> & {
  included: readonly { path: string }[];
};

/**
 * The one list of what wt itself writes into a worktree, worktree-relative and `/`-separated:
 * the env file, what `.worktreeinclude` brought, and the databases inside the worktree with
 * their sidecars. It feeds info/exclude at create and cleanup's "wt's own files" (never
 * reported as the user's ignored files), so the two cannot drift apart.
 */
export function ownedPaths(source: OwnedSource): string[] {
  const rels = new Set<string>([path.posix.normalize(source.envFile.replace(/\\/g, "/"))]);
  for (const e of source.included) rels.add(e.path);
  for (const db of source.databases) {
    if (!isInside(source.path, db.path)) continue;
    const rel = toPosix(path.relative(source.path, db.path));
    for (const suffix of ["", ...SIDECAR_SUFFIXES]) rels.add(`${rel}${suffix}`);
  }
  return [...rels];
}

/** Absolute paths of the files wt writes after the copies: the env file, databases and sidecars. */
export function ownFiles(record: WorktreeRecord): Set<string> {
  return new Set([
    path.join(record.path, record.envFile),
    ...record.databases.flatMap((d) => [d.path, ...SIDECAR_SUFFIXES.map((x) => `${d.path}${x}`)]),
  ]);
}

/**
 * The exact info/exclude patterns of `ownedPaths`, plus the worktree folder itself when it
 * lies inside the main worktree (`trees/101` must not show in the main worktree's status).
 */
export function excludePatterns(source: OwnedSource, mainPath: string): string[] {
  const patterns = ownedPaths(source).map(exactPattern);
  if (isInside(mainPath, source.path) && source.path !== mainPath) {
    patterns.push(`${exactPattern(toPosix(path.relative(mainPath, source.path)))}/`);
  }
  return patterns;
}

function toPosix(rel: string): string {
  return rel.split(path.sep).join("/");
}
