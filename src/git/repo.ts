import { existsSync, lstatSync, realpathSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors/base.js";
import type { RepoContext } from "./discover.js";
import { GitError } from "./errors.js";
import { linksToGitDir, noteMainWorktree, readMainNote } from "./main-worktree.js";
import { parseWorktreeList, type WorktreeEntry } from "./parse.js";
import type { Env, GitAt } from "./run.js";
import { git, gitOut } from "./run.js";

export { discoverRepoFast, type RepoContext } from "./discover.js";

/**
 * The oldest git `wt` supports: 2.36 added `git worktree list -z` (paths with newlines),
 * and `worktree add --lock --reason` (2.35) marks a worktree that is still being created.
 */
export const MIN_GIT_VERSION: readonly [number, number] = [2, 36];

/** Parses `git version 2.39.5` (and vendor suffixes) into [major, minor, patch]. */
export function parseGitVersion(text: string): [number, number, number] | null {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** `git version`, run from the folder the user named (`discover`). */
export const GIT_VERSION_ARGS: readonly string[] = ["version"];

/** Where the repository around a folder is: its common git dir, and whether it is bare (`discover`). */
export const REPO_FACTS_ARGS: readonly string[] = [
  "rev-parse",
  "--path-format=absolute",
  "--git-common-dir",
  "--is-bare-repository",
];

/** `git remote`: the configured remotes' names, one per line. */
export const REMOTES_ARGS: readonly string[] = ["remote"];

/** `git version` per PATH (the git that runs), asked once per process. */
const versions = new Map<string, Promise<[number, number, number] | null>>();

/**
 * The version of the git `at.env`'s PATH runs, as [major, minor, patch]: one `git version` per
 * PATH for the life of the process (every verb asks it first, in `assertGitVersion`). Null when
 * git fails (not kept: asked again next time) or its text does not parse.
 */
export function gitVersion(at: GitAt): Promise<[number, number, number] | null> {
  const key = at.env.PATH ?? "";
  let v = versions.get(key);
  if (v === undefined) {
    // A failed run (git missing, stopped) is not kept: the next call asks again.
    v = gitOut(GIT_VERSION_ARGS, { ...at, discover: true }).then(parseGitVersion, () => {
      versions.delete(key);
      return null;
    });
    versions.set(key, v);
  }
  return v;
}

/** True when `v` is `major.minor` or later; false for an unknown version (null). */
export function gitAtLeast(v: readonly number[] | null, major: number, minor: number): boolean {
  return v !== null && ((v[0] as number) > major || (v[0] === major && (v[1] as number) >= minor));
}

/**
 * Refuses a git older than `MIN_GIT_VERSION` (`git version`). A git whose version text
 * does not parse is let through.
 * @throws UsageError (exit 2, code `unsupported-git`) when git is too old.
 */
export async function assertGitVersion(at: GitAt): Promise<void> {
  const v = await gitVersion(at);
  if (v && (v[0] < MIN_GIT_VERSION[0] || (v[0] === MIN_GIT_VERSION[0] && v[1] < MIN_GIT_VERSION[1]))) {
    throw new UsageError(
      `git ${v.join(".")} is too old: wt needs git ${MIN_GIT_VERSION.join(".")} or newer`,
      "install a newer git (https://git-scm.com/downloads)",
      "unsupported-git",
    );
  }
}

/**
 * Finds the repository around `cwd`.
 * @throws UsageError (exit 2) when `cwd` is not inside a git repository, git is older
 *   than `MIN_GIT_VERSION`, git refuses the repository's owner (`dubious-ownership`), or the
 *   main worktree of a separate git dir cannot be told (see `mainOfSeparateGitDir`).
 */
export async function resolveRepo(cwd: string, env: Env): Promise<RepoContext> {
  const absCwd = path.resolve(cwd);
  // Spawning in a missing folder fails as ENOENT, which reads like "git is not installed".
  if (!existsSync(absCwd)) {
    throw new UsageError(
      `no such folder: ${absCwd}`,
      "pass -C an existing folder inside a repository",
      "not-a-repository",
    );
  }
  const [, revParse] = await Promise.all([
    assertGitVersion({ cwd: absCwd, env }),
    git(REPO_FACTS_ARGS, {
      cwd: absCwd,
      env,
      discover: true,
    }).catch((e: unknown) => e),
  ]);
  if (revParse instanceof UsageError) throw revParse;
  if (revParse instanceof Error) {
    const detail = revParse instanceof GitError ? revParse.stderrTail : String(revParse);
    throw new UsageError(
      `not inside a git repository: ${absCwd}${detail ? ` (${detail.replace(/^fatal: /, "")})` : ""}`,
      "run wt inside a repository, or pass -C <dir>",
      "not-a-repository",
    );
  }
  const [commonDirRaw = "", bareRaw = "false"] = (revParse as { stdout: string }).stdout.split("\n");
  const commonDir = realpathSync(commonDirRaw);
  let bare = bareRaw.trim() === "true";
  let mainPath: string;
  if (bare) {
    mainPath = commonDir;
  } else if (path.basename(commonDir) === ".git") {
    mainPath = path.dirname(commonDir);
  } else {
    // A separate git dir (`git init --separate-git-dir`, submodules), or a linked worktree
    // of a bare repository (where --is-bare-repository answers false): ask git.
    const first = (await listWorktrees({ cwd: commonDir, env }))[0];
    bare = first?.bare === true;
    mainPath = bare && first ? realpathSync(first.path) : await mainOfSeparateGitDir({ cwd: absCwd, env }, commonDir);
  }
  const repoName = path.basename(mainPath).replace(/\.git$/, "") || "repo";
  return { cwd: absCwd, commonDir, mainPath, bare, repoName, stateDir: path.join(commonDir, "wt") };
}

/**
 * The main worktree of a repository whose git dir is not `<main>/.git`: git's top level when
 * `cwd` is in the main worktree (its git dir is then the common dir), noted for later runs;
 * from a linked worktree, that note (git itself records the main worktree nowhere).
 * @throws UsageError (2, `not-a-repository`) when neither tells.
 */
async function mainOfSeparateGitDir(at: GitAt, commonDir: string): Promise<string> {
  // Fails (128) inside the git dir itself, where there is no top level: the note answers then.
  const r = await git(["rev-parse", "--path-format=absolute", "--git-dir", "--show-toplevel"], {
    ...at,
    discover: true,
    okCodes: [128],
  });
  const [gitDir = "", top = ""] = r.stdout.split("\n");
  if (r.exitCode === 0 && top !== "" && realOrSelf(gitDir) === commonDir && linksToGitDir(top, commonDir)) {
    const main = realpathSync(top);
    noteMainWorktree(commonDir, main);
    return main;
  }
  const noted = readMainNote(commonDir);
  if (noted !== null) return noted;
  throw new UsageError(
    `cannot tell where the main worktree of ${commonDir} is: the git dir lies outside it (--separate-git-dir) and git does not record it`,
    "run any wt command once in the main worktree (e.g. `wt status` there); linked worktrees find it after that",
    "not-a-repository",
  );
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * `git worktree list --porcelain -z`, parsed. The first entry is the main worktree: for a
 * separate git dir, where git names the git dir itself there, the main worktree wt noted
 * (see ./main-worktree.ts) replaces it.
 */
export async function listWorktrees(at: GitAt): Promise<WorktreeEntry[]> {
  const out = await gitOut(["worktree", "list", "--porcelain", "-z"], at);
  const entries = parseWorktreeList(out);
  const first = entries[0];
  if (first && !first.bare && !hasDotGit(first.path)) {
    const noted = readMainNote(first.path);
    if (noted !== null) first.path = noted;
  }
  return entries;
}

function hasDotGit(folder: string): boolean {
  try {
    lstatSync(path.join(folder, ".git"));
    return true;
  } catch {
    return false;
  }
}

/** True when `ref` names an existing ref or commit (`rev-parse --verify --quiet`). */
export async function refExists(at: GitAt, ref: string): Promise<boolean> {
  const r = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref], {
    ...at,
    okCodes: [1],
  });
  return r.exitCode === 0;
}

/**
 * Resolves a commit-ish to a full commit id, or null when it names no commit.
 * `--end-of-options` keeps a value like `--upload-pack=x` from being read as an option.
 */
export async function resolveCommit(at: GitAt, commitish: string): Promise<string | null> {
  const r = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${commitish}^{commit}`], {
    ...at,
    okCodes: [1, 128],
  });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** Names of the configured remotes (`git remote`). */
export async function listRemotes(at: GitAt): Promise<string[]> {
  return (await gitOut(REMOTES_ARGS, at)).split("\n").filter(Boolean);
}

/**
 * The URL configured for remote `name` (`git config --get remote.<name>.url`, as written, before
 * any `url.<base>.insteadOf` rewrite), or null when it has none.
 */
export async function remoteUrl(at: GitAt, name: string): Promise<string | null> {
  const r = await git(["config", "--get", `remote.${name}.url`], { ...at, okCodes: [1] });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/**
 * Checks a branch name as `git check-ref-format --branch` does (git-check-ref-format(1)).
 * A name of letters, digits and `._/-` only that keeps the manual's rules (no component
 * starting with `.` or ending in `.lock`, no `..`, no empty component, no `/` or `.` at the
 * end, not `-` first, not `HEAD`) is one every git accepts: it is answered here, without a
 * process (issue 12). Any other name is git's to judge, and a git process answers.
 * @returns true when git accepts it as a branch name.
 */
export async function isValidBranchName(at: GitAt, name: string): Promise<boolean> {
  if (name.startsWith("-")) return false;
  if (plainBranchName(name)) return true;
  const r = await git(["check-ref-format", "--branch", name], { ...at, okCodes: [1, 128] });
  return r.exitCode === 0 && r.stdout.trim() === name;
}

/** True for a name made only of `[A-Za-z0-9._/-]` that breaks none of git-check-ref-format(1)'s rules. */
export function plainBranchName(name: string): boolean {
  if (!/^[A-Za-z0-9._/-]+$/.test(name) || name === "HEAD" || name.includes("..")) return false;
  if (name.endsWith(".") || name.startsWith("-")) return false;
  return name.split("/").every((c) => c !== "" && !c.startsWith(".") && !c.endsWith(".lock"));
}

/** True when `ancestor` is reachable from `descendant` (`merge-base --is-ancestor`). */
export async function isAncestor(at: GitAt, ancestor: string, descendant: string): Promise<boolean> {
  const r = await git(["merge-base", "--is-ancestor", "--end-of-options", ancestor, descendant], {
    ...at,
    okCodes: [1],
  });
  return r.exitCode === 0;
}
