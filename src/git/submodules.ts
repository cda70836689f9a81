import { hiddenEdits } from "./hidden-edits.js";
import { parseStatusV2, type StatusEntry } from "./parse.js";
import { type GitAt, git, gitOut } from "./run.js";
import { withHiddenEdits } from "./status.js";

/**
 * Parses `git ls-files -z --stage`: entries are `<mode> <object> <stage>\t<path>`, NUL-ended
 * (git-ls-files(1), "Output"). Mode 160000 is a gitlink: a submodule's recorded commit.
 * @returns the gitlink paths (relative to the work tree, `/`-separated), each once, in order.
 */
export function parseGitlinks(output: string): string[] {
  const paths: string[] = [];
  for (const field of output.split("\0")) {
    if (!field.startsWith("160000 ")) continue;
    const tab = field.indexOf("\t");
    if (tab === -1) continue;
    const p = field.slice(tab + 1);
    // An unmerged gitlink is listed once per stage.
    if (paths[paths.length - 1] !== p) paths.push(p);
  }
  return paths;
}

/** The submodule paths the index of the work tree at `cwd` records (`ls-files --stage`). */
export async function listGitlinks(at: GitAt): Promise<string[]> {
  return parseGitlinks(await gitOut(["ls-files", "-z", "--stage"], at));
}

/**
 * git's own view of the repository at `cwd`: its top level and its git dir, both absolute
 * (`rev-parse --show-toplevel --absolute-git-dir`), or null when git finds no repository.
 * A submodule whose `.git` file is broken makes git answer for the folder above it (or fail):
 * callers compare `topLevel` with the folder they meant.
 */
export async function repoTopLevel(at: GitAt): Promise<{ topLevel: string; gitDir: string } | null> {
  const r = await git(["rev-parse", "--show-toplevel", "--absolute-git-dir"], { ...at, okCodes: [128] });
  if (r.exitCode !== 0) return null;
  const [topLevel = "", gitDir = ""] = r.stdout.split("\n");
  return { topLevel, gitDir };
}

/**
 * What `git status` shows in the work tree at `cwd`, untracked files one by one, submodules
 * always compared (`--ignore-submodules=none`, whatever `submodule.<name>.ignore` says), then
 * the edits it cannot show (`hiddenEdits`), as `statusPorcelain` does for a worktree.
 * @throws GitError (exit 6).
 */
export async function workTreeChanges(at: GitAt): Promise<StatusEntry[]> {
  const [out, hidden] = await Promise.all([
    gitOut(["status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=none"], at),
    hiddenEdits(at),
  ]);
  return withHiddenEdits(parseStatusV2(out), hidden);
}

/**
 * Commits of the repository at `cwd` that a ref or HEAD names but no remote-tracking ref
 * reaches (`rev-list --all <stash reflog> --not --remotes`): the commits
 * that exist only in this repository's object store. For a submodule of a linked worktree
 * that store is `.git/worktrees/<name>/modules/<path>`, which goes with the worktree.
 * @returns full commit ids, newest first.
 */
export async function commitsNotOnRemotes(at: GitAt): Promise<string[]> {
  // `--all` is every ref (branches, tags, refs/stash, refs/worktree/*, refs/bisect/*, notes)
  // and HEAD; `--glob=refs/stash` would have meant refs/stash/* (git-rev-list(1): a pattern
  // without wildcards gets `/*` appended) and missed the stash. Older stashes live only in
  // refs/stash's reflog, so those are named one by one.
  const stashes = (await gitOut(["reflog", "show", "--format=%H", "refs/stash", "--"], { ...at, okCodes: [128] }))
    .split("\n")
    .filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  const out = await gitOut(["rev-list", "--all", ...stashes, "--not", "--remotes"], at);
  return out.split("\n").filter(Boolean);
}
