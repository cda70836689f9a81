import { existsSync } from "node:fs";
import path from "node:path";
import { splitNul } from "./parse.js";
import { type GitAt, git, gitOut } from "./run.js";
import { looseWorktreeRefs } from "./worktree-link.js";

/** The commit `HEAD` of the worktree at `at.cwd` names (40 hex). @throws GitError (exit 6). */
export async function revParseHead(at: GitAt): Promise<string> {
  return (await gitOut(["rev-parse", "HEAD"], at)).trim();
}

/** `git symbolic-ref --quiet --short HEAD`: the branch of the worktree git runs in. */
export const CURRENT_BRANCH_ARGS: readonly string[] = ["symbolic-ref", "--quiet", "--short", "HEAD"];

/** The branch `HEAD` is on (`main`), or null when detached or unborn (`git symbolic-ref` exits 1/128). */
export async function currentBranch(at: GitAt): Promise<string | null> {
  const r = await git(CURRENT_BRANCH_ARGS, { ...at, okCodes: [1, 128] });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/**
 * The branches of origin the default base tries after origin's HEAD, in order (docs/contract.md,
 * "Zero-config defaults"): the main worktree's branch (`branch`, null when detached), `main`, `master`.
 */
export function originCandidates(branch: string | null): string[] {
  return [...new Set([...(branch ? [branch] : []), "main", "master"])];
}

/**
 * The argv of `originRefs(names)`: `git for-each-ref` of `refs/remotes/origin/HEAD` and of
 * `refs/remotes/origin/<name>` for each of `names` (each once), printing each ref that exists
 * with the ref a symbolic one points at. A pattern without a glob character matches that ref
 * exactly or the refs below it (git-for-each-ref(1), `<pattern>`); a branch name holds no glob
 * character (git-check-ref-format(1)). Exported for the early run of `startEarlyReads`.
 */
export function originRefsArgs(names: readonly string[]): string[] {
  const refs = ["HEAD", ...names].map((n) => `refs/remotes/origin/${n}`);
  return ["for-each-ref", "--format=%(refname)%00%(symref:short)", ...new Set(refs)];
}

/**
 * In one git process: what `refs/remotes/origin/HEAD` points at (`origin/main`; null when it
 * is not set, or names no commit: git skips a broken ref), and which of `names` have a
 * remote-tracking branch `origin/<name>`.
 * @throws GitError (exit 6).
 */
export async function originRefs(
  at: GitAt,
  names: readonly string[],
): Promise<{ head: string | null; present: Set<string> }> {
  const out = await gitOut(originRefsArgs(names), at);
  const prefix = "refs/remotes/origin/";
  let head: string | null = null;
  const present = new Set<string>();
  for (const line of out.split("\n")) {
    const [ref, symref] = line.split("\0");
    if (ref === `${prefix}HEAD`) head = symref || null;
    else if (ref?.startsWith(prefix)) present.add(ref.slice(prefix.length));
  }
  return { head, present };
}

/** `git fetch --quiet --no-write-fetch-head <remote>`. @throws GitError (exit 6); InterruptedError. */
export async function fetchRemote(at: GitAt, remote: string): Promise<void> {
  await git(["fetch", "--quiet", "--no-write-fetch-head", "--end-of-options", remote], at);
}

/**
 * How many commits `ref` has that `base` does not (`git rev-list --count ref --not base`), or
 * null when git cannot tell (an unknown base).
 */
export async function aheadCount(at: GitAt, ref: string, base: string): Promise<number | null> {
  try {
    const out = await gitOut(["rev-list", "--count", ref, "--not", "--end-of-options", base], at);
    const n = Number(out.trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Commits reachable from `commits` (40 hex each) that no branch, tag or remote-tracking ref
 * holds (what a detached worktree would lose), newest first.
 * @throws GitError (exit 6).
 */
export async function unreachableCommits(at: GitAt, commits: string | readonly string[]): Promise<string[]> {
  const from = typeof commits === "string" ? [commits] : commits;
  if (from.length === 0) return [];
  const out = await gitOut(["rev-list", ...from, "--not", "--branches", "--tags", "--remotes"], at);
  return out.split("\n").filter(Boolean);
}

/** The namespaces of per-worktree refs (gitglossary(7), "per-worktree ref"): `git worktree remove` deletes them. */
const WORKTREE_REF_PREFIXES = ["refs/worktree/", "refs/bisect/", "refs/rewritten/"] as const;

/**
 * The per-worktree refs of the linked worktree whose admin dir is `admin` (`refs/worktree/*`,
 * `refs/bisect/*`, `refs/rewritten/*`: gitglossary(7), "per-worktree ref"; they live under
 * the admin dir and go with the worktree), as `{ ref, commit }`. Read in process from the loose
 * files under `<admin>/refs` (git never packs per-worktree refs; git 2.44+ makes that folder
 * for every worktree, so its presence says nothing); git is asked (`--git-dir=<admin>`, which
 * needs no working tree: the folder may be gone) only for a reftable store or a file that
 * cannot be read.
 * @param at where git runs (the main worktree) and with what environment
 * @throws GitError (exit 6).
 */
export async function worktreeOwnRefs(at: GitAt, admin: string): Promise<{ ref: string; commit: string }[]> {
  if (!existsSync(path.join(admin, "reftable"))) {
    try {
      return looseWorktreeRefs(admin);
    } catch {
      // Unreadable: git answers below.
    }
  }
  const out = await gitOut(
    ["--git-dir", admin, "for-each-ref", "--format=%(objectname) %(refname)", ...WORKTREE_REF_PREFIXES],
    at,
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => ({ commit: line.slice(0, line.indexOf(" ")), ref: line.slice(line.indexOf(" ") + 1) }));
}

/**
 * The commits of `commits` that no branch but `branch`, no tag and no remote-tracking ref
 * reaches (`git rev-list <commits> --not --exclude=<branch> --branches --tags --remotes`;
 * git-rev-list(1): `--exclude` patterns for `--branches` are written without `refs/heads/`,
 * and a branch name holds no glob character, git-check-ref-format(1)): what deleting `branch`
 * would leave unreachable from a worktree's detached HEAD or own refs (`worktreeOwnRefs`).
 * @throws GitError (exit 6)
 */
export async function commitsOnlyOn(at: GitAt, commits: readonly string[], branch: string): Promise<string[]> {
  if (commits.length === 0) return [];
  const out = await gitOut(
    ["rev-list", ...commits, "--not", `--exclude=${branch}`, "--branches", "--tags", "--remotes"],
    at,
  );
  return out.split("\n").filter(Boolean);
}

/** True when `<commitish>:<path>` names an object (`git cat-file -e`): the commit tracks `path`. */
export async function catFileExists(at: GitAt, commitish: string, path: string): Promise<boolean> {
  const r = await git(["cat-file", "-e", "--end-of-options", `${commitish}:${path}`], { ...at, okCodes: [1, 128] });
  return r.exitCode === 0;
}

/**
 * Untracked ignored paths of the worktree at `at.cwd` (`ls-files --others --ignored
 * --exclude-standard --directory`), folders ending with `/`, kept only when `git check-ignore`
 * confirms them (ls-files also lists what a negated pattern re-includes).
 */
export async function ignoredUntracked(at: GitAt): Promise<string[]> {
  const listed = splitNul(
    (await git(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], at)).stdout,
  );
  const stripped = listed.map((p) => p.replace(/\/$/, ""));
  const checked = await git(["check-ignore", "-z", "--stdin"], {
    ...at,
    input: stripped.map((p) => `${p}\0`).join(""),
    okCodes: [1],
  });
  const really = new Set(splitNul(checked.stdout));
  return listed.filter((p) => really.has(p.replace(/\/$/, "")));
}
