import { type IntegratedHow, integrationOf } from "../git/integrated.js";
import { type BranchTip, branchTips, commitSubjects, commitTree, mergeTree, rebasingBranch } from "../git/merge.js";
import { isAncestor, listWorktrees } from "../git/repo.js";
import type { GitAt } from "../git/run.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import { ConflictError, UsageError, WtError } from "./errors.js";
import { type HeldLock, lockedSignal, withRepoLock } from "./lock.js";
import { preflight, recordsOf, refuseOperation, resolveTarget } from "./merge-checks.js";
import { moveSteps } from "./merge-steps.js";
import { validateId } from "./names.js";
import { gitAt, openSession, type Session } from "./session.js";
import { readRecords, type WorktreeRecord } from "./state.js";
import { executeSteps } from "./steps/execute.js";
import type { Step } from "./steps/step.js";
import { commandsFrom, type RepoCommand, repositoryCommands, requireTrust } from "./trust.js";

export interface MergeOptions {
  /** Worktree ids, merged in this order. */
  ids: string[];
  /** Target branch; default config `merge.into`, else the local branch the base names. */
  into?: string;
  /** Refuse (exit 3) unless every branch is a fast-forward of the target. */
  ffOnly?: boolean;
  /** One single-parent commit per branch instead of a merge commit. */
  squash?: boolean;
  /** Run `wt cleanup` for every id merged in this run. */
  cleanup?: boolean;
  /** Skip a conflicting id and go on with the next one. */
  continueOnConflict?: boolean;
  /** Compute every merge, print the steps, move nothing. */
  dryRun?: boolean;
  /** Commands (`--verify`) run on the merged tree in a temporary worktree before the ref moves. */
  verify?: string[];
  /** false: config `hooks.preMerge` does not run (`--no-hooks`); `verify` still does. */
  hooks?: boolean;
}

export type MergeStrategy = "merge" | "ff-only" | "squash";

/** One branch this run merged (or, with --dry-run, would merge). */
export interface MergedBranch {
  id: string;
  branch: string;
  /** The commit the target moved to for this branch: the merge or squash commit, or the branch tip (ff). */
  commit: string;
  /** The target's commit before this branch. */
  from: string;
}

export interface MergeSkip {
  id: string;
  reason: "already-merged" | "conflict";
  /** already-merged: the integration rule that held. */
  how?: IntegratedHow;
  /** conflict (`--continue-on-conflict`): the conflicting files. */
  files?: string[];
}

/** Where the run stopped: the id whose merge conflicts, its files, and the commands that resolve it. */
export interface MergeConflict {
  id: string;
  branch: string;
  files: string[];
  /** `wt run <id> -- git merge <target>`, then `wt merge <the rest>`. */
  next: string[];
}

/** The JSON document of `wt merge` (docs/contract.md, "wt merge"). */
export interface MergeResult {
  target: string;
  strategy: MergeStrategy;
  dryRun: boolean;
  merged: MergedBranch[];
  skipped: MergeSkip[];
  conflict: MergeConflict | null;
  /** Ids not attempted because the run stopped at `conflict`. */
  pending: string[];
  /** Ids `--cleanup` removed. */
  cleaned: string[];
  /** The target's commit before and after the run (equal when nothing moved). */
  from: string;
  to: string;
  /** The worktree that has the target checked out, updated to `to`; null when none. */
  targetWorktree: string | null;
  /** The steps that moved (or, with --dry-run, would move) the target. */
  steps: string[];
  warnings: string[];
}

/** What computing the chain produced, before anything moves. */
interface Chain {
  merged: MergedBranch[];
  skipped: MergeSkip[];
  conflict: MergeConflict | null;
  pending: string[];
  /** The running tip (the commit the target moves to) and its tree. */
  tip: string;
  tipTree: string;
}

/**
 * `wt merge <id>...`: merges the ids' branches into the target one after the other, seeds 000
 * and 001's `git merge --no-ff` loop. Every merge is computed first without touching any
 * working tree (`mergeTree`), as unreferenced commits; then, under the repository lock and
 * through the step executor, the verify commands run on the result, the target ref moves by
 * compare-and-swap and the worktree that has the target checked out (if any) is updated.
 * A conflict stops the run: the merges before it land, the result names the files (the CLI
 * exits 3). Nothing moves with `dryRun`.
 * @throws UsageError (2) for bad options or target; WorktreeNotFoundError / ConflictError (3),
 *   e.g. `--ff-only` and a branch that is not a fast-forward; BusyError (4) for the lock or a
 *   target moved by someone else meanwhile; DirtyWorktreeError (5) for uncommitted changes in
 *   an id's worktree, or in the target's worktree on a path the merge changes; CommandFailedError
 *   (6) for a failing verify command or git. Nothing has moved when any of these is thrown.
 */
export async function mergeWorktrees(ctx: WtContext, options: MergeOptions): Promise<MergeResult> {
  if (options.ids.length === 0) throw new UsageError("name the worktrees to merge", "for example: wt merge 101 102");
  if (options.ffOnly && options.squash) throw new UsageError("--ff-only and --squash contradict each other");
  for (const id of options.ids) validateId(id);
  const session = await openSession(ctx);
  // Before the lock and before any merge is computed: hooks.preMerge (and, with --cleanup,
  // the cleanup hooks, which would otherwise be refused after the target moved).
  await requireTrust(session, ctx, {
    verb: `wt merge ${options.ids.join(" ")}`,
    runs: repositoryCommandsOf(session, options),
    dryRun: options.dryRun,
  });
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const work = (held?: HeldLock) => mergeLocked(session, ctx, options, warnings, held);
  const result = options.dryRun
    ? await work()
    : await withRepoLock(
        session.repo.stateDir,
        {
          timeoutMs: lockTimeoutMs(ctx.env),
          onWarning: warn,
          onWait: ctx.onNotice,
          purpose: `wt merge ${options.ids.join(" ")}`,
        },
        work,
      );
  // After the lock is released: cleanup takes it itself.
  if (options.cleanup && !options.dryRun) result.cleaned = await cleanupMerged(ctx, result, warn);
  return result;
}

async function mergeLocked(
  session: Session,
  ctx: WtContext,
  options: MergeOptions,
  warnings: string[],
  held?: HeldLock,
): Promise<MergeResult> {
  const at = gitAt(session);
  const records = recordsOf(await readRecords(session.repo.stateDir), options.ids);
  const [entries, tips] = await Promise.all([listWorktrees(at), branchTips(at)]);
  const target = await resolveTarget(session, options.into, tips);
  await preflight(session, records, entries, target, tips);
  const targetEntry = entries.find((e) => e.branch === target && !e.bare) ?? null;
  if (targetEntry) refuseOperation(targetEntry.path, `the worktree of ${target}`, `git -C ${targetEntry.path} status`);
  // A rebase of the target (its worktree's HEAD detached meanwhile) would end by moving it back.
  const rebasing = entries.find((e) => !e.bare && rebasingBranch(e.path) === `refs/heads/${target}`);
  if (rebasing) refuseOperation(rebasing.path, `the worktree rebasing ${target}`, `git -C ${rebasing.path} status`);
  const start = tips.get(target) as BranchTip;
  const from = start.commit;
  const chain = await computeChain(at, records, target, start, tips, options);
  const verify = [...(options.verify ?? []), ...(options.hooks === false ? [] : session.config.hooks.preMerge)];
  const signal = held ? lockedSignal(ctx.signal, held) : ctx.signal;
  const steps =
    chain.tip === from ? [] : await moveSteps({ at, ctx, target, from, to: chain.tip, targetEntry, verify, signal });
  const result: MergeResult = {
    target,
    strategy: options.ffOnly ? "ff-only" : options.squash ? "squash" : "merge",
    dryRun: options.dryRun === true,
    merged: chain.merged,
    skipped: chain.skipped,
    conflict: chain.conflict,
    pending: chain.pending,
    cleaned: [],
    from,
    to: options.dryRun ? from : chain.tip,
    targetWorktree: targetEntry?.path ?? null,
    steps: steps.map((s) => s.title),
    warnings,
  };
  if (!options.dryRun && steps.length > 0) await runSteps(steps, ctx, signal);
  return result;
}

/** The one place `wt merge` uses the executor. */
async function runSteps(steps: readonly Step[], ctx: WtContext, signal: AbortSignal | undefined): Promise<void> {
  await executeSteps(steps, { signal, onStep: ctx.onProgress, onWarning: ctx.onWarning });
}

/**
 * Merges each branch into the running tip, in order, as objects only: skips an integrated
 * branch, stops at (or with `continueOnConflict` skips) a conflict, and makes the commit each
 * clean merge becomes. Moves no ref and touches no worktree. Per branch: one `merge-tree` and
 * one `commit-tree`; the integration rule reuses that merge (`integrationOf`).
 * @throws ConflictError (3) with `ffOnly` when a branch is not a fast-forward of the tip.
 */
async function computeChain(
  at: GitAt,
  records: readonly WorktreeRecord[],
  target: string,
  start: BranchTip,
  tips: ReadonlyMap<string, BranchTip>,
  options: MergeOptions,
): Promise<Chain> {
  const chain: Chain = { merged: [], skipped: [], conflict: null, pending: [], tip: start.commit, tipTree: start.tree };
  for (const [i, record] of records.entries()) {
    const branch = tips.get(record.branch) as BranchTip;
    const step = await mergeOne(at, record, branch, target, chain, options);
    if (step.kind === "integrated") {
      chain.skipped.push({ id: record.id, reason: "already-merged", how: step.how });
    } else if (step.kind === "merged") {
      chain.merged.push({ id: record.id, branch: record.branch, commit: step.commit, from: chain.tip });
      chain.tip = step.commit;
      chain.tipTree = step.tree;
    } else if (options.continueOnConflict) {
      chain.skipped.push({ id: record.id, reason: "conflict", files: step.files });
    } else {
      const rest = records.slice(i + 1).map((r) => r.id);
      const next = [`wt run ${record.id} -- git merge ${target}`, `wt merge ${[record.id, ...rest].join(" ")}`];
      chain.conflict = { id: record.id, branch: record.branch, files: step.files, next };
      chain.pending = rest;
      break;
    }
  }
  return chain;
}

type OneMerge =
  | { kind: "integrated"; how: IntegratedHow }
  | { kind: "merged"; commit: string; tree: string }
  | { kind: "conflict"; files: string[] };

/** What merging `branch` into the chain's tip gives: already integrated, a new commit, or the conflicting files. */
async function mergeOne(
  at: GitAt,
  record: WorktreeRecord,
  branch: BranchTip,
  target: string,
  chain: Chain,
  options: MergeOptions,
): Promise<OneMerge> {
  const merge = await mergeTree(at, chain.tip, branch.commit);
  const input = { branch: branch.commit, branchTree: branch.tree, target: chain.tip, targetTree: chain.tipTree, merge };
  const integration = await integrationOf(at, input);
  if (integration.integrated && integration.how) return { kind: "integrated", how: integration.how };
  if (options.ffOnly) {
    if (await isAncestor(at, chain.tip, branch.commit))
      return { kind: "merged", commit: branch.commit, tree: branch.tree };
    throw new ConflictError(
      `${record.branch} (wt ${record.id}) is not a fast-forward of ${target}: both have commits of their own; nothing was merged`,
      `rebase it (\`wt run ${record.id} -- git rebase ${target}\`), or merge without --ff-only`,
    );
  }
  if (!merge.clean || merge.tree === null) return { kind: "conflict", files: merge.conflicts };
  const tree = merge.tree;
  if (!options.squash) {
    const message = `Merge branch '${record.branch}' (wt ${record.id})`;
    return { kind: "merged", commit: await commitTree(at, tree, [chain.tip, branch.commit], message), tree };
  }
  const subjects = await commitSubjects(at, chain.tip, branch.commit);
  const message = `Squash branch '${record.branch}' (wt ${record.id})\n\n${subjects.map((s) => `* ${s}`).join("\n")}`;
  return { kind: "merged", commit: await commitTree(at, tree, [chain.tip], message), tree };
}

/** The commands from the repository this merge would run; `--verify` ones are the caller's own. */
function repositoryCommandsOf(session: Session, options: MergeOptions): RepoCommand[] {
  const phases = [
    ...(options.hooks === false ? [] : ["hooks.preMerge"]),
    ...(options.cleanup ? ["hooks.preCleanup", "hooks.postCleanup"] : []),
  ];
  return commandsFrom(repositoryCommands(session.config), phases);
}

/** `wt cleanup` of each id merged in this run, one at a time, so one refusal keeps only that one. */
async function cleanupMerged(ctx: WtContext, result: MergeResult, warn: (m: string) => void): Promise<string[]> {
  const { cleanupWorktrees } = await import("./cleanup.js");
  const cleaned: string[] = [];
  for (const { id } of result.merged) {
    try {
      const r = await cleanupWorktrees(ctx, { ids: [id] });
      cleaned.push(...r.removed.map((w) => w.id));
      for (const w of r.removed) {
        if (!w.branchDeleted) warn(`${w.id}: branch ${w.branch} kept: ${w.branchKept}`);
        // What a plain `wt cleanup` lists (docs/contract.md: ignored files are always shown).
        const gone = [
          ...(w.editedCopies ?? []).map((f) => `${f} (a copy edited since)`),
          ...w.ignoredRemoved.map((g) => (g.path.endsWith("/") ? `${g.path} (${g.files} files)` : g.path)),
        ];
        if (gone.length > 0) warn(`${w.id}: deleted with the worktree, not wt's own: ${gone.join(", ")}`);
      }
    } catch (e) {
      if (!(e instanceof WtError)) throw e;
      warn(`cleanup of ${id} refused: ${e.message}`);
    }
  }
  return cleaned;
}
