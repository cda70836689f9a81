import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type HiddenEdit, hiddenEdits } from "./hidden-edits.js";
import { parseStatusV2, splitNul } from "./parse.js";
import { gitAtLeast, gitVersion } from "./repo.js";
import { type GitAt, git, gitOut } from "./run.js";

/**
 * git verbs of `wt merge`: a merge computed without touching any working tree, the commit it
 * becomes, the compare-and-swap that moves the target ref, and the update of a worktree that
 * has the target checked out. Each holds its argv and its parser together.
 */

/** The result of a simulated merge. */
export interface MergeTreeResult {
  /** True when git merged every path without a conflict. */
  clean: boolean;
  /** The merged tree (with conflict markers in conflicted files when not clean); null when the fallback did not make one. */
  tree: string | null;
  /** Conflicted paths, each once, in git's order. Empty when clean. */
  conflicts: string[];
}

/** How a merge is simulated: `merge-tree` (git >= 2.38) or a temporary detached worktree (older git). */
export type MergeEngine = "merge-tree" | "worktree";

/**
 * The repository's own git hooks (post-checkout, husky's...) do not run for wt's temporary
 * worktrees: they are wt's scratch space, not a checkout the user asked for.
 */
const NO_HOOKS = ["-c", "core.hooksPath=/dev/null"] as const;

/** The engine this git supports: `git merge-tree --write-tree` came with git 2.38 (RelNotes 2.38.0). */
export async function mergeEngine(at: GitAt): Promise<MergeEngine> {
  const v = await gitVersion(at);
  return v === null || gitAtLeast(v, 2, 38) ? "merge-tree" : "worktree";
}

/**
 * Parses `git merge-tree --write-tree -z --name-only --no-messages`: the tree id, NUL, then
 * each conflicted path NUL-terminated (git-merge-tree(1), "OUTPUT"; a path with several
 * conflicting stages may come more than once, kept once here).
 */
export function parseMergeTree(output: string, exitCode: number): MergeTreeResult {
  const [tree = "", ...rest] = splitNul(output);
  const conflicts = [...new Set(rest.filter((p) => p !== ""))];
  return { clean: exitCode === 0, tree: tree === "" ? null : tree, conflicts: exitCode === 0 ? [] : conflicts };
}

/**
 * Merges `theirs` into `ours` without touching any working tree, index or ref.
 * git >= 2.38: `git merge-tree --write-tree` (writes objects only; exit 0 clean, 1 conflict,
 * anything else an error). Older git: `mergeInTemporaryWorktree`.
 * @param at any folder of the repository, with the caller's environment
 * @param ours, theirs commit ids
 * @throws GitError (exit 6) when git fails for another reason than a conflict.
 */
export async function mergeTree(
  at: GitAt,
  ours: string,
  theirs: string,
  options: { signal?: AbortSignal; engine?: MergeEngine } = {},
): Promise<MergeTreeResult> {
  const engine = options.engine ?? (await mergeEngine(at));
  if (engine === "worktree") return mergeInTemporaryWorktree(at, ours, theirs, options.signal);
  const r = await git(
    ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", "--end-of-options", ours, theirs],
    { cwd: at.cwd, env: at.env, okCodes: [1], signal: options.signal },
  );
  return parseMergeTree(r.stdout, r.exitCode);
}

/**
 * The fallback for git 2.36-2.37, which has no `merge-tree --write-tree`: a detached worktree
 * at `ours` in a fresh temp folder, `git merge --no-commit --no-ff theirs` there, the result
 * read from its index (`write-tree` when clean, the unmerged paths otherwise), then the
 * worktree removed whatever happened. No worktree of the user's is touched.
 */
export async function mergeInTemporaryWorktree(
  at: GitAt,
  ours: string,
  theirs: string,
  signal?: AbortSignal,
): Promise<MergeTreeResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "wt-merge-"));
  const tree = path.join(dir, "tree");
  const inTree = { cwd: tree, env: at.env };
  try {
    await git([...NO_HOOKS, "worktree", "add", "--quiet", "--detach", "--", tree, ours], {
      cwd: at.cwd,
      env: at.env,
      signal,
    });
    const merged = await git(
      [...NO_HOOKS, "merge", "--quiet", "--no-commit", "--no-ff", "--no-edit", "--end-of-options", theirs],
      { ...inTree, okCodes: [1], signal },
    );
    if (merged.exitCode === 0) {
      return { clean: true, tree: (await gitOut(["write-tree"], inTree)).trim(), conflicts: [] };
    }
    const unmerged = await gitOut(["diff", "--name-only", "-z", "--diff-filter=U"], inTree);
    return { clean: false, tree: null, conflicts: [...new Set(splitNul(unmerged))] };
  } finally {
    await git(["worktree", "remove", "--force", "--force", "--", tree], { cwd: at.cwd, env: at.env }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `git commit-tree <tree> -p <parent>... -F -`: a commit (not on any ref yet) with the
 * committer identity git is configured with. Two parents: a merge commit; one: a squash commit.
 * @returns the new commit id
 * @throws GitError (exit 6), e.g. when no identity is configured.
 */
export async function commitTree(
  at: GitAt,
  tree: string,
  parents: readonly string[],
  message: string,
): Promise<string> {
  const args = ["commit-tree", ...parents.flatMap((p) => ["-p", p]), "-F", "-", "--end-of-options", tree];
  return (
    await gitOut(args, { cwd: at.cwd, env: at.env, input: message.endsWith("\n") ? message : `${message}\n` })
  ).trim();
}

/**
 * Moves `ref` from `oldValue` to `newValue` only if it still points at `oldValue`
 * (`git update-ref <ref> <new> <old>`: git-update-ref(1) "verifies that the current value of
 * the <ref> matches <oldvalue>" under the ref's lock).
 * @returns false when the ref no longer points at `oldValue` (someone moved it: nothing changed)
 * @throws GitError (exit 6) for any other failure.
 */
export async function updateRefCas(
  at: GitAt,
  ref: string,
  newValue: string,
  oldValue: string,
  reason = "wt merge",
): Promise<boolean> {
  try {
    await git(["update-ref", "-m", reason, "--end-of-options", ref, newValue, oldValue], { cwd: at.cwd, env: at.env });
    return true;
  } catch (e) {
    const now = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref], {
      cwd: at.cwd,
      env: at.env,
      okCodes: [1],
    });
    if (now.stdout.trim() !== oldValue) return false;
    throw e;
  }
}

/** Paths that differ between two commits (`diff-tree -r -z --name-only --no-renames`: a rename gives both paths). */
export async function changedPaths(at: GitAt, from: string, to: string): Promise<string[]> {
  const out = await gitOut(["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--end-of-options", from, to], {
    cwd: at.cwd,
    env: at.env,
  });
  return splitNul(out);
}

/** The paths `to` adds over `from` (`git diff-tree -r --diff-filter=A`, no rename detection). */
export async function addedPaths(at: GitAt, from: string, to: string): Promise<string[]> {
  const out = await gitOut(
    ["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--diff-filter=A", "--end-of-options", from, to],
    { cwd: at.cwd, env: at.env },
  );
  return splitNul(out);
}

/**
 * Which of `paths` (relative, '/'-separated) the index of the worktree at `at.cwd` tracks,
 * itself or below it (`git --literal-pathspecs ls-files -z -- <paths>`: no glob in a name is
 * read as one), as the given paths.
 * @throws GitError (exit 6).
 */
export async function trackedAmong(at: GitAt, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const listed = splitNul(await gitOut(["--literal-pathspecs", "ls-files", "-z", "--", ...paths], at));
  return new Set(paths.filter((p) => listed.some((l) => l === p || l.startsWith(`${p}/`))));
}

/**
 * Paths with uncommitted changes in a worktree (staged, unstaged, untracked; not ignored),
 * both sides of a rename (`status --porcelain=v2 -z --untracked-files=all`), then the edits
 * `git status` cannot show (`hiddenEdits`: files marked `--assume-unchanged` or
 * `--skip-worktree`), each path once. Both reads run side by side.
 * @throws GitError (exit 6).
 */
export async function dirtyPaths(worktree: GitAt): Promise<string[]> {
  const at = { cwd: worktree.cwd, env: worktree.env };
  const [out, hidden] = await Promise.all([
    gitOut(["status", "--porcelain=v2", "-z", "--untracked-files=all"], at),
    hiddenEdits(at),
  ]);
  return withHiddenPaths(
    parseStatusV2(out)
      .filter((e) => e.kind !== "ignored")
      .flatMap((e) => (e.origPath ? [e.path, e.origPath] : [e.path])),
    hidden,
  );
}

/** `paths`, then the paths of `hidden` not among them. */
export function withHiddenPaths(paths: readonly string[], hidden: readonly HiddenEdit[]): string[] {
  const listed = new Set(paths);
  return [...paths, ...hidden.map((h) => h.path).filter((p) => !listed.has(p))];
}

/**
 * The dirty paths that a change of `changed` would touch: the same path, or one inside the
 * other (an untracked `docs` file where the change adds `docs/a.md`).
 */
export function overlappingPaths(dirty: readonly string[], changed: readonly string[]): string[] {
  const set = new Set(changed);
  return dirty.filter((d) => set.has(d) || changed.some((c) => c.startsWith(`${d}/`) || d.startsWith(`${c}/`)));
}

/**
 * Brings a worktree whose branch just moved from `from` to `to` up to date, keeping every
 * local change: `git read-tree -m -u <from> <to>`, git-read-tree(1) "Two Tree Merge", the
 * rule `git checkout` uses to switch branches: a path that differs between the two trees
 * is updated only when the index and the file still match `from`; otherwise read-tree refuses
 * and changes nothing ("would be overwritten"), as it refuses to overwrite an untracked file.
 * Paths the move does not touch keep their staged and unstaged changes. `reset --keep` would
 * do the same for tracked files but moves HEAD itself (the ref already moved by CAS); plain
 * `checkout <branch>` is a no-op once HEAD names the branch; `reset --hard` loses work.
 * @throws GitError (exit 6) when git refuses; nothing was written then.
 */
export async function updateWorktreeTo(worktree: GitAt, from: string, to: string, signal?: AbortSignal): Promise<void> {
  await git(["read-tree", "-m", "-u", "--end-of-options", from, to], {
    cwd: worktree.cwd,
    env: worktree.env,
    signal,
  });
}

/** True when the worktree's index holds exactly the tree of `commit` (`diff-index --cached --quiet`). */
export async function indexMatches(worktree: GitAt, commit: string): Promise<boolean> {
  const r = await git(["diff-index", "--cached", "--quiet", "--end-of-options", commit, "--"], {
    cwd: worktree.cwd,
    env: worktree.env,
    okCodes: [1],
  });
  return r.exitCode === 0;
}

/**
 * An operation left in progress in a worktree (git-status(1) names the same files in the
 * worktree's own git dir): `merge`, `rebase`, `cherry-pick`, `revert` or `bisect`; null when
 * none. Reads files only: `wt merge` asks it of every id, and a git run each costs more.
 */
export function operationInProgress(worktree: string): string | null {
  const gitDir = worktreeGitDir(worktree);
  if (gitDir === null) return null;
  const marks: [string, string][] = [
    ["MERGE_HEAD", "merge"],
    ["rebase-merge", "rebase"],
    ["rebase-apply", "rebase"],
    ["CHERRY_PICK_HEAD", "cherry-pick"],
    ["REVERT_HEAD", "revert"],
    ["BISECT_LOG", "bisect"],
  ];
  for (const [file, op] of marks) if (existsSync(path.join(gitDir, file))) return op;
  return null;
}

/**
 * The branch a rebase in progress in `worktree` is rebasing (`refs/heads/<name>`, from
 * `rebase-merge/head-name` or `rebase-apply/head-name` in its git dir: HEAD is detached
 * meanwhile, and the rebase moves the branch when it ends), or null.
 */
export function rebasingBranch(worktree: string): string | null {
  const gitDir = worktreeGitDir(worktree);
  if (gitDir === null) return null;
  for (const dir of ["rebase-merge", "rebase-apply"]) {
    try {
      const name = readFileSync(path.join(gitDir, dir, "head-name"), "utf8").trim();
      if (name.startsWith("refs/heads/")) return name;
    } catch {
      // not this kind of rebase
    }
  }
  return null;
}

/** The git dir of a worktree: its `.git` folder, or where its `.git` file's `gitdir:` line points (gitrepository-layout(5)). */
function worktreeGitDir(worktree: string): string | null {
  const dotGit = path.join(worktree, ".git");
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"));
    return m ? path.resolve(worktree, (m[1] as string).trim()) : null;
  } catch {
    return null;
  }
}

/** A local branch's tip and its tree. */
export interface BranchTip {
  commit: string;
  tree: string;
}

/**
 * Every local branch's tip and tree from one `for-each-ref` (short name -> tip): `wt merge`
 * reads them once rather than resolving each branch on its own.
 */
export async function branchTips(at: GitAt): Promise<Map<string, BranchTip>> {
  const out = await gitOut(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(tree)", "refs/heads/"], {
    cwd: at.cwd,
    env: at.env,
  });
  const tips = new Map<string, BranchTip>();
  for (const line of out.split("\n")) {
    const [ref, commit, tree] = line.split("\0");
    if (ref?.startsWith("refs/heads/") && commit && tree) tips.set(ref.slice("refs/heads/".length), { commit, tree });
  }
  return tips;
}

/** Subjects of the commits `tip` has that `base` does not, oldest first (`rev-list --reverse --format=%s`). */
export async function commitSubjects(at: GitAt, base: string, tip: string): Promise<string[]> {
  const out = await gitOut(
    ["log", "--reverse", "--no-decorate", "--format=%h %s", "--end-of-options", `${base}..${tip}`],
    { cwd: at.cwd, env: at.env },
  );
  return out.split("\n").filter(Boolean);
}

/**
 * Checks out `commit` detached in a fresh temp folder (`git worktree add --detach`), runs
 * `fn` there, and removes it whatever happened.
 */
export async function withTemporaryWorktree<T>(
  at: GitAt,
  commit: string,
  fn: (folder: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "wt-verify-"));
  const tree = path.join(dir, "tree");
  try {
    await git([...NO_HOOKS, "worktree", "add", "--quiet", "--detach", "--", tree, commit], {
      cwd: at.cwd,
      env: at.env,
      signal,
    });
    return await fn(tree);
  } finally {
    await git(["worktree", "remove", "--force", "--force", "--", tree], { cwd: at.cwd, env: at.env }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
