import { type BigIntStats, readFileSync, statSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LimitFunction } from "p-limit";
import { hiddenEdits } from "../git/hidden-edits.js";
import { indexFileOfSync, indexMarks } from "../git/index-marks.js";
import type { Env } from "../git/run.js";
import { nonce } from "./lazy-crypto.js";

/** The state file remembering which index files were read and marked no entry. */
const CACHE_FILE = "index-marks.json";

/**
 * The edits `git status` cannot show in each folder (`hiddenEdits`: tracked files
 * marked `--skip-worktree` or `--assume-unchanged` whose content differs from the index), for
 * `wt status`'s counts. Reading every index costs ~0.5 ms a 3,000-entry worktree (the file is
 * read whole and walked), ~40 ms over 50 worktrees, so an index already read and found to mark
 * no entry is remembered in `<stateDir>/index-marks.json` by its inode, size, mtime and ctime
 * (nanoseconds; git replaces the index through a lock file and rename, so a later write
 * changes them): such a folder has none without being read. An index written in the last
 * `SETTLED_NS` is not remembered: on a file system with 1-second times, a rename reusing the
 * freed inode within the same second could give another index the same key (the racy case of
 * git's own index, racy-git.txt). Marked indexes are never remembered (their
 * files can change without the index changing). Only for display: cleanup, release and claim
 * always read (`statusPorcelain`). A failed read is null ("unknown"). `all`: `folders`
 * are every worktree of the repository (entries for other folders are dropped).
 * @returns per folder, in order, the paths of those edits ('/'-separated, from the top), or null
 *   when unknown. Never throws.
 */
export async function hiddenEditPaths(
  folders: readonly string[],
  env: Env,
  stateDir: string,
  all: boolean,
): Promise<(string[] | null)[]> {
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
        return [];
      }
      if (key !== null && (await indexMarks(folder)) === "none") {
        if (settled(st as BigIntStats)) next[folder] = key;
        return [];
      }
      limiter ??= newLimiter();
      const limit = await limiter;
      return limit(() => hiddenEdits({ cwd: folder, env })).then(
        (h) => h.map((x) => x.path),
        () => null,
      );
    }),
  );
  if (!sameKeys(known, next)) await writeCache(file, next);
  return counts;
}

/**
 * How many marked worktrees are checked at once: each check is up to two git processes (`git
 * ls-files`, `git hash-object`), and 50 sparse worktrees at once would start 100. p-limit is
 * loaded only when an index marks an entry (most do not).
 */
const MARKED_AT_ONCE = 4;
let limiter: Promise<LimitFunction> | undefined;

async function newLimiter(): Promise<LimitFunction> {
  const { default: pLimit } = await import("p-limit");
  return pLimit(MARKED_AT_ONCE);
}

/** How old an index must be to be remembered (ns): more than any file system's time granularity here (FAT: 2 s). */
const SETTLED_NS = 3_000_000_000n;

/**
 * Whether the index was written more than `SETTLED_NS` ago by this clock (its mtime: git
 * writes a new file and renames it, so a later write has a later mtime; a file's mtime set
 * back by hand changes its ctime, which is in the key).
 */
function settled(st: BigIntStats): boolean {
  return BigInt(Date.now()) * 1_000_000n - st.mtimeNs > SETTLED_NS;
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
