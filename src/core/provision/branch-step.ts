import { type BranchDeletion, deleteBranchAt } from "../../git/branch-delete.js";
import type { GitAt } from "../../git/run.js";
import { gitAt, type Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import type { BranchFate } from "./types.js";

/** Where a branch step reports what became of the branch. */
export interface BranchOutcome {
  branchDeleted: boolean;
  /** Why the branch was kept after all, when the step found it changed (else as decided). */
  branchKept?: string | null;
}

/**
 * The step that carries out a branch's fate (cleanup's and release's): keep it and say why, or
 * delete it only while it still names the commit the checks judged (`deleteBranchAt`). A
 * branch that moved meanwhile, or that a worktree, a rebase or a bisect took meanwhile, is kept
 * with a warning, and `out.branchKept` says why; the run still succeeds: nothing was lost.
 * @param suffix added to the delete step's title (`" (integrated)"`)
 */
export function branchFateStep(
  session: Session,
  record: WorktreeRecord,
  fate: BranchFate,
  out: BranchOutcome,
  warn: (m: string) => void,
  suffix = "",
): Step {
  const { branch } = record;
  if (!fate.delete) return { kind: "keep-branch", title: `keep branch ${branch} (${fate.kept})`, run: async () => {} };
  return {
    kind: "delete-branch",
    title: `delete branch ${branch}${suffix}`,
    detail: { branch, tip: fate.tip },
    run: async () => {
      const done = await deleteBranchAt(gitAt(session), session.repo, branch, fate.tip);
      if (done.deleted) {
        out.branchDeleted = true;
        return;
      }
      out.branchKept = keptBecause(done, fate.tip);
      warn(`${record.id}: branch ${branch} was not deleted: ${out.branchKept}`);
    },
  };
}

/**
 * The `branchKept` sentence of a deletion git did not make.
 * @param since when `tip` was read ("after wt checked it")
 */
export function keptBecause(
  done: Exclude<BranchDeletion, { deleted: true }>,
  tip: string,
  since = "after wt checked it",
): string {
  switch (done.why) {
    case "moved":
      return `it moved from ${tip.slice(0, 8)} to ${done.now.slice(0, 8)} ${since}`;
    case "gone":
      return "the branch no longer exists";
    case "checked-out":
      return `checked out in ${done.where}`;
    case "failed":
      return `git could not delete it: ${done.message}`;
  }
}

/**
 * A rolled-back run's branch goes only while at `madeAt`, the commit the run made it at; else
 * (moved, checked out, not known) it stays, and `warn` says why. One already gone is no error.
 */
export async function deleteMadeBranch(
  at: GitAt,
  repo: Session["repo"],
  branch: string,
  madeAt: string | null,
  warn: (m: string) => void,
): Promise<void> {
  if (madeAt === null) {
    warn(`branch ${branch} was kept: wt could not tell the commit it was made at`);
    return;
  }
  const done = await deleteBranchAt(at, repo, branch, madeAt);
  if (!done.deleted && done.why !== "gone") {
    warn(
      `branch ${branch} was kept: ${keptBecause(done, madeAt, "since wt made it (a commit made during the create?)")}`,
    );
  }
}
