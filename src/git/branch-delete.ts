import { readFileSync } from "node:fs";
import path from "node:path";
import { listWorktrees, resolveCommit } from "./repo.js";
import { type GitAt, git } from "./run.js";
import { branchHolder } from "./worktree-link.js";

/** What `deleteBranchAt` did: deleted the branch, or why it did not. */
export type BranchDeletion =
  | { deleted: true }
  /** The branch names another commit than the one checked: a commit (or a reset) came meanwhile. */
  | { deleted: false; why: "moved"; now: string }
  /** Someone else deleted it meanwhile. */
  | { deleted: false; why: "gone" }
  /** A worktree has it checked out, or a rebase or bisect there holds it (`where`: its folder). */
  | { deleted: false; why: "checked-out"; where: string }
  /** git refused for another reason (a lock file left by a crashed git, a read-only folder). */
  | { deleted: false; why: "failed"; message: string };

/**
 * Deletes `refs/heads/<branch>` only while it names `tip`, the commit the caller judged safe to
 * delete: `git update-ref --no-deref -d <ref> <tip>` checks the old value under the ref's lock
 * (git-update-ref(1): "verifies that the current value of the <ref> matches <old-oid>"), so a
 * commit made after the caller's check (by an agent outside the worktree, or under `--force`)
 * is never deleted with the branch, where `git branch -D` takes no expected value. The checks
 * `git branch -D` makes come first: no worktree has the branch checked out, and no rebase or
 * bisect holds it (`branchHolder`, from the files; git's worktree list where HEAD files cannot
 * tell). Then, as
 * `git branch -D` does after the ref, its `branch.<name>` section goes from the repository's
 * config (builtin/branch.c, `delete_branches`), which `git config --remove-section` removes the
 * same way (`--file <commonDir>/config`: that file, as `git branch -D`, even under GIT_CONFIG);
 * it is asked only when that file's text names the branch at all.
 * @param at the main worktree (any folder of the repository), with the caller's environment
 * @param tip the commit (40 or 64 hex) the branch was checked at
 * @returns `{deleted: true}`, or why the branch is still there (or gone by someone else's hand);
 *   never throws for a refusal.
 * @throws GitError (exit 6) when git fails to run at all.
 */
export async function deleteBranchAt(
  at: GitAt,
  repo: { commonDir: string; mainPath: string; bare: boolean },
  branch: string,
  tip: string,
): Promise<BranchDeletion> {
  const ref = `refs/heads/${branch}`;
  const held = branchHolder(repo, branch);
  const holder =
    held.where ?? (held.headsKnown ? null : ((await listWorktrees(at)).find((e) => e.branch === branch)?.path ?? null));
  if (holder) return { deleted: false, why: "checked-out", where: holder };
  const r = await git(["update-ref", "--no-deref", "-d", ref, tip], { ...at, okCodes: [1, 128] });
  if (r.exitCode !== 0) {
    const now = await resolveCommit(at, ref);
    if (now === null) return { deleted: false, why: "gone" };
    if (now !== tip) return { deleted: false, why: "moved", now };
    // git's first line says why (a lock file, a permission); the rest is advice.
    return { deleted: false, why: "failed", message: r.stderr.trim().split("\n")[0] ?? "" };
  }
  const config = path.join(repo.commonDir, "config");
  if (configMayName(config, branch)) {
    // The repository's own file, as `git branch -D` writes it, whatever GIT_CONFIG says.
    // Exit 128 (older git) or 1: no such section; a section left behind only names an upstream.
    await git(["config", "--file", config, "--remove-section", `branch.${branch}`], { ...at, okCodes: [1, 128] });
  }
  return { deleted: true };
}

/**
 * Whether the config file `file` may hold a `[branch "<name>"]` section: its text names the
 * branch, compared without case (the old `[branch.name]` form folds it) and without
 * backslashes (a section header escapes `"` as `\"`, and git reads `\x` there as `x`: git-config(1),
 * "Syntax"). False only when no section can name it.
 */
function configMayName(file: string, branch: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return true;
  }
  return text.replaceAll("\\", "").toLowerCase().includes(branch.toLowerCase());
}
