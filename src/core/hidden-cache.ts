import { type BigIntStats, readFileSync, statSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { hiddenEdits } from "../git/hidden-edits.js";
import { indexFileOfSync, indexMarks } from "../git/index-marks.js";
import type { Env } from "../git/run.js";
import { nonce } from "./lazy-crypto.js";

/** The state file remembering which index files were read and marked no entry. */
const CACHE_FILE = "index-marks.json";

/**
 * How many edits `git status` cannot show each folder holds (`hiddenEdits`: tracked files
 * marked `--skip-worktree` or `--assume-unchanged` whose content differs from the index), for
 * `wt status`'s counts. Reading every index costs ~0.5 ms a 3,000-entry worktree (the file is
 * read whole and walked), ~40 ms over 50 worktrees, so an index already read and found to mark
 * no entry is remembered in `<stateDir>/index-marks.json` by its inode, size, mtime and ctime
 * (nanoseconds; git replaces the index through a lock file and rename, so any write changes
 * them): such a folder counts 0 without being read. Marked indexes are never remembered (their
 * files can change without the index changing). Only for display: cleanup, release and claim
 * always read (`statusPorcelain`). A failed read counts null ("unknown"). `all`: `folders`
 * are every worktree of the repository (entries for other folders are dropped).
 * @returns one count per folder, in order. Never throws.
 */
export async function hiddenEditCounts(
  folders: readonly string[],
  env: Env,
  stateDir: string,
  all: boolean,
): Promise<(number | null)[]> {
  const file = path.join(stateDir, CACHE_FILE);
  const known = readCache(file);
  // Every worktree asked: what is not among them is gone. A few asked: the others stay.
  const next: Record<string, string> = all ? {} : { ...known };
  for (const folder of folders) delete next[folder];
  const counts = await Promise.all(
    folders.map(async (folder) => {
      // Synchronous: ~20 us for both reads, less than a promise's round trip (50 folders at once).
      const index = indexFileOfSync(folder);
      // Stat first: a write after it changes the key, so a stale key never names a newer file.
      const st = index === null ? null : statOrNull(index);
      const key = st === null ? null : `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      if (key !== null && known[folder] === key) {
        next[folder] = key;
        return 0;
      }
      if (key !== null && (await indexMarks(folder)) === "none") {
        next[folder] = key;
        return 0;
      }
      return hiddenEdits({ cwd: folder, env }).then(
        (h) => h.length,
        () => null,
      );
    }),
  );
  if (!sameKeys(known, next)) await writeCache(file, next);
  return counts;
}

function statOrNull(file: string): BigIntStats | null {
  try {
    return statSync(file, { bigint: true });
  } catch {
    return null; // no index (or unreadable): read the hard way, never remembered
  }
}

function readCache(file: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : {};
  } catch {
    return {}; // none yet, or damaged: read every index
  }
}

function sameKeys(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}

/** Temp file and rename, no fsync: a cache lost in a crash is read again, never wrong. */
async function writeCache(file: string, data: Record<string, string>): Promise<void> {
  const tmp = `${file}.${process.pid}.${nonce()}.tmp`;
  await writeFile(tmp, JSON.stringify(data))
    .then(() => rename(tmp, file))
    .catch(() => unlink(tmp).catch(() => {})); // e.g. a read-only state folder: no cache, the counts stand
}
