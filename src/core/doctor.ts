import path from "node:path";
import type { RepoContext } from "../git/discover.js";
import { listWorktrees, resolveRepo } from "../git/repo.js";
import type { GitAt } from "../git/run.js";
import { loadConfig } from "./config.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import {
  checkDatabases,
  checkEnvFile,
  checkExcludes,
  checkGitLock,
  checkIncomplete,
  checkPorts,
  checkRepoLock,
  checkSlots,
} from "./doctor-details.js";
import { checkMachineSlots } from "./doctor-slots.js";
import type { DoctorCheck, DoctorFacts, Finding } from "./doctor-types.js";
import { checkWorktrees } from "./doctor-worktrees.js";
import { InterruptedError, WorktreeNotFoundError } from "./errors.js";
import { lockedSignal, withRepoLock } from "./lock.js";
import { idKey, validateId } from "./names.js";
import { poolHolder } from "./pool/state.js";
import { protectedPids, snapshotProcesses } from "./processes.js";
import { readRecords, type WorktreeRecord } from "./state.js";
import { executeSteps } from "./steps/execute.js";

export type { DoctorCheck, DoctorFix, Severity } from "./doctor-types.js";

export interface DoctorOptions {
  /** Only these ids (empty: every managed id, and every worktree git lists). */
  ids?: readonly string[];
  /** Run the fixes that lose nothing. */
  fix?: boolean;
  /** With `fix`: show the fixes, run none. */
  dryRun?: boolean;
}

/** `wt doctor --json` (docs/contract.md, "Doctor, adopt, processes"). */
export interface DoctorResult {
  checks: DoctorCheck[];
  /** Errors and warnings left (a fixed finding no longer counts), and fixes that succeeded. */
  summary: { errors: number; warnings: number; fixed: number };
  dryRun: boolean;
}

/**
 * `wt doctor [<id>...] [--fix] [--dry-run]`: holds wt's records, the folders and git's
 * registrations against each other and reports every mismatch, then the details of healthy
 * worktrees (slots, ports, env file, databases, info/exclude, locks). Reads only, unless
 * `fix`: then, under the repository lock, it runs each fix that loses nothing as a step of
 * the one executor; it never deletes a folder that exists and never lifts a user's lock.
 * @throws UsageError (2) for an invalid id or outside a repository; WorktreeNotFoundError (3)
 *   for an id with no record; BusyError (4) when another wt holds the lock past WT_LOCK_TIMEOUT.
 */
export async function runDoctor(ctx: WtContext, options: DoctorOptions = {}): Promise<DoctorResult> {
  const ids = [...(options.ids ?? [])];
  for (const id of ids) validateId(id);
  const repo = await resolveRepo(ctx.cwd, ctx.env);
  const dryRun = options.dryRun === true;
  if (options.fix !== true || dryRun) {
    return result(await diagnose(ctx, repo, ids), dryRun);
  }
  const timeoutMs = lockTimeoutMs(ctx.env);
  return withRepoLock(
    repo.stateDir,
    { timeoutMs, purpose: "wt doctor --fix", onWarning: ctx.onWarning, onWait: ctx.onNotice },
    async (held) => {
      const findings = await diagnose(ctx, repo, ids);
      await applyFixes(findings, ctx, lockedSignal(ctx.signal, held));
      return result(findings, false);
    },
  );
}

async function gatherFacts(ctx: WtContext, repo: RepoContext, ids: string[]): Promise<DoctorFacts> {
  const unreadable: string[] = [];
  const at: GitAt = { cwd: repo.mainPath, env: ctx.env };
  const [records, entries, snapshot] = await Promise.all([
    readRecords(repo.stateDir, (file) => unreadable.push(file)),
    listWorktrees({ ...at, signal: ctx.signal }),
    snapshotProcesses(ctx.env, true),
  ]);
  for (const id of ids) if (!records.some((r) => idKey(r.id) === idKey(id))) throw new WorktreeNotFoundError(id);
  return {
    repo,
    at,
    records,
    unreadable,
    entries,
    ids,
    ...(await configuredFolders(ctx, repo, records)),
    snapshot,
    skip: protectedPids(snapshot),
  };
}

async function diagnose(ctx: WtContext, repo: RepoContext, ids: string[]): Promise<Finding[]> {
  const facts = await gatherFacts(ctx, repo, ids);
  const healthy: WorktreeRecord[] = [];
  const findings = await checkWorktrees(facts, healthy);
  findings.push(...checkSlots(facts));
  for (const r of healthy) {
    findings.push(
      ...checkIncomplete(r),
      ...checkGitLock(facts, r),
      ...checkEnvFile(facts, r),
      ...checkDatabases(r),
      ...checkPorts(facts, r),
    );
  }
  findings.push(...(await checkExcludes(facts, healthy)));
  if (ids.length === 0) findings.push(...checkRepoLock(facts), ...(await checkMachineSlots(ctx.env)));
  return findings;
}

/**
 * Runs each finding's fix through the executor, one plan per fix: one that fails is undone
 * and reported (`fix.error`) without undoing the others; `applied` is set only after its step
 * ran to the end. An interruption (Ctrl-C, a lost lock) stops here and is rethrown.
 */
async function applyFixes(findings: Finding[], ctx: WtContext, signal: AbortSignal): Promise<void> {
  for (const f of findings) {
    if (!f.step || !f.fix) continue;
    try {
      await executeSteps([f.step], { signal, onStep: ctx.onProgress, onWarning: ctx.onWarning });
      f.fix.applied = true;
    } catch (e) {
      if (e instanceof InterruptedError || signal.aborted) throw e;
      f.fix.error = (e as Error).message;
    }
  }
}

function result(findings: Finding[], dryRun: boolean): DoctorResult {
  const checks: DoctorCheck[] = findings.map(({ step: _step, ...check }) => check);
  const open = checks.filter((c) => c.fix?.applied !== true);
  return {
    checks,
    summary: {
      errors: open.filter((c) => c.severity === "error").length,
      warnings: open.filter((c) => c.severity === "warning").length,
      fixed: checks.length - open.length,
    },
    dryRun,
  };
}

/**
 * The folders wt makes worktrees in: the fixed part of the `worktreeDir` template (before the
 * first segment with a placeholder) and the parents of the records' folders, each only when it
 * neither is nor holds the main worktree (`../{name}` would make every sibling project a stray);
 * and the folder holding the pool's slots (null with a config that does not load).
 */
async function configuredFolders(
  ctx: WtContext,
  repo: RepoContext,
  records: readonly WorktreeRecord[],
): Promise<{ worktreeDirs: string[]; poolHolder: string | null }> {
  const dirs = new Set(records.map((r) => path.dirname(r.path)));
  let holder: string | null = null;
  try {
    const config = await loadConfig(repo.mainPath, ctx.env);
    const segments = config.worktreeDir.replaceAll("{repo}", repo.repoName).split(/[\\/]/);
    const fixed = segments.slice(
      0,
      segments.findIndex((s) => s.includes("{")),
    );
    if (fixed.length > 0) dirs.add(path.resolve(repo.mainPath, fixed.join("/")));
    holder = poolHolder(config.pool, repo.mainPath, repo.repoName);
  } catch {
    // An invalid config is `wt create`'s to report; the records' folders still tell.
  }
  const main = repo.mainPath;
  return { worktreeDirs: [...dirs].filter((d) => d !== main && !main.startsWith(`${d}/`)), poolHolder: holder };
}
