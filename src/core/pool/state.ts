import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { indexHasGitlinks } from "../../git/index-marks.js";
import { batchCheckObjects, gitlinksAt, type ObjectInfo } from "../../git/objects.js";
import { gitAtLeast, gitVersion } from "../../git/repo.js";
import type { GitAt } from "../../git/run.js";
import type { PoolConfig } from "../config.js";
import { expandTemplate } from "../names.js";

/** The lock reason of an idle slot: `git worktree list` shows it, `git worktree prune` respects it. */
export const POOL_LOCK_REASON = "wt pool slot";

/**
 * What wt knows about one slot in the pool dir, stored as `<git-common-dir>/wt/pool/<n>.json`.
 * A claimed slot has no pool record: it is a worktree, whose record carries `pool`.
 */
export interface PoolRecord {
  version: 1;
  /** The slot number (`{n}` of `pool.dir`). */
  n: number;
  /** Absolute folder. */
  path: string;
  /** The base as configured when the slot was made (`origin/main`). */
  base: string;
  /** The commit it is checked out at. */
  baseCommit: string;
  /** `warmKeyOf` the base when it was warmed. */
  warmKey: string;
  /** `warming`: made, its warm commands not yet all succeeded (pid runs them); `idle`: claimable. */
  state: "warming" | "idle";
  /**
   * The files deleting the slot would lose that its warm commands made (`slotHeldFiles` right
   * after warming: ignored files matching `cleanup.protect`, repositories inside ignored
   * folders); anything else of that kind found later is someone's work, and the slot is kept.
   */
  warmFiles?: string[];
  pid: number;
  createdAt: string;
}

function poolDir(stateDir: string): string {
  return path.join(stateDir, "pool");
}

/** The absolute folder of slot `n`: `pool.dir` with `{repo}` and `{n}`, from the main worktree. */
export function slotPath(pool: Pick<PoolConfig, "dir">, mainPath: string, repo: string, n: number): string {
  return path.resolve(mainPath, expandTemplate(pool.dir, { repo, n: String(n) }, "pool.dir"));
}

/** The folder holding every slot (`pool.dir` up to its `{n}` segment), for `.worktreeinclude`'s never-list. */
export function poolHolder(pool: Pick<PoolConfig, "dir">, mainPath: string, repo: string): string {
  const segments = pool.dir.split(/[\\/]/);
  const at = segments.findIndex((s) => s.includes("{n}"));
  return path.resolve(mainPath, expandTemplate(segments.slice(0, at).join("/"), { repo }, "pool.dir"));
}

/** Every pool record, by slot number; unreadable files are skipped (synchronous: tiny files, status reads them). */
export function readPoolRecords(stateDir: string): PoolRecord[] {
  let names: string[];
  try {
    names = readdirSync(poolDir(stateDir));
  } catch {
    return [];
  }
  const records: PoolRecord[] = [];
  for (const n of names.filter((f) => /^\d+\.json$/.test(f))) {
    try {
      records.push(JSON.parse(readFileSync(path.join(poolDir(stateDir), n), "utf8")) as PoolRecord);
    } catch {
      // A half-written or foreign file: the slot shows as damaged through git's listing.
    }
  }
  return records.sort((a, b) => a.n - b.n);
}

/** Writes a pool record atomically. */
export async function writePoolRecord(stateDir: string, record: PoolRecord): Promise<void> {
  await mkdir(poolDir(stateDir), { recursive: true });
  const { writeAtomic } = await import("../atomic.js");
  await writeAtomic(path.join(poolDir(stateDir), `${record.n}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the pool record of slot `n` (a missing one is fine). */
export async function deletePoolRecord(stateDir: string, n: number): Promise<void> {
  await rm(path.join(poolDir(stateDir), `${n}.json`), { force: true });
}

/**
 * The warm key of `commit`: SHA-256 over `path NUL object-id-or-"-" LF` of each `pool.warmKey`
 * file, in the configured order, the ids from one `git cat-file --batch-check` of
 * `<commit>:<path>` (`warmKeyNames`; gitrevisions(7)). git's blob id hashes the content, so the
 * key changes exactly when one of those files' content (or presence) does, and no file is read.
 * @throws GitError (exit 6)
 */
export async function warmKeyOf(at: GitAt, commit: string, files: readonly string[]): Promise<string> {
  const names = warmKeyNames(commit, files);
  const answers = await batchCheckObjects(at, names);
  return warmKeyFrom(files, names, await withGitlinks(at, commit, files, names, answers));
}

/**
 * `answers` (of `names`, `warmKeyNames` of `commit`) with each `missing` that names a gitlink
 * answered as git 2.46 and later answer it (`<oid> submodule`: the submodule's recorded commit),
 * so that a key naming a submodule's path follows its commit on every git. Asks git only when a
 * name is missing, git is older than 2.46 (or of unknown version) and the index of the worktree
 * at `at.cwd` holds a gitlink or cannot be read (`indexHasGitlinks`): one ls-tree (`gitlinksAt`).
 * @param commit the full object id of the commit the names ask about
 * @throws GitError (exit 6)
 */
export async function withGitlinks(
  at: GitAt,
  commit: string,
  files: readonly string[],
  names: readonly string[],
  answers: ReadonlyMap<string, ObjectInfo>,
): Promise<ReadonlyMap<string, ObjectInfo>> {
  const plain = (f: string) => f.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  // A path ls-tree cannot take as a plain relative name (absolute, pathspec magic) stays missing.
  const missing = files
    .filter((_, i) => answers.get(names[i] as string)?.state === "missing")
    .map(plain)
    .filter((f) => f !== "" && !f.startsWith("/") && !f.startsWith(":"));
  if (missing.length === 0 || gitAtLeast(await gitVersion(at), 2, 46)) return answers;
  // A missing file (a lock file this repository does not use) costs no process: only an index
  // with a submodule in it (or one that cannot be read) sends the names to ls-tree.
  if ((await indexHasGitlinks(at.cwd)) === false) return answers;
  const links = await gitlinksAt(at, commit, missing);
  if (links.size === 0) return answers;
  const out = new Map(answers);
  files.forEach((f, i) => {
    const oid = links.get(plain(f));
    if (oid !== undefined) out.set(names[i] as string, { state: "present", oid, type: "submodule", size: null });
  });
  return out;
}

/** The `cat-file --batch-check` names whose answers make the warm key of `commitish`, one per file. */
export function warmKeyNames(commitish: string, files: readonly string[]): string[] {
  return files.map((f) => `${commitish}:${f}`);
}

/**
 * The warm key from `answers` of `names` (`warmKeyNames`), asked in any batch: a create asks them
 * in its plan's one `cat-file` run. A name with no answer (none the batch can carry: a newline in
 * the path) counts as a missing file, as a missing path does; a gitlink counts by its commit
 * once `withGitlinks` has answered it (git before 2.46 says `missing` for one).
 */
export async function warmKeyFrom(
  files: readonly string[],
  names: readonly string[],
  answers: ReadonlyMap<string, ObjectInfo>,
): Promise<string> {
  // Imported here: `wt status` reads pool records through this module and needs no hash.
  const { createHash } = await import("node:crypto");
  const h = createHash("sha256");
  files.forEach((f, i) => {
    const info = answers.get(names[i] as string);
    h.update(`${f}\0${info?.state === "present" ? info.oid : "-"}\n`);
  });
  return h.digest("hex");
}

/** The lowest slot number no pool record and no claimed worktree uses. */
export function freeSlotNumber(taken: Iterable<number>): number {
  const used = new Set(taken);
  let n = 1;
  while (used.has(n)) n++;
  return n;
}
