import { lstat, readlink } from "node:fs/promises";
import path from "node:path";
import { indexMarks } from "./index-marks.js";
import { type GitAt, git, gitOut } from "./run.js";

/** A tracked file edited where `git status` does not look (see `hiddenEdits`). */
export interface HiddenEdit {
  /** Path relative to the worktree's top level, '/'-separated as git writes it. */
  path: string;
  /** The index bit that hides the edit from `git status`. */
  bit: "skip-worktree" | "assume-unchanged";
}

/** One index entry marked so that git does not look at its file. */
interface MarkedEntry {
  /** For display: the name's bytes read as UTF-8 (a byte that is not UTF-8 shows as U+FFFD). */
  path: string;
  /** The name's bytes, as the file system has them (a name need not be UTF-8). */
  name: Buffer;
  /** The name as `git ls-files` wrote it: plain, or C-quoted (a `--stdin-paths` line as is). */
  field: string;
  mode: string;
  oid: string;
  bit: HiddenEdit["bit"];
}

/**
 * The tracked files of the worktree at `at.cwd` whose content differs from the index although
 * `git status` (and `git worktree remove`) cannot say so: entries marked `--assume-unchanged`
 * or `--skip-worktree` (git-update-index(1), "Using 'assume unchanged' bit" and "Skip-worktree
 * bit": git then takes the file as unchanged without looking at it). A marked file that is
 * absent is no edit (a sparse checkout leaves such files out, and a deletion loses nothing the
 * index does not hold); a present one is compared with its index entry: regular files by their
 * executable bit (when `core.fileMode` is on, as git compares it: `S_IXUSR`) and their content
 * through `git hash-object --stdin-paths` (the repository's clean filters and eol rules apply,
 * as `git add` would store it), symlinks by their target, a submodule (gitlink) by the commit
 * its checkout has (`git rev-parse --verify HEAD` there; an empty or uninitialised folder is no
 * edit). Reads only: the index file itself (`indexMarks`), and git only when it marks an entry
 * or cannot be read.
 * @throws GitError (exit 6) when git fails, e.g. a marked file cannot be read
 */
export async function hiddenEdits(at: GitAt): Promise<HiddenEdit[]> {
  // Most indexes mark nothing: read in process (a few ms for 25,000 entries), without the
  // listing of every tracked file through a git process.
  if ((await indexMarks(at.cwd)) === "none") return [];
  // Not -z: the C-quoted names (core.quotePath=true: every byte past ASCII as \ooo) keep names
  // that are not UTF-8 byte for byte, where a -z listing decoded as UTF-8 would not.
  const [listing, fileMode] = await Promise.all([
    gitOut(["-c", "core.quotePath=true", "ls-files", "-v", "-s"], at),
    honoursFileMode(at),
  ]);
  const marked = markedEntries(listing);
  if (marked.length === 0) return [];
  const edits: MarkedEntry[] = [];
  const regular: MarkedEntry[] = [];
  const top = Buffer.from(`${at.cwd}${path.sep}`);
  for (const e of marked) {
    const file = Buffer.concat([top, e.name]);
    const st = await lstatOrNull(file);
    if (st === null) continue; // absent: no edit
    if (e.mode === "160000") {
      if (st.isDirectory() && (await gitlinkMoved(at, file, e))) edits.push(e);
      else if (!st.isDirectory()) edits.push(e); // a file where the index has a submodule
    } else if (e.mode === "120000" && st.isSymbolicLink()) {
      if ((await linkOid(at, file)) !== e.oid) edits.push(e);
    } else if (st.isFile()) {
      // with core.symlinks=false a link is a file of its target (its mode is not compared)
      const executable = (st.mode & 0o100) !== 0;
      const modeChanged = fileMode && e.mode !== "120000" && executable !== (e.mode === "100755");
      if (modeChanged) edits.push(e);
      else regular.push(e);
    } else edits.push(e); // a folder or a link where the index has a file: a change of type
  }
  if (regular.length > 0) {
    const input = regular.map((e) => `${e.field}\n`).join("");
    const oids = (await gitOut(["hash-object", "--stdin-paths"], { ...at, input })).split("\n");
    regular.forEach((e, i) => {
      if (oids[i] !== e.oid) edits.push(e);
    });
  }
  return edits.map(({ path: p, bit }) => ({ path: p, bit }));
}

/**
 * The marked entries of `git ls-files -v -s` (git-ls-files(1)): each line is
 * `<tag> <mode> <object> <stage>\t<name>`, the name C-quoted when it holds a byte git calls
 * unusual; tag `S` is skip-worktree, a lowercase tag assume-unchanged (skip-worktree wins when
 * both are set: `s`).
 */
export function markedEntries(output: string): MarkedEntry[] {
  const out: MarkedEntry[] = [];
  for (const line of output.split("\n")) {
    const tag = line[0];
    if (tag === undefined || line[1] !== " ") continue;
    const skip = tag === "S" || tag === "s";
    if (!skip && tag === tag.toUpperCase()) continue;
    const tab = line.indexOf("\t");
    const [mode = "", oid = ""] = line.slice(2, tab).split(" ");
    const field = line.slice(tab + 1);
    const name = unquoteC(field);
    const bit = skip ? "skip-worktree" : "assume-unchanged";
    out.push({ path: name.toString("utf8"), name, field, mode, oid, bit });
  }
  return out;
}

/** lstat of a name's bytes; null when absent. @throws the error of an unreadable one (refused, not taken as absent) */
function lstatOrNull(file: Buffer) {
  return lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return null;
    throw err;
  });
}

/** `core.fileMode` (git-config(1); true unless set false): whether git compares executable bits. */
async function honoursFileMode(at: GitAt): Promise<boolean> {
  const r = await git(["config", "--type=bool", "--get", "core.fileMode"], { ...at, okCodes: [1] });
  return r.stdout.trim() !== "false";
}

/**
 * Whether the submodule checked out at `dir` is at another commit than its marked gitlink:
 * `git status` hides that move too. An empty folder or one without `.git` is an uninitialised
 * submodule (no edit); a name that is not UTF-8 cannot be a folder to run git in, so it counts
 * as an edit (refused, never guessed clean).
 * @throws GitError when its `.git` is there and git cannot read its HEAD
 */
async function gitlinkMoved(at: GitAt, dir: Buffer, e: MarkedEntry): Promise<boolean> {
  const cwd = dir.toString("utf8");
  if (!Buffer.from(cwd).equals(dir)) return true;
  if ((await lstatOrNull(Buffer.concat([dir, Buffer.from("/.git")]))) === null) return false;
  const head = await gitOut(["rev-parse", "--verify", "--quiet", "HEAD"], { cwd, env: at.env });
  return head.trim() !== e.oid;
}

/** The blob id git gives a symlink: the hash of its target's bytes (`git hash-object --stdin`, no filters). */
async function linkOid(at: GitAt, file: Buffer): Promise<string> {
  const target = await readlink(file, { encoding: "buffer" });
  return (await git(["hash-object", "--stdin"], { ...at, input: target })).stdout.trim();
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/**
 * The bytes of a name as git writes it: plain, or in double quotes with C escapes and `\ooo`
 * octal bytes (quote.c, `quote_c_style` / `unquote_c_style`).
 */
export function unquoteC(field: string): Buffer {
  if (!field.startsWith('"') || !field.endsWith('"') || field.length < 2) return Buffer.from(field);
  const body = Buffer.from(field.slice(1, -1));
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as number;
    if (c !== 92) {
      bytes.push(c);
      continue;
    }
    const next = String.fromCharCode(body[i + 1] ?? 0);
    if (next >= "0" && next <= "7") {
      bytes.push(Number.parseInt(body.subarray(i + 1, i + 4).toString(), 8));
      i += 3;
    } else {
      bytes.push(C_ESCAPES[next] ?? (body[i + 1] as number));
      i += 1;
    }
  }
  return Buffer.from(bytes);
}
