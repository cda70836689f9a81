import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { compareText, idKey } from "./names.js";

/** A path `.worktreeinclude` brought into a worktree. */
export interface IncludedEntry {
  /** Relative to the worktree root, `/`-separated, no trailing slash. */
  path: string;
  mode: "copy" | "symlink";
  /** For a copied file: what it was right after the copy, to tell the user it was edited since. */
  fingerprint?: FileFingerprint;
  /**
   * For a copied folder: when the copy began (ms since the epoch). The copy keeps the main
   * worktree's times (`cp -a`), so anything in it changed later (a file edited or added, an
   * entry removed from a folder) has a later mtime.
   */
  copiedAtMs?: number;
}

/** Size and SHA-256 of a file (files over 1 MiB: size, mtime in ms and inode, to stay fast). */
export interface FileFingerprint {
  size: number;
  sha256?: string;
  mtimeMs?: number;
  /** Status-change time (ms): an in-place overwrite that restores size and mtime still moves it. */
  ctimeMs?: number;
  /** Absent in records of older wt. */
  ino?: number;
}

/** A database file `wt` made for a worktree. */
export interface DatabaseRecord {
  engine: "sqlite" | "duckdb";
  /** Absolute path of the file. */
  path: string;
  /** Variable holding the path. */
  env: string;
  source: "empty" | "template";
}

/**
 * What `wt` knows about one managed worktree, stored as
 * `<git-common-dir>/wt/worktrees/<id lower-cased>.json`.
 */
export interface WorktreeRecord {
  version: 1;
  id: string;
  name: string;
  branch: string;
  /** Absolute worktree folder. */
  path: string;
  /** The base as given (`origin/main`), for ahead/behind and "merged". */
  base: string;
  /** Commit the base resolved to when the worktree was created. */
  baseCommit: string;
  /** True when this worktree's create made the branch (so a rollback deletes it). */
  createdBranch: boolean;
  slot: number;
  /** Variable -> port. */
  ports: Record<string, number>;
  /** Env file, relative to the worktree. */
  envFile: string;
  /** Variables from the config's `env`, expanded. */
  env: Record<string, string>;
  /**
   * `envLineDigests` of the env file's lines that are not wt's variables when wt wrote it (an
   * include's copy of the same file) and once the postCreate hooks ran: any other line there
   * is the user's, and cleanup and release refuse to delete it unseen. Absent in records of
   * older wt (then: none when no include brought the file, else not checked).
   */
  envLines?: string[];
  included: IncludedEntry[];
  databases: DatabaseRecord[];
  /** Exact entries this worktree added to `<git-common-dir>/info/exclude`. */
  excludes: string[];
  /**
   * `creating`: a create is (or was, if its process died) under way; `hooks-pending`:
   * everything exists but postCreate hooks have not all succeeded; `ready`: done;
   * `removing`: a cleanup checked it safe and runs its preCleanup hooks outside the repository
   * lock (a live `pid` makes other creates and cleanups of it exit 4, `in-progress`).
   */
  state: "creating" | "hooks-pending" | "ready" | "removing";
  /** Process id of the `wt` that last wrote the record. */
  pid: number;
  /** ISO time of creation. */
  createdAt: string;
  /**
   * The outermost folder `git worktree add` had to make for this worktree (`../app-worktrees`),
   * or one handed over by a worktree cleaned up before it: cleanup removes it once empty.
   */
  madeFolder?: string;
  /** Set when the worktree is a claimed pool slot (`wt release` gives it back): its warm key. */
  pool?: { warmKey: string; warmFiles?: string[] };
  /**
   * True when `wt adopt` made an existing worktree (plain git, Codex, Cursor) a managed one:
   * wt made neither the folder nor the branch. `branch` is "" when its HEAD was detached.
   */
  adopted?: boolean;
}

const RECORDS = "worktrees";

function recordFile(stateDir: string, id: string): string {
  return path.join(stateDir, RECORDS, `${idKey(id)}.json`);
}

/** Where the manifest of what `wt create` copied for `id` lives (`copy-manifest.ts`), beside the record. */
export function copyManifestFile(stateDir: string, id: string): string {
  return path.join(stateDir, "copies", `${idKey(id)}.json`);
}

/** When the record of `id` was last written (ms since the epoch), or null when it has none. */
export function recordWrittenAtMs(stateDir: string, id: string): number | null {
  try {
    return statSync(recordFile(stateDir, id)).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * All records, sorted by id. An unreadable record file is skipped and passed to
 * `onUnreadable` (status warns about it: its worktree then shows as unmanaged).
 */
export async function readRecords(stateDir: string, onUnreadable?: (file: string) => void): Promise<WorktreeRecord[]> {
  let names: string[];
  try {
    names = readdirSync(path.join(stateDir, RECORDS));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  // Read synchronously: a record is a few hundred bytes, and fs.promises' open/stat/read/close
  // per file cost `wt status` of 50 worktrees ~10 ms (issue 5).
  const records: WorktreeRecord[] = [];
  for (const n of names) {
    if (!n.endsWith(".json")) continue;
    const file = path.join(stateDir, RECORDS, n);
    try {
      records.push(JSON.parse(readFileSync(file, "utf8")) as WorktreeRecord);
    } catch {
      onUnreadable?.(file);
    }
  }
  return records.sort((a, b) => compareText(a.id, b.id));
}

/** The record of `id` (case-insensitive), or null. */
export async function readRecord(stateDir: string, id: string): Promise<WorktreeRecord | null> {
  try {
    // Synchronous: a few hundred bytes, and `wt path` reads nothing else.
    return JSON.parse(readFileSync(recordFile(stateDir, id), "utf8")) as WorktreeRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** Writes the record atomically (temp file + rename), so a crash never leaves half a record. */
export async function writeRecord(stateDir: string, record: WorktreeRecord): Promise<void> {
  await mkdir(path.join(stateDir, RECORDS), { recursive: true });
  // Loaded on the first write: `wt path` and `wt status` only read records.
  const { writeAtomic } = await import("./atomic.js");
  await writeAtomic(recordFile(stateDir, record.id), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record of `id` and its copy manifest; missing ones are fine. */
export async function deleteRecord(stateDir: string, id: string): Promise<void> {
  await rm(recordFile(stateDir, id), { force: true });
  await rm(copyManifestFile(stateDir, id), { force: true });
}
