import { type MergeTreeResult, mergeTree } from "./merge.js";
import { isAncestor } from "./repo.js";
import { type GitAt, git, gitOut } from "./run.js";

/**
 * The one integration rule (docs/contract.md, "Integrated branches"): cleanup's branch deletion,
 * `wt cleanup --merged`, `wt status`'s `integrated` and `wt merge`'s `already-merged` all ask
 * this module. The ladder follows worktrunk's (src/git/repository/integration.rs), cheapest
 * first, first hit wins; every check is plumbing, so `diff.*` config cannot change the answer.
 */

/** Which rule found the branch integrated. */
export type IntegratedHow =
  | "same-commit"
  | "ancestor"
  | "no-added-changes"
  | "trees-match"
  | "merge-adds-nothing"
  | "patch-id";

export interface Integration {
  integrated: boolean;
  /** The first rule that held, or null when none did. */
  how: IntegratedHow | null;
}

const NO: Integration = Object.freeze({ integrated: false, how: null });

/**
 * Whether `branch` is integrated into `target`: the first of these that holds, in order,
 * 1. `same-commit`: both name the same commit;
 * 2. `ancestor`: the branch is reachable from the target (`git branch -d`'s rule);
 * 3. `no-added-changes`: the three-dot diff (merge-base..branch) is empty;
 * 4. `trees-match`: the branch's tree is the target's;
 * 5. `merge-adds-nothing`: a simulated merge into the target (`merge-tree --write-tree`) is
 *    clean and gives the target's own tree: a squash merge, even when the target moved on;
 * 6. `patch-id`: `git cherry <target> <branch>` marks every commit `-` (its patch-id is on
 *    the target: cherry-picks, rebase merges), or the branch's whole diff squashed into one
 *    commit is (a squash merge; git-delete-squashed's trick).
 * Rules 2-4 each imply 5, so one simulated merge answers them all (the cheaper checks only
 * name the rule). Rule 6 is asked only when the merge conflicts, as worktrunk does: a clean
 * merge that still adds changes means the target lacks them (it reverted a picked commit,
 * say), so the branch's work is not on the target and must not be called merged.
 * @param at any folder of the repository, with the caller's environment
 * @param branch, target commit-ishes (`refs/heads/feature/x`, `main`, a commit id)
 * @returns `{integrated: false, how: null}` also when either names no commit
 * @throws GitError (exit 6) when git fails otherwise.
 */
export async function isIntegrated(at: GitAt, branch: string, target: string): Promise<Integration> {
  // Several revisions in one run, so no `--verify` (one only) and no `--end-of-options` (which
  // `rev-parse` of git 2.39 echoes as a revision): a leading `-` is refused here instead.
  if (branch.startsWith("-") || target.startsWith("-")) return NO;
  const revs = [`${branch}^{commit}`, `${target}^{commit}`, `${branch}^{tree}`, `${target}^{tree}`];
  const r = await git(["rev-parse", ...revs], { cwd: at.cwd, env: at.env, okCodes: [128] });
  const [b, t, bTree, tTree] = r.stdout.split("\n");
  if (r.exitCode !== 0 || !b || !t || !bTree || !tTree) return NO;
  if (b === t) return { integrated: true, how: "same-commit" };
  const merge = await mergeTree(at, t, b);
  return integrationOf(at, { branch: b, branchTree: bTree, target: t, targetTree: tTree, merge });
}

/** What `integrationOf` needs: both commits, their trees, and the merge of the branch into the target. */
export interface IntegrationInput {
  branch: string;
  branchTree: string;
  target: string;
  targetTree: string;
  /** `mergeTree(target, branch)`. */
  merge: MergeTreeResult;
}

/**
 * `isIntegrated`'s ladder for a caller that has simulated the merge already (`wt merge`
 * needs it anyway): no further git run unless the branch is integrated (to name the rule)
 * or the merge conflicts (rule 6).
 */
export async function integrationOf(at: GitAt, x: IntegrationInput): Promise<Integration> {
  if (x.branch === x.target) return { integrated: true, how: "same-commit" };
  if (x.merge.clean && x.merge.tree === x.targetTree) return { integrated: true, how: await whichRule(at, x) };
  if (x.merge.clean) return NO;
  const base = await mergeBase(at, x.branch, x.target);
  if (base !== null && (await patchesOnTarget(at, x.branch, x.target, base, x.branchTree))) {
    return { integrated: true, how: "patch-id" };
  }
  return NO;
}

/** The first of rules 2-5 that holds, for a branch whose merge adds nothing to the target. */
async function whichRule(at: GitAt, x: IntegrationInput): Promise<IntegratedHow> {
  if (await isAncestor(at, x.branch, x.target)) return "ancestor";
  const base = await mergeBase(at, x.branch, x.target);
  if (base !== null && (await treesEqual(at, base, x.branch))) return "no-added-changes";
  return x.branchTree === x.targetTree ? "trees-match" : "merge-adds-nothing";
}

/**
 * How many commits `branchRef` has beyond `baseCommit` (`rev-list --count base..branch`): 0
 * means the worktree's branch holds no work of its own, so it is never "merged" (`no-commits`:
 * an agent that just received the worktree must not lose it).
 * @returns null when either names no commit
 */
export async function commitsOwn(at: GitAt, branchRef: string, baseCommit: string): Promise<number | null> {
  const r = await git(["rev-list", "--count", "--end-of-options", `${baseCommit}..${branchRef}`, "--"], {
    cwd: at.cwd,
    env: at.env,
    okCodes: [128],
  });
  return r.exitCode === 0 ? Number(r.stdout.trim()) : null;
}

/** `git merge-base <a> <b>`: the best common ancestor, or null when they share none. */
export async function mergeBase(at: GitAt, a: string, b: string): Promise<string | null> {
  const r = await git(["merge-base", "--end-of-options", a, b], { cwd: at.cwd, env: at.env, okCodes: [1] });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** `diff-tree --quiet`: exit 0 when the two commits' trees hold the same content (submodules included). */
async function treesEqual(at: GitAt, a: string, b: string): Promise<boolean> {
  const r = await git(["diff-tree", "--quiet", "-r", "--end-of-options", a, b], {
    cwd: at.cwd,
    env: at.env,
    okCodes: [1],
  });
  return r.exitCode === 0;
}

/**
 * `git cherry <target> <tip>` (git-cherry(1)): one line per commit of `tip` not on `target`,
 * `-` when a commit with the same patch-id is on the target, `+` otherwise. Tried on the
 * branch itself, then on one unreferenced commit holding the branch's whole diff
 * (`commit-tree <branch tree> -p <merge-base>`), which matches a squash commit.
 */
async function patchesOnTarget(at: GitAt, b: string, t: string, base: string, bTree: string): Promise<boolean> {
  const here = { cwd: at.cwd, env: at.env };
  if (allMinus(await gitOut(["cherry", "--end-of-options", t, b], here))) return true;
  const squashed = (
    await gitOut(["commit-tree", "-p", base, "-m", "wt: squash probe", "--end-of-options", bTree], {
      ...here,
      env: { ...at.env, ...PROBE_IDENTITY },
    })
  ).trim();
  return allMinus(await gitOut(["cherry", "--end-of-options", t, squashed], here));
}

/** The probe commit is never referenced; a fixed identity keeps it working without user.name. */
const PROBE_IDENTITY: Record<string, string> = {
  GIT_AUTHOR_NAME: "wt",
  GIT_AUTHOR_EMAIL: "wt@localhost",
  GIT_COMMITTER_NAME: "wt",
  GIT_COMMITTER_EMAIL: "wt@localhost",
};

function allMinus(cherry: string): boolean {
  const lines = cherry.split("\n").filter(Boolean);
  return lines.length > 0 && lines.every((l) => l.startsWith("- "));
}
