/**
 * Pure parsers for git's porcelain output. Every format here is the NUL-separated (`-z`)
 * one, because paths may contain spaces, quotes and even newlines.
 */

/** One entry of `git worktree list --porcelain -z`. */
export interface WorktreeEntry {
  /** Absolute path as git records it. */
  path: string;
  /** Commit checked out, or null for a bare entry or an unborn branch. */
  head: string | null;
  /** Short branch name (`feature/x`), or null when detached or bare. */
  branch: string | null;
  bare: boolean;
  detached: boolean;
  /** null when not locked; the reason ("" when none was given) when locked. */
  locked: string | null;
  /** null when not prunable; git's reason when prunable. */
  prunable: string | null;
}

/**
 * Parses `git worktree list --porcelain -z`. Records are runs of NUL-terminated fields,
 * ended by an empty field; each field is `key` or `key value` (git-worktree(1), "Porcelain
 * Format"). The first record is the main worktree (or the bare repository).
 */
export function parseWorktreeList(output: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | null = null;
  for (const field of output.split("\0")) {
    if (field === "") {
      if (current) entries.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(" ");
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      if (current) entries.push(current);
      current = {
        path: value,
        head: null,
        branch: null,
        bare: false,
        detached: false,
        locked: null,
        prunable: null,
      };
      continue;
    }
    if (!current) continue;
    switch (key) {
      case "HEAD":
        current.head = /^0+$/.test(value) ? null : value;
        break;
      case "branch":
        current.branch = value.startsWith("refs/heads/") ? value.slice("refs/heads/".length) : value;
        break;
      case "bare":
        current.bare = true;
        break;
      case "detached":
        current.detached = true;
        break;
      case "locked":
        current.locked = value;
        break;
      case "prunable":
        current.prunable = value;
        break;
    }
  }
  if (current) entries.push(current);
  return entries;
}

/** One changed path from `git status --porcelain=v2 -z`. */
export interface StatusEntry {
  /** `changed`, `renamed`, `unmerged`, `untracked` or `ignored`. */
  kind: "changed" | "renamed" | "unmerged" | "untracked" | "ignored";
  /** Two-letter XY code for tracked entries ("??" untracked, "!!" ignored). */
  xy: string;
  /** Path relative to the worktree root. */
  path: string;
  /** For renames and copies, the path it came from. */
  origPath?: string;
  /**
   * Set on an edit `git status` cannot show, found by `hiddenEdits`: the index bit that hides
   * it (the entry's `xy` is then `.M`).
   */
  hidden?: "skip-worktree" | "assume-unchanged";
}

/**
 * Parses `git status --porcelain=v2 -z` (git-status(1), "Porcelain Format Version 2").
 * Header lines (`# branch.*`) are skipped. Ordinary entries have 8 fields before the path,
 * renames 9 (then the original path as the next NUL field), unmerged 10.
 */
export function parseStatusV2(output: string): StatusEntry[] {
  const fields = output.split("\0");
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    if (field === "" || field.startsWith("#")) continue;
    const type = field[0];
    if (type === "?" || type === "!") {
      entries.push({
        kind: type === "?" ? "untracked" : "ignored",
        xy: type === "?" ? "??" : "!!",
        path: field.slice(2),
      });
    } else if (type === "1") {
      entries.push({ kind: "changed", xy: field.slice(2, 4), path: afterFields(field, 8) });
    } else if (type === "2") {
      const origPath = fields[++i] ?? "";
      entries.push({ kind: "renamed", xy: field.slice(2, 4), path: afterFields(field, 9), origPath });
    } else if (type === "u") {
      entries.push({ kind: "unmerged", xy: field.slice(2, 4), path: afterFields(field, 10) });
    }
  }
  return entries;
}

/** The text after the first `n` space-separated fields (the path may itself hold spaces). */
function afterFields(line: string, n: number): string {
  let at = 0;
  for (let k = 0; k < n; k++) {
    at = line.indexOf(" ", at) + 1;
    if (at === 0) return "";
  }
  return line.slice(at);
}

/** Splits NUL-terminated output (`ls-files -z`, `check-ignore -z`) into its items. */
export function splitNul(output: string): string[] {
  return output.split("\0").filter((s) => s !== "");
}

/**
 * Splits the output of several runs of a git command whose output holds no NUL (`rev-list
 * --count`, `rev-parse`), each followed by `\0\x01wt-end <exit code>\0` (`gitInEach`), into
 * one output per run, as git wrote it.
 */
export function splitTextRuns(output: string): { output: string; code: number }[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the marker is made of control characters
  const parts = output.split(/\0\x01wt-end (\d+)\0/);
  const runs: { output: string; code: number }[] = [];
  // split() with a capture group: text, code, text, code, ..., the text after the last marker.
  for (let i = 0; i + 1 < parts.length; i += 2) runs.push({ output: parts[i] as string, code: Number(parts[i + 1]) });
  return runs;
}

/**
 * Splits the output of several `git status --porcelain=v2 -z` runs, each followed by a
 * `\x01wt-end <exit code>` field (`statusMany`; empty fields, the NUL before it, are skipped), into one output per run. A status entry
 * never starts with \x01, and the original path of a rename (the NUL field after a `2 `
 * entry) is skipped over, whatever its name.
 * @returns per run: its output (NUL-terminated entries, as git wrote them) and exit code.
 */
export function splitStatusRuns(output: string): { output: string; code: number }[] {
  const fields = output.split("\0");
  const runs: { output: string; code: number }[] = [];
  let current: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    if (field.startsWith("\x01wt-end ")) {
      runs.push({ output: current.map((f) => `${f}\0`).join(""), code: Number(field.slice(8)) });
      current = [];
      continue;
    }
    if (field === "") continue;
    current.push(field);
    if (field.startsWith("2 ") && i + 1 < fields.length) current.push(fields[++i] as string);
  }
  return runs;
}
