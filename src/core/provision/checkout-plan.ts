import { readdir } from "node:fs/promises";
import path from "node:path";
import type { WorktreeEntry } from "../../git/parse.js";
import type { AddWorktreeBranch } from "../../git/worktree.js";
import { releaseStaleCreateLocks } from "../create-lock.js";
import { BaseNotFoundError, BranchCheckedOutError, FolderOccupiedError } from "../errors.js";
import { lstatOrNull } from "../fs-safe.js";
import { gitAt } from "../session.js";
import type { NewWorktree, PlanFacts, PlanScope } from "./types.js";

/**
 * The checkout's part of a new worktree's plan, from the facts: the folder is free (git does
 * not list it, no record holds it, it is missing or empty), the branch is checked out nowhere,
 * the base names a commit; then how `git worktree add` makes the branch (a local branch as it
 * is, else origin's tracked, else new at the base) and the parent folders it will make. Before
 * that, under the lock, create locks that a dead create left are released.
 * @throws FolderOccupiedError / BranchCheckedOutError / BaseNotFoundError (exit 3).
 */
export async function planCheckout({ session, w, facts, plan }: PlanScope): Promise<void> {
  const { entries } = facts;
  if (!w.dryRun) await releaseStaleCreateLocks(gitAt(session), entries, w.records);
  checkConflicts(entries, w);
  await checkFolder(w.worktree);
  if (facts.baseCommit === null) throw new BaseNotFoundError(w.base);
  const how = branchSource(facts, w.branch, facts.baseCommit);
  Object.assign(plan, { how, baseCommit: facts.baseCommit, entries });
  plan.record.baseCommit = facts.baseCommit;
  plan.record.createdBranch = how.kind !== "existing";
  plan.madeParents = await firstMissingAncestor(path.dirname(w.worktree));
  if (plan.madeParents !== null) plan.record.madeFolder = plan.madeParents;
}

/** A local branch is checked out as it is; else one on origin is tracked; else made at the base. */
function branchSource(facts: PlanFacts, branch: string, baseCommit: string): AddWorktreeBranch {
  if (facts.localBranch) return { kind: "existing", branch };
  if (facts.originBranch) return { kind: "track", branch };
  return { kind: "new", branch, commit: baseCommit };
}

function checkConflicts(entries: readonly WorktreeEntry[], w: NewWorktree): void {
  const samePath = entries.find((e) => path.resolve(e.path) === w.worktree);
  if (samePath) throw FolderOccupiedError.registered(w.worktree, samePath.prunable !== null);
  const onBranch = entries.find((e) => e.branch === w.branch);
  if (onBranch) throw new BranchCheckedOutError(w.branch, onBranch.path, w.branchFromFlag);
  const otherRecord = w.records.find((r) => r.path === w.worktree);
  if (otherRecord) throw FolderOccupiedError.recorded(w.worktree, otherRecord.id);
}

/** An occupied folder is exit 3 before any branch exists; an empty one is fine (git uses it). */
async function checkFolder(folder: string): Promise<void> {
  const st = await lstatOrNull(folder);
  if (st === null) return;
  if (st.isDirectory() && (await readdir(folder)).length === 0) return;
  throw FolderOccupiedError.notEmpty(folder);
}

/** The outermost folder on the way to `dir` that does not exist yet, or null. */
async function firstMissingAncestor(dir: string): Promise<string | null> {
  let missing: string | null = null;
  let at = dir;
  while ((await lstatOrNull(at)) === null) {
    missing = at;
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  return missing;
}
