import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeAtomic } from "./atomic.js";

/**
 * Keeps what `wt` writes out of `git status` (agents run `git add -A`) through exact,
 * anchored entries in `<git-common-dir>/info/exclude`, which git reads for every worktree
 * (gitignore(5)). Each worktree's entries sit in their own marked block, so cleanup removes
 * exactly its own lines and leaves the user's alone.
 *
 * Entries carry no trailing slash: `node_modules/` matches only a folder, so a *symlink*
 * named node_modules would still show as untracked (the trailing-slash trap).
 */

function excludeFile(commonDir: string): string {
  return path.join(commonDir, "info", "exclude");
}

const begin = (id: string) => `# wt:begin ${id} (managed by wt; removed by wt cleanup)`;
const end = (id: string) => `# wt:end ${id}`;

/**
 * An exact gitignore pattern for `rel` (relative to a worktree root, `/`-separated):
 * anchored with a leading `/`, with the pattern characters `* ? [ \` escaped and a trailing
 * space protected (gitignore(5), "PATTERN FORMAT").
 */
export function exactPattern(rel: string): string {
  const escaped = rel
    .replace(/[\\*?[]/g, "\\$&")
    // A newline would start a second pattern and git drops a trailing CR: a control
    // character becomes `?`, which matches it (and any one character) in that place.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
    .replace(/[\u0000-\u001f\u007f]/g, "?")
    .replace(/ $/, "\\ ");
  return `/${escaped}`;
}

/** Removes `id`'s block from the file text. */
function withoutBlock(text: string, id: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (line === begin(id)) {
      skipping = true;
      continue;
    }
    if (skipping) {
      if (line === end(id)) skipping = false;
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

async function readExclude(commonDir: string): Promise<string> {
  try {
    return await readFile(excludeFile(commonDir), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
}

/**
 * Replaces `id`'s block with `patterns` (already gitignore patterns, see `exactPattern`).
 * Call under the repository lock.
 */
export async function setExcludes(commonDir: string, id: string, patterns: readonly string[]): Promise<void> {
  const text = withoutBlock(await readExclude(commonDir), id);
  const body = text.replace(/\n*$/, "");
  const block = patterns.length > 0 ? [begin(id), ...patterns, end(id)].join("\n") : "";
  const next = [body, block].filter((s) => s !== "").join("\n");
  await mkdir(path.dirname(excludeFile(commonDir)), { recursive: true });
  await writeAtomic(excludeFile(commonDir), next === "" ? "" : `${next}\n`);
}

/** Removes `id`'s block. Call under the repository lock. */
export async function removeExcludes(commonDir: string, id: string): Promise<void> {
  await setExcludes(commonDir, id, []);
}

/**
 * The ids of every wt block in `<git-common-dir>/info/exclude`, as written in their
 * `# wt:begin <id> ...` lines (for `wt doctor`: a block whose id has no record is stale).
 */
export async function excludeBlockIds(commonDir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const line of (await readExclude(commonDir)).split("\n")) {
    const m = /^# wt:begin (\S+) \(managed by wt; removed by wt cleanup\)$/.exec(line);
    if (m) ids.push(m[1] as string);
  }
  return ids;
}
