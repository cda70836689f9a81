import { GitError } from "./errors.js";
import { type GitAt, git } from "./run.js";

/** What `git cat-file --batch-check` says of one object name. */
export type ObjectInfo =
  /** It names an object: its id, type (`commit`, `tree`, `blob`, `tag`, `submodule`) and size in bytes. */
  | { state: "present"; oid: string; type: string; size: number | null }
  /** It names no object (also a `<rev>:<path>` whose path the tree lacks). */
  | { state: "missing" }
  /** A short object id that more than one object starts with. */
  | { state: "ambiguous" };

/** The arguments of `batchCheckObjects`: the default format (`<oid> SP <type> SP <size>`). */
export const BATCH_CHECK_ARGS = ["cat-file", "--batch-check", "--buffer"] as const;

/**
 * True when `name` can be written as one line of `cat-file --batch-check`'s stdin: git reads
 * the lines with `strbuf_getline`, which ends a name at LF and drops a CR before it, and a
 * NUL cannot pass through a process's stdin as text. No ref name can hold any of them
 * (git-check-ref-format(1): no control characters).
 */
export function batchSafeName(name: string): boolean {
  return !/[\n\r\0]/.test(name);
}

/**
 * Parses `git cat-file --batch-check` output for `names`, in order: one line per name,
 * `<oid> SP <type> SP <size>` for an object, `<name> SP missing`, `<name> SP ambiguous`
 * (git-cat-file(1), "BATCH OUTPUT"; git 2.46 and later write `<oid> SP submodule` for a
 * gitlink entry of `<rev>:<path>`). The name's own echo is matched exactly, so a name holding
 * spaces parses too.
 * @throws GitError (exit 6) when the output does not hold one such line per name.
 */
export function parseBatchCheck(names: readonly string[], output: string): ObjectInfo[] {
  const lines = output.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length !== names.length) throw unexpected(`${lines.length} line(s) for ${names.length} name(s)`);
  return names.map((name, i) => {
    const line = lines[i] as string;
    if (line === `${name} missing`) return { state: "missing" };
    if (line === `${name} ambiguous`) return { state: "ambiguous" };
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) ([a-z]+)(?: (\d+))?$/.exec(line);
    if (!m) throw unexpected(`${JSON.stringify(line)} for ${JSON.stringify(name)}`);
    return {
      state: "present",
      oid: m[1] as string,
      type: m[2] as string,
      size: m[3] === undefined ? null : Number(m[3]),
    };
  });
}

function unexpected(what: string): GitError {
  return new GitError("git", BATCH_CHECK_ARGS, 0, `unexpected cat-file --batch-check output: ${what}`);
}

/**
 * Looks up many object names (`main^{commit}`, `refs/heads/x`, `<rev>:<path>`) in one
 * `git cat-file --batch-check` run instead of one `rev-parse --verify` or `cat-file -e` each.
 * The names travel on stdin, never in argv, so a name starting with `-` is never read as an
 * option (what `--end-of-options` guards in the one-name verbs). git resolves each name as
 * `rev-parse --verify` does (gitrevisions(7)) and exits 0 whatever it finds.
 * @returns each asked name's answer. A name `batchSafeName` refuses is not sent and not in the
 *   map: ask it with a one-name verb (`resolveCommit`, `catFileExists`).
 * @throws GitError (exit 6) when git fails or its output does not parse.
 */
export async function batchCheckObjects(at: GitAt, names: readonly string[]): Promise<Map<string, ObjectInfo>> {
  const asked = [...new Set(names.filter(batchSafeName))];
  const answers = new Map<string, ObjectInfo>();
  if (asked.length === 0) return answers;
  const r = await git(BATCH_CHECK_ARGS, { ...at, input: asked.map((n) => `${n}\n`).join("") });
  parseBatchCheck(asked, r.stdout).forEach((info, i) => {
    answers.set(asked[i] as string, info);
  });
  return answers;
}

/**
 * The gitlinks (submodule commits, mode 160000) among `paths` in `commit`'s tree, as path ->
 * commit id, from one `git --literal-pathspecs ls-tree -z --full-tree <commit> -- <paths>`: no
 * glob or pathspec magic in a name (git(1), --literal-pathspecs), from the top, and ls-tree lists `<mode> SP <type> SP <object> TAB
 * <path>` NUL for each (git-ls-tree(1)); an entry of another mode, or a path the tree lacks, is
 * not in the map. For git before 2.46, whose `cat-file --batch-check` says `missing` for a
 * gitlink's `<rev>:<path>` (git 2.46 release notes: it reports `submodule` since).
 * @param commit a full object id (never read as an option)
 * @throws GitError (exit 6) when git fails.
 */
export async function gitlinksAt(at: GitAt, commit: string, paths: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (paths.length === 0) return found;
  const r = await git(["--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--", ...paths], at);
  for (const item of r.stdout.split("\0")) {
    const m = /^160000 commit ([0-9a-f]{40}|[0-9a-f]{64})\t(.*)$/s.exec(item);
    if (m) found.set(m[2] as string, m[1] as string);
  }
  return found;
}
