import { type IntegratedHow, isIntegrated } from "../git/integrated.js";
import { listRemotes, refExists } from "../git/repo.js";
import type { GitAt } from "../git/run.js";
import { localBranchOf } from "./merge-checks.js";

/** A worktree branch's integration (docs/contract.md, "Integrated branches") and where it was found. */
export interface BranchIntegration {
  integrated: boolean;
  /** The rule that held (`ancestor`, `merge-adds-nothing`, `patch-id`, ...), or null. */
  how: IntegratedHow | null;
  /** The target it is integrated into (the base, or the base's local branch), or null. */
  into: string | null;
}

/**
 * What a worktree's branch is checked against: its base, then the local branch of a
 * remote-tracking base (`origin/main` -> `refs/heads/main`, as `wt merge` picks its target), so
 * that `wt merge` into local main and then `wt cleanup --merged` work before any push.
 * @param remotes the repository's remotes (`listRemotes`), read once per run
 */
export async function integrationTargets(at: GitAt, base: string, remotes: readonly string[]): Promise<string[]> {
  const local = localBranchOf(base, remotes);
  if (local === base || !(await refExists(at, `refs/heads/${local}`))) return [base];
  return [base, `refs/heads/${local}`];
}

/**
 * Whether `tip` (`refs/heads/<branch>`, or the commit a caller read it at) is integrated into
 * any of the targets of `base` (`integrationTargets`), by the one rule of
 * `src/git/integrated.ts`.
 * @throws GitError (exit 6) when git fails otherwise.
 */
export async function branchIntegration(
  at: GitAt,
  tip: string,
  base: string,
  remotes?: readonly string[],
): Promise<BranchIntegration> {
  const targets = await integrationTargets(at, base, remotes ?? (await listRemotes(at)));
  for (const target of targets) {
    const found = await isIntegrated(at, tip, target);
    if (found.integrated) return { ...found, into: target };
  }
  return { integrated: false, how: null, into: null };
}
