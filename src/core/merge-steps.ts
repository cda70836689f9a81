import {
  changedPaths,
  dirtyPaths,
  indexMatches,
  overlappingPaths,
  updateRefCas,
  updateWorktreeTo,
  withTemporaryWorktree,
} from "../git/merge.js";
import type { WorktreeEntry } from "../git/parse.js";
import type { GitAt } from "../git/run.js";
import type { WtContext } from "./context.js";
import { BusyError, DirtyWorktreeError } from "./errors.js";
import { filesInTheWay } from "./fs-safe.js";
import { runHooks } from "./hooks.js";
import type { Step } from "./steps/step.js";

/**
 * The steps of `wt merge` that move something (docs/contract.md, "wt merge"), run by the one
 * executor under the repository lock once every merge of the chain is computed.
 */

/** What landing a computed chain needs. */
export interface MoveInput {
  /** The main worktree, with the caller's environment. */
  at: GitAt;
  ctx: WtContext;
  target: string;
  from: string;
  to: string;
  targetEntry: WorktreeEntry | null;
  verify: string[];
  signal: AbortSignal | undefined;
}

/**
 * The steps that land the chain: verify commands on `to` in a temporary worktree, the update
 * of the target's worktree, and the CAS of the target ref (a failed CAS undoes the update).
 * @throws DirtyWorktreeError (5) before any step when the target's worktree has uncommitted
 *   changes on a path the merges change (its other changes are kept by `updateWorktreeTo`).
 */
export async function moveSteps(m: MoveInput): Promise<Step[]> {
  const short = (c: string) => c.slice(0, 8);
  const ref = `refs/heads/${m.target}`;
  const steps: Step[] = [];
  if (m.verify.length > 0) {
    steps.push({
      kind: "verify",
      title: `verify ${short(m.to)} in a temporary worktree: ${m.verify.join("; ")}`,
      run: () => verifyCommit(m),
    });
  }
  // The worktree first, then the ref: git's own order for a fast-forward. A wt killed between
  // the two leaves the target's HEAD at the old commit with the merge staged, which a commit
  // keeps; the other order left HEAD at the merge with its reverse staged, which a commit would
  // land as a revert.
  const wt = m.targetEntry;
  if (wt) {
    const inTarget: GitAt = { cwd: wt.path, env: m.at.env };
    const overlap = overlappingPaths(await dirtyPaths(inTarget), await changedPaths(m.at, m.from, m.to));
    if (overlap.length > 0) throw dirtyTarget(m.target, wt.path, overlap);
    const inTheWay = await filesInTheWay(m.at, wt.path, m.from, m.to);
    if (inTheWay.length > 0)
      throw dirtyTarget(m.target, wt.path, inTheWay, "untracked or ignored files the merge would overwrite");
    steps.push({
      kind: "update-worktree",
      title: `update the worktree of ${m.target} (${wt.path}) from ${short(m.from)} to ${short(m.to)}, keeping its local changes`,
      run: () => updateWorktreeTo(inTarget, m.from, m.to, m.signal),
      undo: async () => {
        if (await indexMatches(inTarget, m.to)) await updateWorktreeTo(inTarget, m.to, m.from);
      },
    });
  }
  steps.push({
    kind: "move-ref",
    title: `move ${ref} from ${short(m.from)} to ${short(m.to)} (compare-and-swap)`,
    run: async () => {
      if (await updateRefCas(m.at, ref, m.to, m.from)) return;
      throw new BusyError(
        `${m.target} moved while wt merged into it (it is no longer ${short(m.from)}); nothing was merged`,
        "run the same `wt merge` again",
      );
    },
    undo: async () => {
      await updateRefCas(m.at, ref, m.from, m.to, "wt merge: rolled back");
    },
  });
  return steps;
}

async function verifyCommit(m: MoveInput): Promise<void> {
  await withTemporaryWorktree(
    m.at,
    m.to,
    (folder) =>
      runHooks(m.verify, {
        cwd: folder,
        env: m.at.env,
        vars: { WT_MERGE_TARGET: m.target, WT_MERGE_COMMIT: m.to },
        output: m.ctx.output ?? null,
        terminal: m.ctx.terminal,
        signal: m.signal,
        label: "merge verify",
      }),
    m.signal,
  );
}

function dirtyTarget(
  target: string,
  folder: string,
  files: string[],
  what = "uncommitted changes to files the merge changes",
): DirtyWorktreeError {
  return new DirtyWorktreeError(
    `the worktree of ${target} (${folder}) has ${what}; nothing was merged:\n  ${files.slice(0, 20).join("\n  ")}`,
    `commit, stash or move them in ${folder}, then run \`wt merge\` again`,
    { path: folder, files },
  );
}
