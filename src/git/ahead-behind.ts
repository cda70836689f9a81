import { type GitAt, git } from "./run.js";

/** Commits a ref has that a base does not (`ahead`), and the reverse (`behind`). */
export interface AheadBehind {
  ahead: number;
  behind: number;
}

/**
 * The `for-each-ref` format that gives every ref's counts against each of `bases` in one
 * process: `%(refname)` then one `%(ahead-behind:<base>)` per base ("two integers, separated
 * by a space ... ahead and behind", git-for-each-ref(1), git 2.41+), NUL-separated.
 * @param bases full commit ids (40 or 64 hex digits): never user text inside the format
 * @throws Error when a base is not a commit id
 */
export function aheadBehindFormat(bases: readonly string[]): string {
  for (const b of bases) if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(b)) throw new Error(`not a commit id: ${b}`);
  return ["%(refname)", ...bases.map((b) => `%(ahead-behind:${b})`)].join("%00");
}

/**
 * Parses the output of `for-each-ref --format=<aheadBehindFormat(bases)>`: one line per ref.
 * @returns refname -> base -> counts; a line that does not have `bases.length` count pairs is
 *   left out (the caller counts that ref some other way)
 */
export function parseAheadBehind(output: string, bases: readonly string[]): Map<string, Map<string, AheadBehind>> {
  const out = new Map<string, Map<string, AheadBehind>>();
  for (const line of output.split("\n")) {
    if (line === "") continue;
    const [ref, ...pairs] = line.split("\0");
    if (!ref || pairs.length !== bases.length) continue;
    const counts = new Map<string, AheadBehind>();
    for (const [i, pair] of pairs.entries()) {
      const m = /^(\d+) (\d+)$/.exec(pair);
      if (m) counts.set(bases[i] as string, { ahead: Number(m[1]), behind: Number(m[2]) });
    }
    if (counts.size === bases.length) out.set(ref, counts);
  }
  return out;
}

/**
 * Ahead/behind of each of `refs` against each of `bases`, from a single `git for-each-ref`
 * (git 2.41+; one graph walk for all of them, where `rev-list --left-right --count` is a
 * process per pair).
 * @param at any folder of the repository, and the caller's environment
 * @param refs full ref names (`refs/heads/feature/x`); git's ref-name rules forbid the glob
 *   characters `* ? [`, so each matches only itself as a pattern
 * @param bases full commit ids
 * @returns as `parseAheadBehind`, or null when this git has no `ahead-behind` atom (older than
 *   2.41: "unknown field name") or the command failed otherwise. Never rejects.
 */
export async function aheadBehindOfRefs(
  at: GitAt,
  refs: readonly string[],
  bases: readonly string[],
): Promise<Map<string, Map<string, AheadBehind>> | null> {
  if (refs.length === 0 || bases.length === 0) return new Map();
  try {
    const format = aheadBehindFormat(bases);
    const r = await git(["for-each-ref", `--format=${format}`, "--", ...refs], at);
    return parseAheadBehind(r.stdout, bases);
  } catch {
    return null;
  }
}
