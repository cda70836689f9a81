import type { Dirent } from "node:fs";
import { readdirSync } from "node:fs";
import path from "node:path";
import { ignoredPaths, untrackedMatching } from "../../git/ignored.js";
import { compareText } from "../names.js";
import { gitAt, type Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { AuditReport, AuditScope, IgnoredRemoved } from "./types.js";

/** Sibling files listed one by one before they are shown as their folder with a count. */
const FILES_PER_FOLDER = 3;

/**
 * The checkout's part of cleanup's report: the ignored paths of the worktree that are not wt's
 * own (`git status --ignored=matching`; an ignored folder is counted, never followed through a
 * link), collapsed by folder, and which files are the user's (for `cleanup.protect`).
 * @throws GitError (exit 6)
 */
export async function auditFolder(record: WorktreeRecord, { session, owned }: AuditScope): Promise<AuditReport> {
  const isOwn = (rel: string) => owned.some((o) => rel === o || rel.startsWith(`${o}/`));
  const rows: IgnoredRemoved[] = [];
  const loose = new Map<string, string[]>();
  const folders: string[] = [];
  const files = new Set<string>();
  const nested: string[] = [];
  for (const entry of await ignoredPaths(gitAt(session, record.path))) {
    if (isOwn(entry.path)) continue;
    if (!entry.isDirectory) {
      files.add(entry.path);
      const folder = path.posix.dirname(entry.path);
      loose.set(folder, [...(loose.get(folder) ?? []), entry.path]);
      continue;
    }
    folders.push(entry.path);
    const n = await countFiles(path.join(record.path, entry.path), entry.path, isOwn, nested);
    if (n > 0) rows.push({ path: `${entry.path}/`, files: n });
  }
  for (const [folder, inFolder] of loose) {
    if (folder !== "." && inFolder.length > FILES_PER_FOLDER) rows.push({ path: `${folder}/`, files: inFolder.length });
    else rows.push(...inFolder.map((f) => ({ path: f, files: 1 })));
  }
  const userFile = (rel: string) => !isOwn(rel) && (files.has(rel) || folders.some((f) => rel.startsWith(`${f}/`)));
  return { ignored: rows.sort((a, b) => compareText(a.path, b.path)), userFile, nested: nested.sort(compareText) };
}

/**
 * Counts what is below `dir` (relative name `rel`) but folders, leaving out wt's own paths:
 * readdir only (entry types, no stat), links never followed, unreadable folders skipped, and
 * a yield to the event loop every 2000 entries so the repository lock keeps being refreshed.
 * A folder holding a `.git` (folder or file) is a repository of its own: added to `nested`.
 */
async function countFiles(
  dir: string,
  rel: string,
  isOwn: (rel: string) => boolean,
  nested: string[],
): Promise<number> {
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
      if (child.name === ".git" && (child.isDirectory() || child.isFile())) nested.push(at);
      if (child.isDirectory()) stack.push([path.join(abs, child.name), childRel]);
      else n++;
    }
  }
  return n;
}

/**
 * What deleting a pool slot (`folder`, no worktree record) would lose that `git status` does not
 * show: its ignored files matching `protect` (gitignore syntax, `cleanup.protect`) and the git
 * repositories of their own inside its ignored folders (`countFiles`), as paths relative to it.
 * The warm state is among them when the warm commands made such files; `wt pool fill` records
 * what it found right after warming (`PoolRecord.warmFiles`) so that only what came later counts.
 * @throws GitError (exit 6)
 */
export async function slotHeldFiles(session: Session, folder: string): Promise<string[]> {
  const at = gitAt(session, folder);
  const [matching, ignored] = await Promise.all([
    untrackedMatching(at, session.config.cleanup.protect),
    ignoredPaths(at),
  ]);
  const nested: string[] = [];
  for (const entry of ignored) {
    if (entry.isDirectory) await countFiles(path.join(folder, entry.path), entry.path, () => false, nested);
  }
  return [...new Set([...matching, ...nested])].sort(compareText);
}
