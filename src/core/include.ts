import { mkdir, readdir, readFile, readlink, realpath, symlink } from "node:fs/promises";
import path from "node:path";
import type { Ignore } from "ignore";
import { ignoredUntracked } from "../git/refs.js";
import type { GitAt } from "../git/run.js";
import { copyTree } from "./copy.js";
import { type CopyManifest, changedInCopiedFolder } from "./copy-manifest.js";
import { isInside, lstatOrNull, safeJoin } from "./fs-safe.js";
import { nodeCrypto } from "./lazy-crypto.js";
import { compareText } from "./names.js";
import { readRegularFile } from "./read-regular.js";
import { requireCjs } from "./require-cjs.js";
import type { FileFingerprint, IncludedEntry } from "./state.js";

/** The file at the main worktree root that lists what to bring into new worktrees. */
export const INCLUDE_FILE = ".worktreeinclude";

/**
 * The text of `.worktreeinclude`, or null when there is none. `wt create` calls it before it
 * takes the repository lock, so a file that cannot be read is refused before anything waits.
 * @throws ConfigError (exit 2) when it is not a regular file of at most 1 MiB (`readRegularFile`).
 */
export async function readIncludeFile(mainPath: string): Promise<string | null> {
  return readRegularFile(path.join(mainPath, INCLUDE_FILE), mainPath);
}

/** One path to bring from the main worktree into a new one. */
export interface IncludePlanEntry {
  /** Relative to the worktree root, `/`-separated, no trailing slash. */
  path: string;
  isDirectory: boolean;
  mode: "copy" | "symlink";
}

/** `.worktreeinclude`'s text and the main worktree's ignored untracked paths (`ignoredUntracked`). */
export interface IncludeRead {
  text: string;
  /** Worktree-relative, folders ending with `/`. */
  listed: string[];
}

/**
 * Reads `.worktreeinclude` and, when there is one, lists git's ignored untracked paths of the
 * main worktree (`ls-files --others --ignored --exclude-standard --directory`, then
 * `check-ignore`): what `planIncludes` matches. Planning runs it beside its other git reads.
 * @param main the main worktree (`cwd`), the caller's environment, and what stops the listing
 * @param known the file's text when the caller read it already (null: there is none)
 * @returns null when there is no `.worktreeinclude`
 * @throws ConfigError (exit 2) as `readIncludeFile`; GitError (exit 6)
 */
export async function readIncludeCandidates(main: GitAt, known?: string | null): Promise<IncludeRead | null> {
  const text = known === undefined ? await readIncludeFile(main.cwd) : known;
  if (text === null) return null;
  return { text, listed: await ignoredUntracked(main) };
}

/**
 * Lists what `.worktreeinclude` (gitignore syntax) brings: paths that match it
 * **and** that git ignores in the main worktree. Tracked files never qualify. An ignored
 * folder git reports as a whole (`node_modules/`) is one entry; inside such a folder only
 * patterns with a slash (`config/local/*.json`) are looked for.
 *
 * Git lists the candidates (`ls-files --others --ignored --exclude-standard --directory`,
 * then `check-ignore` to drop folders git lists only because all they hold is ignored);
 * the `ignore` package matches them against `.worktreeinclude` and `include.symlink`.
 *
 * Folders in `neverBring` (worktrees, the folder holding them, wt's trash) are never brought,
 * nor anything inside them, and a matched folder that holds one (`.*` matching `.worktrees/`)
 * is not brought whole: its other entries are brought one by one. Copying it whole would copy
 * the other worktrees and, once `git worktree add` made it, the new worktree into itself.
 * @param read what `readIncludeCandidates` read, or null when there is no `.worktreeinclude`
 * @param mainPath the main worktree
 * @param symlinkPatterns `include.symlink` from the config (gitignore-style patterns)
 * @param envFile the env file path: never symlinked, since wt writes into it
 * @param neverBring absolute folders that are never include candidates (the main worktree
 *   itself in the list is ignored)
 * @returns entries in path order; [] when there is no `.worktreeinclude`.
 */
export async function planIncludes(
  read: IncludeRead | null,
  mainPath: string,
  symlinkPatterns: readonly string[],
  envFile: string,
  neverBring: readonly string[],
): Promise<IncludePlanEntry[]> {
  if (read === null) return [];
  const patterns = read.text.split(/\r?\n/);
  const ignore = requireCjs("ignore") as typeof import("ignore");
  const include = ignore().add(patterns);
  const linked = ignore().add([...symlinkPatterns]);
  const candidates = read.listed.map((p) => ({ path: p.replace(/\/$/, ""), isDirectory: p.endsWith("/") }));
  // Keep only the outermost ignored entries: git may also list what lies inside them.
  const outer = candidates.filter(
    (c) => !candidates.some((o) => o.isDirectory && o.path !== c.path && c.path.startsWith(`${o.path}/`)),
  );
  const inner = anchoredPatterns(patterns);
  const found: { path: string; isDirectory: boolean }[] = [];
  // Never read another worktree (`trees/1` while creating `trees/2`) or a nested repository.
  const never = neverBring.map((p) => path.resolve(p)).filter((p) => p !== path.resolve(mainPath));
  const walk: Walk = { mainPath, include, inner, found, never };
  for (const c of outer) {
    await collect(walk, c.path, c.isDirectory, false);
  }
  return found
    .sort((a, b) => compareText(a.path, b.path))
    .map((f) => ({
      ...f,
      mode: f.path !== envFile && matches(linked, f.path, f.isDirectory) ? "symlink" : "copy",
    }));
}

function matches(ig: Ignore, rel: string, isDirectory: boolean): boolean {
  return ig.ignores(isDirectory ? `${rel}/` : rel);
}

/**
 * The include patterns that name something below a folder (`config/local/*.json`), as
 * segment lists. Only they make `wt` look inside an ignored folder that is not itself matched.
 */
function anchoredPatterns(patterns: string[]): string[][] {
  const out: string[][] = [];
  for (const raw of patterns) {
    const p = raw.trim();
    if (p === "" || p.startsWith("#") || p.startsWith("!")) continue;
    const body = p.replace(/^\//, "").replace(/\/$/, "");
    if (!body.includes("/")) continue;
    out.push(body.split("/"));
  }
  return out;
}

/** Could a pattern's leading segments match the folder `rel`, so that it names something inside? */
function mayMatchInside(rel: string, inner: string[][]): boolean {
  const segs = rel.split("/");
  return inner.some((pattern) => {
    for (let i = 0; i < segs.length; i++) {
      const p = pattern[i];
      if (p === undefined) return false;
      if (p === "**") return true;
      if (!segmentRegExp(p).test(segs[i] as string)) return false;
    }
    return pattern.length > segs.length;
  });
}

function segmentRegExp(glob: string): RegExp {
  let re = "";
  for (const ch of glob) {
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

interface Walk {
  mainPath: string;
  include: Ignore;
  inner: string[][];
  found: { path: string; isDirectory: boolean }[];
  /** Absolute folders never brought (see `planIncludes`'s `neverBring`). */
  never: string[];
}

/**
 * Adds `rel` to `walk.found` when it is to be brought, or looks inside it.
 * @param matchedAbove a folder above `rel` matched but held a `never` folder, so its entries
 *   are brought one by one
 */
async function collect(walk: Walk, rel: string, isDirectory: boolean, matchedAbove: boolean): Promise<void> {
  const abs = path.join(walk.mainPath, rel);
  if (walk.never.some((p) => isInside(p, abs))) return;
  if (isDirectory && (await lstatOrNull(path.join(abs, ".git"))) !== null) return;
  const matched = matchedAbove || matches(walk.include, rel, isDirectory);
  const holdsNever = isDirectory && walk.never.some((p) => isInside(abs, p));
  if (matched && !holdsNever) {
    walk.found.push({ path: rel, isDirectory });
    return;
  }
  if (!isDirectory || !(matched || mayMatchInside(rel, walk.inner))) return;
  const children = await readdir(abs, { withFileTypes: true });
  for (const child of children) {
    await collect(walk, `${rel}/${child.name}`, child.isDirectory(), matched);
  }
}

/**
 * Brings one entry from `mainPath` into `worktree`: a copy (copy-on-write where the
 * filesystem can, modes and inner symlinks kept as they are) or a symlink to the main
 * worktree's path. Never overwrites: an existing destination (the branch's own file) wins.
 * @returns false when skipped because the destination exists.
 * @throws ConflictError when a folder on the destination's way is a symlink.
 */
export async function bringEntry(
  mainPath: string,
  worktree: string,
  entry: IncludePlanEntry,
  signal?: AbortSignal,
): Promise<boolean> {
  const source = path.join(mainPath, entry.path);
  const target = await safeJoin(worktree, entry.path);
  if ((await lstatOrNull(target)) !== null) return false;
  await mkdir(path.dirname(target), { recursive: true });
  if (entry.mode === "symlink") {
    await symlink(source, target, entry.isDirectory ? "dir" : "file");
  } else {
    await copyTree(await copySource(source, target, worktree, mainPath), target, signal);
  }
  return true;
}

/**
 * What a copy of `source` copies: `source` itself (a symlink verbatim, as `cp -a`), unless it is
 * a symlink that would lead the copy out of `worktree` into the main worktree (`mainPath`): an
 * absolute link, or a relative one climbing out (`.env -> /home/me/app/config/dev.env`), whose
 * copy would have every write in the worktree change the main worktree's file. Then the file
 * (or folder) it names is copied instead, as `cp` without `-P` does.
 */
async function copySource(source: string, target: string, worktree: string, mainPath: string): Promise<string> {
  if (!(await lstatOrNull(source))?.isSymbolicLink()) return source;
  const text = await readlink(source);
  if (!path.isAbsolute(text) && isInside(worktree, path.resolve(path.dirname(target), text))) return source;
  // A link to nothing is copied as it is: there is no content to copy. One to a file outside
  // the main worktree too: wt reads nothing outside it (docs/contract.md, ".worktreeinclude").
  const real = await realpath(source).catch(() => null);
  const main = await realpath(mainPath).catch(() => mainPath);
  return real !== null && isInside(main, real) ? real : source;
}

const HASH_LIMIT = 1024 * 1024;

/**
 * What a copied file is now: size and SHA-256 (size, mtime and inode for files over 1 MiB), or null
 * when it is gone or no longer a regular file.
 */
export async function fingerprintFile(file: string): Promise<FileFingerprint | null> {
  const st = await lstatOrNull(file);
  if (!st?.isFile()) return null;
  // Too big to hash at every cleanup: the inode tells a file moved over the copy (`mv` keeps mtimes).
  // ctime too: `cp -p` over it, or a write followed by utime(2), keeps inode, size and mtime.
  if (st.size > HASH_LIMIT) {
    return { size: st.size, mtimeMs: Math.trunc(st.mtimeMs), ctimeMs: Math.trunc(st.ctimeMs), ino: st.ino };
  }
  return {
    size: st.size,
    sha256: nodeCrypto()
      .createHash("sha256")
      .update(await readFile(file))
      .digest("hex"),
  };
}

/** How many changed paths `editedCopies` names inside one copied folder before it counts the rest. */
const FOLDER_LIST_LIMIT = 10;

/** What `editedCopies` found. */
export interface EditedCopies {
  /**
   * Worktree-relative paths of copies that differ from what wt copied, at most
   * `FOLDER_LIST_LIMIT` per folder followed by a line `<folder>/ (and N more changed files)`.
   */
  listed: string[];
  /** Every file in a copied folder at a path wt did not copy (known only from a copy manifest). */
  added: string[];
}

/**
 * The copies of a worktree that differ from what `wt` copied (edited since): a copied file
 * whose size or SHA-256 changed (over 1 MiB: size, mtime or inode), and inside a copied folder
 * every regular file that is new or whose inode, size or mtime differ from the manifest
 * `wt create` wrote (`copy-manifest.ts`). So a file moved in with an old mtime (`mv`, `tar x`,
 * `cp -p`) is found. A folder without a manifest (records of older wt, trees over
 * `MANIFEST_FILE_LIMIT`) falls back to times: every regular file whose mtime is after the copy
 * began (`copiedAtMs`). No walk goes through a symlink, unreadable folders are skipped, and
 * `own` (the files wt itself wrote there since: env file, databases and sidecars) is left out.
 * A file removed from a copied folder is not reported.
 * @param own absolute paths of wt's own files in the worktree
 * @param manifest the worktree's copy manifest, or null when it has none
 */
export async function editedCopies(
  worktree: string,
  included: readonly IncludedEntry[],
  own: ReadonlySet<string> = new Set(),
  manifest: CopyManifest | null = null,
): Promise<EditedCopies> {
  const found: EditedCopies = { listed: [], added: [] };
  for (const entry of included) {
    if (entry.fingerprint) {
      const now = await fingerprintFile(path.join(worktree, entry.path));
      if (now === null) continue;
      const was = entry.fingerprint;
      const otherInode = was.ino !== undefined && now.ino !== was.ino;
      const otherCtime = was.ctimeMs !== undefined && now.ctimeMs !== was.ctimeMs;
      const otherContent = now.size !== was.size || now.sha256 !== was.sha256 || now.mtimeMs !== was.mtimeMs;
      if (otherContent || otherInode || otherCtime) {
        found.listed.push(entry.path);
      }
    } else if (entry.copiedAtMs !== undefined) {
      const files = manifest?.folders[entry.path];
      let changed: string[];
      if (files) {
        const rows = await changedInCopiedFolder(worktree, entry.path, files, own);
        changed = rows.map((r) => r.path);
        found.added.push(...rows.filter((r) => r.kind === "new").map((r) => r.path));
      } else {
        changed = [];
        await collectChanged(path.join(worktree, entry.path), entry.path, entry.copiedAtMs, own, changed);
      }
      changed.sort(compareText);
      found.listed.push(...changed.slice(0, FOLDER_LIST_LIMIT));
      if (changed.length > FOLDER_LIST_LIMIT) {
        found.listed.push(`${entry.path}/ (and ${changed.length - FOLDER_LIST_LIMIT} more changed files)`);
      }
    }
  }
  return found;
}

/** Adds to `out` the regular files below `dir` (relative name `rel`) changed after `sinceMs`. */
async function collectChanged(
  dir: string,
  rel: string,
  sinceMs: number,
  own: ReadonlySet<string>,
  out: string[],
): Promise<void> {
  let children: import("node:fs").Dirent[];
  try {
    children = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // unreadable or gone: nothing to report from here
  }
  const files: string[] = [];
  for (const child of children) {
    const abs = path.join(dir, child.name);
    // Dirent types come from the entry itself, never from a link's target.
    if (child.isDirectory()) await collectChanged(abs, `${rel}/${child.name}`, sinceMs, own, out);
    else if (child.isFile() && !own.has(abs)) files.push(child.name);
  }
  const stats = await Promise.all(files.map((name) => lstatOrNull(path.join(dir, name))));
  stats.forEach((st, i) => {
    if (st?.isFile() && st.mtimeMs > sinceMs) out.push(`${rel}/${files[i]}`);
  });
}
