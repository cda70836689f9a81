import { rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { revParseHead } from "../../git/refs.js";
import { resolveCommit } from "../../git/repo.js";
import { addWorktree, type GitAt, removeWorktree } from "../../git/worktree.js";
import { adminDirNaming } from "../../git/worktree-link.js";
import type { WtContext } from "../context.js";
import { countWhileCopying } from "../copy-progress.js";
import { createLockReason } from "../create-lock.js";
import { isInside } from "../fs-safe.js";
import { preloadCrypto } from "../lazy-crypto.js";
import { idKey } from "../names.js";
import { claimStep } from "../pool/claim.js";
import { gitAt, type Session } from "../session.js";
import { readRecords, type WorktreeRecord, writeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import { moveToTrash, takeOutOfTrash } from "../trash.js";
import { branchFateStep, deleteMadeBranch } from "./branch-step.js";
import { auditFolder } from "./checkout-audit.js";
import { planCheckout } from "./checkout-plan.js";
import type { CheckedWorktree, NewPlan, Provisioner, RemovalOutcome } from "./types.js";

/**
 * The branch and the git worktree: `git worktree add` (locked until create is done; a rollback
 * removes the worktree, the branch it made and the parent folders it made), and at cleanup
 * `git worktree remove` (the folder moved to the trash first) and the branch's fate. Its plan
 * checks folder, branch and base (`planCheckout`); its audit reports the user's ignored files.
 */
export const checkoutProvisioner: Provisioner = {
  name: "checkout",
  inFolder: false,
  plan: planCheckout,
  audit: auditFolder,
  apply: ({ session, ctx, plan, claim, out }) => [
    claim ? claimStep(session, ctx, plan, claim, out) : addStep(session, ctx, plan),
  ],
  teardown: (record, { session, checked, fate, folderExists, warn, out }) => [
    worktreeStep(session, checked, folderExists, warn, out),
    branchFateStep(session, record, fate, out, warn),
  ],
};

/** `git worktree add`, undone by removing the worktree, the branch it made and the parents it made. */
function addStep(session: Session, ctx: WtContext, plan: NewPlan): Step {
  const { record, how } = plan;
  const folder = record.path;
  const title =
    how.kind === "existing"
      ? `add worktree ${folder} on the existing branch ${how.branch}`
      : how.kind === "track"
        ? `add worktree ${folder} with new branch ${how.branch} tracking origin/${how.branch}`
        : `add worktree ${folder} with new branch ${how.branch} at ${record.base} (${plan.baseCommit.slice(0, 8)})`;
  const at = gitAt(session, session.repo.mainPath, ctx.signal);
  // Where a tracking branch was made (origin's branch then): read once the worktree is there.
  let trackedAt: string | null = null;
  return {
    kind: "add-worktree",
    title,
    detail: { path: folder, branch: how.branch, source: how.kind },
    run: async () => {
      // A long checkout shows its files and bytes as git writes them (the CLI's progress line).
      const counter = countWhileCopying(folder, ctx.onStepProgress);
      // What the steps after the checkout hash (the copies' fingerprints) loads while git works.
      preloadCrypto();
      try {
        await addWorktree(at, folder, how, createLockReason(process.pid));
        if (how.kind === "track") trackedAt = await revParseHead(gitAt(session, folder, ctx.signal));
      } finally {
        // No final count: it would walk the whole new worktree again.
        await counter.stop(false);
      }
    },
    undo: async () => {
      const branch = record.createdBranch
        ? { name: record.branch, madeAt: async () => trackedAt ?? (await madeAt(how, gitAt(session))) }
        : null;
      const warn = (m: string) => ctx.onWarning?.(m);
      await removeWorktreeAndBranch(gitAt(session), session.repo, folder, branch, warn);
      await removeEmptyParents(path.dirname(folder), plan.madeParents);
    },
  };
}

/** Removes (or forgets) the worktree folder and the parent folders its create made. */
function worktreeStep(
  session: Session,
  { record, entry }: CheckedWorktree,
  folderExists: boolean,
  warn: (m: string) => void,
  out: RemovalOutcome,
): Step {
  const { repo } = session;
  const run = async () => {
    if (entry === null) {
      if (folderExists) warn(`git no longer lists ${record.path} as a worktree; its folder is left in place`);
      // Neither registered nor there (a create killed before or during `git worktree add`,
      // which removes its own half-made worktree): the parent folders it made go too.
      else await removeMadeFolder(repo.stateDir, repo.mainPath, record);
      return;
    }
    const trashed = folderExists ? await moveToTrash(repo.stateDir, repo.commonDir, record.path) : null;
    try {
      // Also unregisters a worktree whose folder is gone (moved to the trash, or deleted by hand).
      // Locked: by the user (cleanup got here past that), or by `moveToTrash` itself.
      await removeWorktree(gitAt(session), record.path, { locked: true });
    } catch (e) {
      if (trashed) await takeOutOfTrash(repo.commonDir, trashed, record.path).catch(() => {});
      throw e;
    }
    if (trashed) out.trash.push(trashed);
    await removeMadeFolder(repo.stateDir, repo.mainPath, record);
  };
  return {
    kind: "remove-worktree",
    title: folderExists ? `remove worktree ${record.path}` : `forget worktree ${record.path} (folder already gone)`,
    detail: { path: record.path },
    run,
  };
}

/** Removes `dir` and its parents up to `top` (inclusive) while they are empty. */
async function removeEmptyParents(dir: string, top: string | null): Promise<void> {
  if (top === null) return;
  let at = dir;
  for (;;) {
    try {
      await rmdir(at);
    } catch {
      return;
    }
    if (at === top) return;
    at = path.dirname(at);
  }
}

/**
 * Rollback of `git worktree add`: unregisters and deletes the folder (after unlinking any
 * symlink wt made, so nothing is followed), and deletes the branch when this run made it, only
 * while it is still at the commit it was made at (`deleteBranchAt`): a commit a postCreate hook
 * (or an agent it started) made on it keeps it, with a warning.
 * @param branch the branch this run made and the commit it was made at (null: unknown, so kept)
 */
async function removeWorktreeAndBranch(
  at: GitAt,
  repo: Session["repo"],
  worktree: string,
  branch: { name: string; madeAt: () => Promise<string | null> } | null,
  warn: (m: string) => void,
): Promise<void> {
  await removeWorktree(at, worktree, { locked: true, tolerant: true });
  await rm(worktree, { recursive: true, force: true });
  // What `git worktree prune` would do for this worktree alone: a prune forgets every worktree
  // whose folder is gone, among them one a stopped cleanup left in wt's trash (which the next
  // cleanup would then take for a leftover and delete) and a user's on an unmounted disk.
  const admin = adminDirNaming(repo.commonDir, worktree);
  if (admin !== null) await rm(admin, { recursive: true, force: true });
  if (branch) await deleteMadeBranch(at, repo, branch.name, await branch.madeAt(), warn);
}

/**
 * The commit `git worktree add` made the branch at: the base's; for a tracking branch whose
 * HEAD was not read (the add was stopped), origin's branch now.
 */
async function madeAt(how: NewPlan["how"], at: GitAt): Promise<string | null> {
  if (how.kind === "new") return how.commit;
  return how.kind === "track" ? resolveCommit(at, `refs/remotes/origin/${how.branch}`) : null;
}

/**
 * The folder `git worktree add` made for a worktree (`../app-worktrees/`, recorded as
 * `madeFolder`) goes with the last worktree in it: removed (rmdir, so only when empty) from the
 * worktree's parent up to it, or, while other worktrees are still inside, handed over to one of
 * their records. A folder wt did not make, or one in the main worktree, is never removed.
 * Runs under the repository lock.
 */
async function removeMadeFolder(stateDir: string, mainPath: string, record: WorktreeRecord): Promise<void> {
  const made = record.madeFolder;
  if (!made || isInside(made, mainPath) || isInside(mainPath, made)) return;
  for (let at = path.dirname(record.path); isInside(made, at); at = path.dirname(at)) {
    try {
      await rmdir(at);
    } catch {
      break;
    }
    if (at === made) return;
  }
  const heir = (await readRecords(stateDir)).find(
    (r) => idKey(r.id) !== idKey(record.id) && !r.madeFolder && isInside(made, r.path),
  );
  if (heir) await writeRecord(stateDir, { ...heir, madeFolder: made });
}
