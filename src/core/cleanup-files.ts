import type { Dirent } from "node:fs";
import { readdirSync } from "node:fs";
import path from "node:path";
import { ignoredPaths, untrackedMatching } from "../git/ignored.js";
import type { GitAt } from "../git/run.js";
import { readCopyManifest } from "./copy-manifest.js";
import { DirtyWorktreeError } from "./errors.js";
import { editedCopies } from "./include.js";
import { compareText } from "./names.js";
import { ownedPaths, ownFiles } from "./provision/index.js";
import type { IgnoredRemoved, WorktreeFiles } from "./provision/types.js";

export type { IgnoredRemoved, WorktreeFiles } from "./provision/types.js";

import { gitAt, type Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";

/** Sibling files listed one by one before they are shown as their folder with a count. */
const FILES_PER_FOLDER = 3;

/**
 * Finds what `wt cleanup` deletes that `git status` does not show as a change: copies wt
 * made and the user edited since (`editedCopies`), and ignored paths wt did not make
 * (`git status --ignored=matching`; an ignored folder is counted, never followed through a
 * link). A file among them that wt did not bring and that matches `protect` (gitignore syntax,
 * config `cleanup.protect` of `session`) refuses the cleanup unless `force`.
 * @throws DirtyWorktreeError (exit 5, code `protected`, `details.files`) listing those files.
 */
export async function auditWorktreeFiles(
  session: Session,
  record: WorktreeRecord,
  force: boolean,
): Promise<WorktreeFiles> {
  const { stateDir } = session.repo;
  const protect = session.config.cleanup.protect;
  const copies = await editedCopies(record.path, record.included, ownFiles(record), readCopyManifest(stateDir, record));
  const { rows, isUserFile } = await userIgnored(gitAt(session, record.path), record);
  if (!force) {
    const added = new Set(copies.added);
    const matching = await untrackedMatching(gitAt(session, record.path), protect);
    const protectedFiles = matching.filter((p) => added.has(p) || isUserFile(p)).sort(compareText);
    if (protectedFiles.length > 0) refuseProtected(record, protect, protectedFiles);
  }
  return { edited: copies.listed, ignored: rows };
}

function refuseProtected(record: WorktreeRecord, protect: readonly string[], files: string[]): never {
  const shown = files.slice(0, 20).join("\n  ");
  const more = files.length > 20 ? `\n  … and ${files.length - 20} more` : "";
  throw new DirtyWorktreeError(
    `worktree ${record.id} holds files that cleanup.protect (${protect.join(", ")}) protects and wt did not bring:\n  ${shown}${more}`,
    `move them out of ${record.path}, or pass --force to delete them (config \`cleanup.protect\` sets the patterns)`,
    { id: record.id, files },
    "protected",
  );
}

/**
 * The ignored paths of the worktree that are not wt's own, collapsed by folder, and a test
 * telling whether a worktree-relative file is one of them (or inside one).
 */
async function userIgnored(
  at: GitAt,
  record: WorktreeRecord,
): Promise<{ rows: IgnoredRemoved[]; isUserFile: (rel: string) => boolean }> {
  const own = ownedPaths(record);
  const isOwn = (rel: string) => own.some((o) => rel === o || rel.startsWith(`${o}/`));
  const rows: IgnoredRemoved[] = [];
  const loose = new Map<string, string[]>();
  const folders: string[] = [];
  const files = new Set<string>();
  for (const entry of await ignoredPaths(at)) {
    if (isOwn(entry.path)) continue;
    if (!entry.isDirectory) {
      files.add(entry.path);
      const folder = path.posix.dirname(entry.path);
      loose.set(folder, [...(loose.get(folder) ?? []), entry.path]);
      continue;
    }
    folders.push(entry.path);
    const n = await countFiles(path.join(record.path, entry.path), entry.path, isOwn);
    if (n > 0) rows.push({ path: `${entry.path}/`, files: n });
  }
  for (const [folder, inFolder] of loose) {
    if (folder !== "." && inFolder.length > FILES_PER_FOLDER) rows.push({ path: `${folder}/`, files: inFolder.length });
    else rows.push(...inFolder.map((f) => ({ path: f, files: 1 })));
  }
  const isUserFile = (rel: string) => !isOwn(rel) && (files.has(rel) || folders.some((f) => rel.startsWith(`${f}/`)));
  return { rows: rows.sort((a, b) => compareText(a.path, b.path)), isUserFile };
}

/**
 * Counts what is below `dir` (relative name `rel`) but folders, leaving out wt's own paths:
 * readdir only (entry types, no stat), links never followed, unreadable folders skipped, and
 * a yield to the event loop every 2000 entries so the repository lock keeps being refreshed.
 */
async function countFiles(dir: string, rel: string, isOwn: (rel: string) => boolean): Promise<number> {
  let n = 0;
  let seen = 0;
  const stack: [string, string][] = [[dir, rel]];
  while (stack.length > 0) {
    const [abs, at] = stack.pop() as [string, string];
    let children: Dirent[];
    try {
      children = readdirSync(abs, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const child of children) {
      const childRel = `${at}/${child.name}`;
      if (++seen % 2000 === 0) await new Promise((r) => setImmediate(r));
      if (isOwn(childRel)) continue;
      if (child.isDirectory()) stack.push([path.join(abs, child.name), childRel]);
      else n++;
    }
  }
  return n;
}
