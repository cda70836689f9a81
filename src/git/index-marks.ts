import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * What a read of a worktree's index file says about its entries' hiding bits: `none` when the
 * whole file was read as git's index format and no entry has the assume-valid bit
 * (`--assume-unchanged`) or the skip-worktree bit; `marked` when one has; `unknown` when it
 * cannot tell (no index, a split index, a format it does not know): then ask git.
 */
export type IndexMarks = "none" | "marked" | "unknown";

/** ce_flags (gitformat-index(5), "Index entry"): assume-valid, extended. */
const ASSUME_VALID = 0x8000;
const EXTENDED = 0x4000;
/** The extended flags' skip-worktree bit (version 3 and later). */
const SKIP_WORKTREE = 0x4000;
/** ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 each): before the object id. */
const STAT_BYTES = 40;

/**
 * Reads the index of the worktree whose top level is `folder` (its `.git` folder, or the git dir
 * its `.git` file names, as `git worktree add` writes it) and tells whether any entry is marked
 * (`IndexMarks`). The format is gitformat-index(5): versions 2-4, SHA-1 or SHA-256 object ids
 * (the one whose entries line up; each entry's name length is checked against its flags), the
 * extensions after the entries and the trailing hash. A split index (`link` extension) holds
 * entries in another file: `unknown`. Never throws.
 */
export async function indexMarks(folder: string): Promise<IndexMarks> {
  const scan = await scanIndex(folder);
  if (scan === null) return "unknown";
  return scan.marked ? "marked" : "none";
}

/**
 * Whether the index of the worktree whose top level is `folder` (read as `indexMarks` reads
 * it) has a gitlink entry (mode 160000, a submodule: gitformat-index(5), "32-bit mode"); null
 * when it cannot tell (then ask git). Never throws.
 */
export async function indexHasGitlinks(folder: string): Promise<boolean | null> {
  return (await scanIndex(folder))?.gitlink ?? null;
}

/** What one pass over an index file found; null when the file cannot be read as one (or is split). */
interface IndexScan {
  marked: boolean;
  gitlink: boolean;
}

async function scanIndex(folder: string): Promise<IndexScan | null> {
  const file = await indexFileOf(folder);
  const buf = file === null ? null : await readFile(file).catch(() => null);
  if (buf === null || buf.length < 12 || buf.toString("latin1", 0, 4) !== "DIRC") return null;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return null;
  for (const hashBytes of [20, 32]) {
    const found = scanEntries(buf, version, hashBytes);
    if (found !== undefined) return found;
  }
  return null;
}

/** `<folder>/.git/index`, or `<gitdir>/index` for a `.git` file `gitdir: <gitdir>`; null otherwise. */
async function indexFileOf(folder: string): Promise<string | null> {
  const dotGit = path.join(folder, ".git");
  const text = await readFile(dotGit, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "EISDIR" ? "" : null));
  return indexFileFrom(folder, text);
}

/**
 * `indexFileOf` with synchronous reads (one small file), for callers that check many
 * worktrees at once and pay more for a promise than for the read.
 */
export function indexFileOfSync(folder: string): string | null {
  const dotGit = path.join(folder, ".git");
  let text: string | null;
  try {
    text = readFileSync(dotGit, "utf8");
  } catch (e) {
    text = (e as NodeJS.ErrnoException).code === "EISDIR" ? "" : null;
  }
  return indexFileFrom(folder, text);
}

/** The index file named by `.git`'s content (`""` = a `.git` folder, null = unreadable). */
function indexFileFrom(folder: string, text: string | null): string | null {
  if (text === "") return path.join(folder, ".git", "index");
  const m = text === null ? null : /^gitdir: (.+)\n?$/.exec(text);
  return m ? path.join(path.resolve(folder, m[1] as string), "index") : null;
}

/**
 * The entries of `buf` read with `hashBytes`-byte object ids, then its extensions and trailing
 * hash. undefined when they do not line up (the other hash size, or a file this reader does not
 * know); null for a split index (entries in another file).
 */
function scanEntries(buf: Buffer, version: number, hashBytes: number): IndexScan | null | undefined {
  const count = buf.readUInt32BE(8);
  let pos = 12;
  let previousName = 0;
  let marked = false;
  let gitlink = false;
  // Bytes read by index, not through readUInt16BE or indexOf: a create or claim runs this once,
  // before V8 has optimised anything, and those calls cost ~3x the loop over 25,000 entries.
  for (let i = 0; i < count; i++) {
    const flagsAt = pos + STAT_BYTES + hashBytes;
    if (flagsAt + 2 > buf.length) return undefined;
    const flags = ((buf[flagsAt] as number) << 8) | (buf[flagsAt + 1] as number);
    let at = flagsAt + 2;
    let extended = 0;
    if (flags & EXTENDED) {
      if (version < 3 || at + 2 > buf.length) return undefined;
      extended = ((buf[at] as number) << 8) | (buf[at + 1] as number);
      at += 2;
    }
    const nameLength = flags & 0xfff;
    const name = version === 4 ? prefixName(buf, at, previousName) : paddedName(buf, pos, at, nameLength);
    if (name === null || (nameLength < 0xfff ? name.length !== nameLength : name.length < 0xfff)) return undefined;
    // Judged once the whole file has lined up with this hash size (a wrong size reads flags from an object id).
    if (flags & ASSUME_VALID || extended & SKIP_WORKTREE) marked = true;
    // The mode's object type (its top 4 of 16 low bits, after 24 bytes of ctime, mtime, dev, ino): 1110 is a gitlink.
    if (((buf[pos + 26] as number) & 0xf0) === 0xe0) gitlink = true;
    previousName = name.length;
    pos = name.next;
  }
  const rest = afterEntries(buf, pos, hashBytes);
  if (rest === null) return undefined;
  return rest === "unknown" ? null : { marked, gitlink };
}

/** Index of the first NUL at or after `from`, or -1. */
function nulFrom(buf: Buffer, from: number): number {
  for (let k = from; k < buf.length; k++) if (buf[k] === 0) return k;
  return -1;
}

/**
 * Versions 2 and 3: the name (`nameLength` bytes, from the flags; 0xfff means that many or
 * more), NUL-terminated and padded with NULs to a multiple of 8 bytes from `start`.
 */
function paddedName(
  buf: Buffer,
  start: number,
  at: number,
  nameLength: number,
): { length: number; next: number } | null {
  const nul = nameLength < 0xfff ? at + nameLength : nulFrom(buf, at + 0xfff);
  if (nul < 0 || buf[nul] !== 0) return null;
  const next = start + ((nul - start + 8) & ~7);
  if (next > buf.length || buf[next - 1] !== 0) return null;
  return { length: nul - at, next };
}

/**
 * Version 4: a varint (git's varint.c: 7 bits a byte, high bit "more", each continuation adding
 * one) of bytes to drop from the previous name, then the NUL-terminated rest; no padding.
 */
function prefixName(buf: Buffer, at: number, previous: number): { length: number; next: number } | null {
  let k = at;
  let c = buf[k++];
  if (c === undefined) return null;
  let strip = c & 127;
  while (c & 128) {
    c = buf[k++];
    if (c === undefined || strip > 0xffffff) return null;
    strip = ((strip + 1) << 7) + (c & 127);
  }
  const nul = nulFrom(buf, k);
  if (nul < 0 || strip > previous) return null;
  return { length: previous - strip + (nul - k), next: nul + 1 };
}

/** The extensions (4-byte signature, 4-byte size, data) and the trailing hash, exactly. */
function afterEntries(buf: Buffer, start: number, hashBytes: number): IndexMarks | null {
  let pos = start;
  let split = false;
  while (buf.length - pos > hashBytes) {
    if (pos + 8 > buf.length) return null;
    if (buf.toString("latin1", pos, pos + 4) === "link") split = true;
    pos += 8 + buf.readUInt32BE(pos + 4);
  }
  if (buf.length - pos !== hashBytes) return null;
  return split ? "unknown" : "none";
}
