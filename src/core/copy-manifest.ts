import { type Dirent, lstatSync, readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { compareText } from "./names.js";
import { copyManifestFile, type WorktreeRecord } from "./state.js";

/**
 * What `wt create` copied into a worktree's copied folders, file by file, kept beside the
 * record (`<state dir>/copies/<id>.json`) so that `wt status` never reads it. Cleanup compares
 * the folder with it by identity (inode, size, mtime), not by time alone: `mv`, `tar x`,
 * `unzip` and `cp -p` keep old mtimes, but what they bring is a new path or a new inode.
 */
export interface CopyManifest {
  version: 1;
  /** The record's `createdAt`: a manifest left by an older worktree of the same id is ignored. */
  createdAt: string;
  /** Copied folder (worktree-relative) -> its regular files (`CopiedFile`). */
  folders: Record<string, CopiedFile[]>;
}

/**
 * One copied file: its path in the folder, inode, size, mtime and ctime (ms). The ctime catches
 * an in-place overwrite that keeps inode, size and mtime (`cp -p` over it, a write then utime(2)):
 * only the kernel sets it. Manifests of older wt have no ctime; it is then not compared.
 */
export type CopiedFile = [rel: string, ino: number, size: number, mtimeMs: number, ctimeMs?: number];

/** A file in a copied folder that is not what wt copied. */
export interface ChangedCopy {
  /** Worktree-relative. */
  path: string;
  /** `new`: wt did not copy this path; `changed`: another inode, size or mtime than the copy's. */
  kind: "new" | "changed";
}

/**
 * Files per worktree the manifest holds at most (about 80 bytes each on disk). A bigger copied
 * tree is left out, and cleanup falls back to comparing times for it.
 */
export const MANIFEST_FILE_LIMIT = 250_000;

/** Entries between two yields to the event loop, so the lock keeps being refreshed. */
const YIELD_EVERY = 2000;

/**
 * Calls `onFile` for every regular file below `root` (relative path, `/`-separated). Never
 * goes through a symlink (Dirent types are the entry's own), skips folders it cannot read,
 * and uses synchronous calls with a yield every `YIELD_EVERY` entries: for 30,000 files that
 * is several times faster than one promise per `lstat`.
 * @returns false when `onFile` returned false (stop), else true.
 */
async function walkFiles(
  root: string,
  onFile: (rel: string, st: import("node:fs").Stats) => boolean,
): Promise<boolean> {
  const stack: string[] = [""];
  let seen = 0;
  while (stack.length > 0) {
    const rel = stack.pop() as string;
    let children: Dirent[];
    try {
      children = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue; // unreadable or gone: nothing to compare there
    }
    for (const child of children) {
      const childRel = rel === "" ? child.name : `${rel}/${child.name}`;
      if (child.isDirectory()) stack.push(childRel);
      else if (child.isFile()) {
        const st = lstatOrNullSync(path.join(root, childRel));
        if (st?.isFile() && !onFile(childRel, st)) return false;
      }
      if (++seen % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    }
  }
  return true;
}

function lstatOrNullSync(file: string): import("node:fs").Stats | null {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

/**
 * The regular files of a folder wt just copied, with their identity.
 * @param budget how many more files the manifest may hold
 * @returns the files, or null when there are more than `budget` (the folder is then left out).
 */
export async function scanCopiedFolder(folder: string, budget: number): Promise<CopiedFile[] | null> {
  const files: CopiedFile[] = [];
  const complete = await walkFiles(folder, (rel, st) => {
    files.push([rel, st.ino, st.size, st.mtimeMs, st.ctimeMs]);
    return files.length <= budget;
  });
  return complete ? files : null;
}

/** Writes the manifest of `id` atomically (temp file + rename). */
export async function writeCopyManifest(stateDir: string, id: string, manifest: CopyManifest): Promise<void> {
  const file = copyManifestFile(stateDir, id);
  await mkdir(path.dirname(file), { recursive: true });
  const { writeAtomic } = await import("./atomic.js");
  await writeAtomic(file, `${JSON.stringify(manifest)}\n`);
}

/** The manifest of `record`, or null when there is none for this very worktree (older records). */
export function readCopyManifest(stateDir: string, record: WorktreeRecord): CopyManifest | null {
  try {
    const m = JSON.parse(readFileSync(copyManifestFile(stateDir, record.id), "utf8")) as CopyManifest;
    return m.version === 1 && m.createdAt === record.createdAt && typeof m.folders === "object" ? m : null;
  } catch {
    return null;
  }
}

/**
 * Compares a copied folder of the worktree with what wt copied into it: a regular file at a
 * path wt did not copy is `new`, one whose inode, size, mtime or ctime differ is `changed`. Files
 * removed since are not reported (nothing of the user's is lost with them).
 * @param folderRel the copied folder, worktree-relative
 * @param own absolute paths of wt's own files there (env file, databases and sidecars)
 * @returns worktree-relative paths in path order.
 */
export async function changedInCopiedFolder(
  worktree: string,
  folderRel: string,
  files: readonly CopiedFile[],
  own: ReadonlySet<string>,
): Promise<ChangedCopy[]> {
  const copied = new Map(files.map((f) => [f[0], f]));
  const folder = path.join(worktree, folderRel);
  const out: ChangedCopy[] = [];
  await walkFiles(folder, (rel, st) => {
    if (own.has(path.join(folder, rel))) return true;
    const was = copied.get(rel);
    if (was === undefined) out.push({ path: `${folderRel}/${rel}`, kind: "new" });
    else if (
      was[1] !== st.ino ||
      was[2] !== st.size ||
      was[3] !== st.mtimeMs ||
      (was[4] ?? st.ctimeMs) !== st.ctimeMs
    ) {
      out.push({ path: `${folderRel}/${rel}`, kind: "changed" });
    }
    return true;
  });
  return out.sort((a, b) => compareText(a.path, b.path));
}
