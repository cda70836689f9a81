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
  path: string;
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
 * index does not hold); a present one is compared with its index blob: regular files through
 * `git hash-object --stdin-paths` (the repository's clean filters and eol rules apply, as
 * `git add` would store it), symlinks by their target, submodules (gitlinks) left to the
 * submodule checks. Reads only: the index file itself (`indexMarks`), and git only when it
 * marks an entry or cannot be read.
 * @throws GitError (exit 6) when git fails, e.g. a marked file cannot be read
 */
export async function hiddenEdits(at: GitAt): Promise<HiddenEdit[]> {
  // Most indexes mark nothing: read in process (a few ms for 25,000 entries), without the
  // listing of every tracked file through a git process.
  if ((await indexMarks(at.cwd)) === "none") return [];
  const marked = markedEntries(await gitOut(["ls-files", "-v", "-s", "-z"], at));
  if (marked.length === 0) return [];
  const edits: HiddenEdit[] = [];
  const regular: MarkedEntry[] = [];
  for (const e of marked) {
    const st = await lstat(path.join(at.cwd, e.path)).catch(() => null);
    if (st === null || e.mode === "160000") continue;
    if (e.mode === "120000" && st.isSymbolicLink()) {
      if ((await linkOid(at, path.join(at.cwd, e.path))) !== e.oid) edits.push(e);
    } else if (st.isFile())
      regular.push(e); // with core.symlinks=false a link is a file of its target
    else edits.push(e); // a folder or a link where the index has a file: a change of type
  }
  if (regular.length > 0) {
    const input = regular.map((e) => `${quoteC(e.path)}\n`).join("");
    const oids = (await gitOut(["hash-object", "--stdin-paths"], { ...at, input })).split("\n");
    regular.forEach((e, i) => {
      if (oids[i] !== e.oid) edits.push(e);
    });
  }
  return edits.map(({ path: p, bit }) => ({ path: p, bit }));
}

/**
 * The marked entries of `git ls-files -v -s -z` (git-ls-files(1)): each record is
 * `<tag> <mode> <object> <stage>\t<path>`; tag `S` is skip-worktree, a lowercase tag
 * assume-unchanged (skip-worktree wins when both are set: `s`).
 */
export function markedEntries(output: string): MarkedEntry[] {
  const out: MarkedEntry[] = [];
  for (const record of output.split("\0")) {
    const tag = record[0];
    if (tag === undefined || record[1] !== " ") continue;
    const skip = tag === "S" || tag === "s";
    if (!skip && tag === tag.toUpperCase()) continue;
    const tab = record.indexOf("\t");
    const [mode = "", oid = ""] = record.slice(2, tab).split(" ");
    out.push({ path: record.slice(tab + 1), mode, oid, bit: skip ? "skip-worktree" : "assume-unchanged" });
  }
  return out;
}

/** The blob id git gives a symlink: the hash of its target text (`git hash-object --stdin`, no filters). */
async function linkOid(at: GitAt, file: string): Promise<string> {
  const target = await readlink(file);
  return (await git(["hash-object", "--stdin"], { ...at, input: target })).stdout.trim();
}

/**
 * `p` C-quoted as git unquotes a `--stdin-paths` line that starts with `"` (quote.c,
 * `unquote_c_style`): a path holding a newline, a carriage return or a leading quote then
 * names itself.
 */
export function quoteC(p: string): string {
  const escaped = p.replace(
    /[\\"\n\r\t]/g,
    (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] ?? c,
  );
  return `"${escaped}"`;
}
