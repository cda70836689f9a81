import { existsSync } from "node:fs";
import path from "node:path";
import { isIntegrated } from "../../git/integrated.js";
import { batchCheckObjects, type ObjectInfo } from "../../git/objects.js";
import type { WorktreeEntry } from "../../git/parse.js";
import { aheadCount } from "../../git/refs.js";
import { resolveCommit } from "../../git/repo.js";
import { hasModulesDir } from "../../git/worktree-link.js";
import { heldByBranchOnly } from "../cleanup-check.js";
import { auditWorktreeFiles } from "../cleanup-files.js";
import { checkNotInProgress } from "../cleanup-guards.js";
import { lockTimeoutMs, type WtContext } from "../context.js";
import { BaseNotFoundError, UsageError, WorktreeNotFoundError } from "../errors.js";
import { lockedSignal, withRepoLock } from "../lock.js";
import { validateId } from "../names.js";
import { branchFateStep } from "../provision/branch-step.js";
import { guardRoot, teardownSteps } from "../provision/index.js";
import type { BranchFate } from "../provision/types.js";
import { gitAt, openSession, type Session } from "../session.js";
import { readRecord, type WorktreeRecord } from "../state.js";
import { executeSteps } from "../steps/execute.js";
import { planOf, type Step } from "../steps/step.js";
import { refuseHeldWork, refuseOverwrite } from "./release-check.js";
import { detachStep, removeCopyStep, removeStep, resetStep, returnStep } from "./release-steps.js";
import { freeSlotNumber, readPoolRecords, slotPath } from "./state.js";

export interface ReleaseOptions {
  id: string;
  dryRun?: boolean;
  /** `--reap`: stop the worktree's live processes (SIGTERM, grace, SIGKILL) instead of exit 4. */
  reap?: boolean;
  /** `--force`: leave its live processes running (warned). Never overrides uncommitted work. */
  force?: boolean;
}

/** The JSON document of `wt release`. */
export interface ReleaseResult {
  id: string;
  path: string;
  branch: string;
  branchDeleted: boolean;
  /** Why the branch was kept, or null when it was deleted. */
  branchKept: string | null;
  /** Where the tree went: the slot folder, or null when the pool was full and it was removed. */
  slot: string | null;
  warnings: string[];
  dryRun?: boolean;
  plan?: string[];
}

/**
 * Whether a released worktree's branch is deleted: kept when it is gone, checked out elsewhere
 * or existed before `wt create`; deleted when integrated into the base (`isIntegrated`, the
 * rule `wt merge` uses: an ancestor, no added changes, trees match, the merge adds nothing, or
 * every patch already on the base); else kept, with how many commits only it has. The commit
 * judged is the one the deletion then expects (`BranchFate.tip`).
 * `known`, when the caller already asked git, is the branch's commit (null: no such branch)
 * and whether it is the base's (isIntegrated's first rule, `same-commit`).
 */
export async function branchIntegrated(
  session: Session,
  record: WorktreeRecord,
  entries: readonly WorktreeEntry[],
  known?: { branchCommit: string | null; sameCommit: boolean },
): Promise<BranchFate> {
  const at = gitAt(session);
  const ref = `refs/heads/${record.branch}`;
  const tip = known ? known.branchCommit : await resolveCommit(at, ref);
  if (tip === null) return { delete: false, kept: "the branch no longer exists" };
  const elsewhere = entries.find((e) => e.branch === record.branch && path.resolve(e.path) !== record.path);
  if (elsewhere) return { delete: false, kept: `checked out in ${elsewhere.path}` };
  if (!record.createdBranch) return { delete: false, kept: "the branch existed before wt create" };
  if (known?.sameCommit) return (await heldByBranchOnly(session, record, entries)) ?? { delete: true, tip };
  // Counted beside the integration check rather than after it: a kept branch's report needs it.
  const counted = aheadCount(at, tip, record.base);
  counted.catch(() => {}); // awaited below unless the branch is integrated
  if ((await isIntegrated(at, tip, record.base)).integrated) {
    return (await heldByBranchOnly(session, record, entries)) ?? { delete: true, tip };
  }
  const ahead = await counted;
  return {
    delete: false,
    kept: `not integrated into ${record.base} (${ahead ?? "?"} commit(s) only on ${record.branch})`,
  };
}

/**
 * `wt release <id>`: gives a claimed pool worktree back. Under the repository lock: refuses
 * uncommitted work (exit 5, nothing reset) and live processes inside (exit 4); removes wt's
 * per-id files through the provisioners' teardown (databases, links and copies, env file,
 * info/exclude); leaves the branch (`git switch --detach <base>`: only files that differ
 * change; ignored files, the warm state, stay); deletes the branch only when integrated, else
 * keeps and reports it; moves the tree back into the pool, git-locked (or removes it when the
 * pool is full); then deletes the record, which frees the port slot.
 * @throws UsageError (2) for a worktree not claimed from the pool; WorktreeNotFoundError (3);
 *   BusyError (4); DirtyWorktreeError (5); GitError (6).
 */
export async function releaseWorktree(ctx: WtContext, options: ReleaseOptions): Promise<ReleaseResult> {
  validateId(options.id);
  const session = await openSession(ctx, { fetch: false });
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };
  const run = async (c: WtContext) => {
    const record = await readRecord(session.repo.stateDir, options.id);
    if (!record) throw new WorktreeNotFoundError(options.id);
    if (!record.pool) {
      throw new UsageError(
        `worktree ${record.id} was not claimed from the pool (wt create --pool)`,
        `run \`wt cleanup ${record.id}\` to remove it`,
      );
    }
    checkNotInProgress(session.repo.stateDir, record);
    const policy = { reap: options.reap, force: options.force, dryRun: options.dryRun, warn, env: session.env };
    const checked = await refuseHeldWork(session, record, policy);
    // The branch's tip is read only once git status has said the tree holds nothing: read
    // before it, a commit made meanwhile would go unseen and the branch, still "at the base",
    // be deleted with that commit on it (review finding).
    const refs = releaseRefs(session, record);
    const { steps, result } = await releaseSteps(session, c, { record, refs, ...checked }, warn);
    // After every refusal, the plan's too: a reap is never followed by one.
    await checked.settle();
    if (options.dryRun) return { ...result, dryRun: true, plan: planOf(steps) };
    await executeSteps(steps, { signal: c.signal, onStep: c.onProgress, onWarning: warn });
    return result;
  };
  const result = options.dryRun
    ? await run(ctx)
    : await withRepoLock(
        session.repo.stateDir,
        {
          timeoutMs: lockTimeoutMs(ctx.env),
          onWarning: warn,
          onWait: ctx.onNotice,
          purpose: `wt release ${options.id}`,
        },
        (held) => run({ ...ctx, signal: lockedSignal(ctx.signal, held) }),
      );
  result.warnings = warnings;
  return result;
}

/** A release that passed its refusals: its record, its refs (being read), git's worktree list, its submodules. */
interface ReleaseInput {
  record: WorktreeRecord;
  refs: Promise<ReleaseRefs>;
  entries: readonly WorktreeEntry[];
  submodules: string[];
}

/** What a release is to do: the base's commit, the branch's fate, where the tree goes. */
interface ReleaseDecision {
  baseCommit: string;
  fate: BranchFate;
  /** The free pool slot it goes to; null when it is removed (pool full, or submodules). */
  free: { n: number; folder: string } | null;
  /** Its HEAD in git's worktree list; null when git lists it not. */
  headAt: string | null;
  /** It has initialised submodules: removed, with `--force` (git moves no such tree). */
  moduled: boolean;
}

/**
 * Decides a checked release (reading only): the base's commit (`BaseNotFoundError` when it
 * names none), the branch's fate, the slot the tree goes to, and that the switch back to the
 * base overwrites no file (`refuseOverwrite`, read beside the branch's integration check; its
 * refusal is reported after that check's errors).
 */
async function decideRelease(
  session: Session,
  input: ReleaseInput,
  warn: (m: string) => void,
): Promise<ReleaseDecision> {
  const { record, entries, submodules } = input;
  const { repo, config } = session;
  const refs = await input.refs;
  if (refs.baseCommit === null) throw new BaseNotFoundError(record.base);
  const { baseCommit } = refs;
  const sameCommit = refs.branchCommit !== null && refs.branchCommit === baseCommit;
  const fated = branchIntegrated(session, record, entries, { branchCommit: refs.branchCommit, sameCommit });
  fated.catch(() => {}); // awaited below, before the overwrite check's answer
  const records = readPoolRecords(repo.stateDir);
  // git moves no tree with initialised submodules (git-worktree(1), BUGS): such a one is removed.
  const moduled = submodules.length > 0 || hasModulesDir(repo.commonDir, record.path);
  const full = moduled || records.length >= config.pool.size;
  const free = full
    ? null
    : freeSlot(
        session,
        records.map((r) => r.n),
      );
  const headAt = entries.find((e) => path.resolve(e.path) === record.path)?.head ?? null;
  // Put back: the switch to the base must not overwrite an ignored file the agent made.
  const overwrite =
    free !== null && headAt !== null && headAt !== baseCommit
      ? refuseOverwrite(session, record, headAt, baseCommit)
      : Promise.resolve();
  overwrite.catch(() => {}); // awaited below
  const fate = await fated;
  await overwrite;
  if (moduled && records.length < config.pool.size) {
    warn(`${record.id} has initialised submodules, which git cannot move: it is removed, not put back into the pool`);
  }
  return { baseCommit, fate, free, headAt, moduled };
}

/** The release steps of a checked worktree, and the document they fill in as they run. */
async function releaseSteps(
  session: Session,
  ctx: WtContext,
  input: ReleaseInput,
  warn: (m: string) => void,
): Promise<{ steps: Step[]; result: ReleaseResult }> {
  const { record } = input;
  const { baseCommit, fate, free, headAt, moduled } = await decideRelease(session, input, warn);
  const result: ReleaseResult = {
    id: record.id,
    path: record.path,
    branch: record.branch,
    branchDeleted: false,
    branchKept: fate.delete ? null : fate.kept,
    slot: free?.folder ?? null,
    warnings: [],
  };
  // Removed rather than put back: its ignored files go too, so cleanup's refusals hold
  // (`cleanup.protect`, repositories of their own inside ignored folders); no flag overrides.
  if (free === null) await auditWorktreeFiles(session, record, false, "");
  const checked = { record, entry: null, files: { edited: [], ignored: [] } };
  const out = { branchDeleted: false, trash: [] };
  // The checkout's teardown (git worktree remove, the branch) is the release's own, below.
  const teardown = teardownSteps(record, { session, checked, fate, folderExists: true, warn, out }, ["checkout"]);
  const at = gitAt(session, record.path, ctx.signal);
  const entry = input.entries.find((e) => path.resolve(e.path) === record.path);
  const steps: Step[] = [
    ...(headAt !== null ? [detachStep(record, at, headAt, entry?.branch ?? null)] : []),
    ...teardown.filter((s) => s.kind !== "release"),
    ...record.included.filter((e) => e.mode === "copy").map((e) => removeCopyStep(record, e.path, warn)),
    removeCopyStep(record, record.envFile, warn, `delete ${record.envFile} (the env file wt wrote)`),
    resetStep(record, at, headAt, { name: record.base, commit: baseCommit }),
    branchFateStep(session, record, fate, result, warn, " (integrated)"),
    free === null ? removeStep(session, record, moduled) : returnStep(session, record, { ...free, baseCommit }),
    // Last: the record provisioner's own (the record, and the ports of the machine's registry).
    ...teardown.filter((s) => s.kind === "release"),
  ];
  return {
    // Each step that acts in the folder first checks it is still the worktree git made.
    steps: steps.map((s) => (IN_FOLDER.includes(s.kind) ? guardRoot(s, session, record.path) : s)),
    result,
  };
}

/** What `releaseRefs` read. */
interface ReleaseRefs {
  baseCommit: string | null;
  /** The branch's commit, or null when there is no such branch. */
  branchCommit: string | null;
}

/**
 * The base's commit (null: it names none) and the branch's (null: no such branch), in one
 * `git cat-file --batch-check` (`batchCheckObjects`: each name resolved as `rev-parse --verify`
 * does); a name the batch cannot carry is asked with `rev-parse` itself.
 */
async function releaseRefs(session: Session, record: WorktreeRecord): Promise<ReleaseRefs> {
  const at = gitAt(session);
  const base = `${record.base}^{commit}`;
  const tip = `refs/heads/${record.branch}^{commit}`;
  const found = await batchCheckObjects(at, [base, tip]);
  const oid = (info: ObjectInfo | undefined) => (info?.state === "present" ? info.oid : null);
  const b = found.get(base);
  const t = found.get(tip);
  return {
    baseCommit: b === undefined ? await resolveCommit(at, record.base) : oid(b),
    branchCommit: t === undefined ? await resolveCommit(at, `refs/heads/${record.branch}`) : oid(t),
  };
}

const IN_FOLDER: readonly Step["kind"][] = ["detach", "unlink", "delete-database", "delete-file", "reset"];

/** The first slot number no pool record has and whose folder is free. */
export function freeSlot(session: Session, taken: number[]): { n: number; folder: string } {
  const { repo, config } = session;
  const used = [...taken];
  for (;;) {
    const n = freeSlotNumber(used);
    const folder = slotPath(config.pool, repo.mainPath, repo.repoName, n);
    if (!existsSync(folder)) return { n, folder };
    used.push(n);
  }
}
