import { readdir } from "node:fs/promises";
import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { catFileExists } from "../git/refs.js";
import { listWorktrees, refExists, resolveCommit } from "../git/repo.js";
import type { Env } from "../git/run.js";
import type { AddWorktreeBranch, GitAt } from "../git/worktree.js";
import type { WtContext } from "./context.js";
import { releaseStaleCreateLocks } from "./create-lock.js";
import { type DatabasePlan, planDatabases } from "./databases.js";
import { checkValues, expandEnvEntries, worktreeVariables } from "./envfile.js";
import { BaseNotFoundError, BranchCheckedOutError, FolderOccupiedError, TrackedTargetError } from "./errors.js";
import { checkPathLength } from "./fs-errors.js";
import { isInside, lstatOrNull } from "./fs-safe.js";
import { type IncludePlanEntry, planIncludes } from "./include.js";
import { worktreeDirHolder } from "./names.js";
import { poolHolder } from "./pool/state.js";
import { allocateSlot, isPortFree, portsForSlot } from "./ports.js";
import { listenersOf, protectedPids, snapshotProcesses } from "./processes.js";
import { excludePatterns } from "./provision/index.js";
import type { NewPlan, NewWorktree } from "./provision/types.js";
import { realOrRealParents } from "./real-parent.js";
import { gitAt, type Session } from "./session.js";
import { foreignPorts, userStateDir } from "./slot-registry.js";
import type { WorktreeRecord } from "./state.js";
import { trashDir } from "./trash.js";

export interface CreateOptions {
  /** The id the user typed: `101`, `auth-fix`. */
  id: string;
  /** `--base`: commit-ish a new branch starts from. */
  base?: string;
  /** `--branch`: branch name instead of the `branch` template. */
  branch?: string;
  /** `--no-fetch` gives false. */
  fetch?: boolean;
  /**
   * `--no-hooks` gives false: no command that comes from the repository runs (postCreate
   * hooks, `databases[].init`).
   */
  hooks?: boolean;
  /** `--dry-run`: compute and return the plan, change nothing. */
  dryRun?: boolean;
  /** `--pool`: claim an idle pool slot (default: config `pool.claim`). */
  pool?: boolean;
}

/** The JSON document of `wt create` (docs/contract.md). */
export interface CreateResult {
  id: string;
  name: string;
  branch: string;
  /** Absolute worktree folder. */
  path: string;
  base: string;
  head: string;
  /** false when the worktree already existed (then it was checked and completed). */
  created: boolean;
  /** The local branch existed before this create (checked out as it was, never reset). */
  branchExisted: boolean;
  /** With `branchExisted`, on a create that made the worktree: commits the branch has that the base commit has not. */
  ahead?: number;
  /** With `branchExisted`, on a create that made the worktree: commits of the base commit the branch lacks. */
  behind?: number;
  slot: number;
  ports: Record<string, number>;
  /** Absolute path of the env file. */
  envFile: string;
  included: { path: string; mode: "copy" | "symlink" }[];
  databases: { engine: "sqlite" | "duckdb"; path: string; env: string; source: "empty" | "template" }[];
  warnings: string[];
  /** With --pool (or `pool.claim`): whether a slot was claimed, and why not. */
  pool?: { hit: boolean; reason: null | "empty" | "stale" | "busy" };
  /** With --dry-run: the steps that would run. */
  plan?: string[];
  dryRun?: boolean;
}

/**
 * Plans a new worktree: reads only, and throws before anything exists (folder, branch, base,
 * slot, includes, databases, env values, tracked targets).
 * @throws FolderOccupiedError / BranchCheckedOutError / BaseNotFoundError / TrackedTargetError
 *   (exit 3), the errors of `allocateSlot`, `planIncludes`, `planDatabases`, `checkValues`.
 */
export async function planNew(session: Session, ctx: WtContext, w: NewWorktree): Promise<NewPlan> {
  const { repo, config } = session;
  const entries = await listWorktrees(gitAt(session, repo.mainPath, ctx.signal));
  if (!w.dryRun) await releaseStaleCreateLocks(gitAt(session), entries, w.records);
  checkConflicts(entries, w);
  await checkFolder(w.worktree);
  const baseCommit = await resolveCommit(gitAt(session), w.base);
  if (baseCommit === null) throw new BaseNotFoundError(w.base);
  const how = await branchSource(gitAt(session), w.branch, baseCommit);
  const slot = await allocateSlot({
    id: w.id,
    ports: config.ports,
    portSlots: config.portSlots,
    taken: new Set(w.records.map((r) => r.slot)),
    isFree: isPortFree,
    heldElsewhere:
      config.portScope === "machine" ? await foreignPorts(userStateDir(session.env), repo.commonDir) : undefined,
    holderOf: (port) => portHolder(port, session.env),
  });
  if (slot.slot !== slot.preferred) {
    const why = slot.skipped.map((s) => `slot ${s.slot}: ${s.reason}`).join("; ");
    w.warn(`using port slot ${slot.slot} instead of ${slot.preferred} (${why})`);
  }
  const never = neverIncluded(session, entries, w);
  const includes = repo.bare
    ? []
    : await planIncludes(gitAt(session, repo.mainPath, ctx.signal), config.include.symlink, config.envFile, never);
  warnLinkedModules(includes, w.warn);
  const databases = await planDatabases(
    config.databases,
    gitAt(session, repo.mainPath, ctx.signal),
    w.worktree,
    w.values,
  );
  for (const d of databases) checkPathLength(d.path, `the database ${path.basename(d.path)}`);
  const record = newRecord(session, w, { baseCommit, how, slot: slot.slot, databases });
  const vars = worktreeVariables(record, repo.mainPath);
  // Refuse values the env file cannot hold (a newline in a path) before anything exists.
  checkValues(vars);
  await refuseTrackedTargets(session, startPointOf(how, baseCommit), w.worktree, databases);
  record.excludes = excludePatterns({ ...record, included: includes }, repo.mainPath);
  const madeParents = await firstMissingAncestor(path.dirname(w.worktree));
  if (madeParents !== null) record.madeFolder = madeParents;
  return { record, how, baseCommit, includes, databases, vars, madeParents, entries };
}

/**
 * Who listens on `port`: "pid 4242 (node server.js)", from the process table (`processes.ts`),
 * or null when no visible process does (another user's, or another network namespace).
 */
async function portHolder(port: number, env: Env): Promise<string | null> {
  const snapshot = await snapshotProcesses(env, true);
  const holders = listenersOf(snapshot, port, protectedPids(snapshot));
  if (holders.length === 0) return null;
  return holders.map((p) => `pid ${p.pid} (${p.command.slice(0, 80)})`).join(", ");
}

/** The new worktree's record, `creating` and owned by this process, its env entries expanded. */
function newRecord(
  session: Session,
  w: NewWorktree,
  p: { baseCommit: string; how: AddWorktreeBranch; slot: number; databases: DatabasePlan[] },
): WorktreeRecord {
  const { config, repo } = session;
  const record: WorktreeRecord = {
    version: 1,
    id: w.id,
    name: w.name,
    branch: w.branch,
    path: w.worktree,
    base: w.base,
    baseCommit: p.baseCommit,
    createdBranch: p.how.kind !== "existing",
    slot: p.slot,
    ports: portsForSlot(config.ports, p.slot),
    envFile: config.envFile,
    env: {},
    included: [],
    databases: p.databases.map((d) => ({
      engine: d.engine,
      path: d.path,
      env: d.env,
      source: d.template ? "template" : "empty",
    })),
    excludes: [],
    state: "creating",
    pid: process.pid,
    createdAt: new Date().toISOString(),
  };
  record.env = expandEnvEntries(config.env, worktreeVariables(record, repo.mainPath));
  return record;
}

/** A local branch is checked out as it is; else one on origin is tracked; else made at the base. */
async function branchSource(at: GitAt, branch: string, baseCommit: string): Promise<AddWorktreeBranch> {
  if (await refExists(at, `refs/heads/${branch}`)) return { kind: "existing", branch };
  if (await refExists(at, `refs/remotes/origin/${branch}`)) return { kind: "track", branch };
  return { kind: "new", branch, commit: baseCommit };
}

/** The commit-ish the worktree's checkout starts at. */
export function startPointOf(how: AddWorktreeBranch, baseCommit: string): string {
  if (how.kind === "existing") return `refs/heads/${how.branch}`;
  if (how.kind === "track") return `refs/remotes/origin/${how.branch}`;
  return baseCommit;
}

function warnLinkedModules(includes: readonly IncludePlanEntry[], warn: (m: string) => void): void {
  for (const e of includes) {
    if (e.mode === "symlink" && path.basename(e.path) === "node_modules") {
      warn(
        `${e.path} is a symlink to the main worktree's: an install (npm/pnpm/yarn) inside this worktree changes the main worktree's dependencies`,
      );
    }
  }
}

/**
 * Folders `.worktreeinclude` never brings (issue 9, item 14): every registered worktree, every
 * recorded one, the new one, the folder `worktreeDir` puts them in, and wt's trash.
 */
function neverIncluded(session: Session, entries: readonly WorktreeEntry[], w: NewWorktree): string[] {
  const { repo, config } = session;
  return [
    ...entries.map((e) => e.path),
    ...w.records.map((r) => r.path),
    w.worktree,
    realOrRealParents(worktreeDirHolder(config, repo.mainPath, repo.repoName)),
    realOrRealParents(poolHolder(config.pool, repo.mainPath, repo.repoName)),
    trashDir(repo.stateDir),
  ];
}

/**
 * wt's files must never show in `git status`, and info/exclude cannot hide a tracked file:
 * when the commit the worktree starts at tracks the env file or a database path, refuse
 * (exit 3) before anything is made.
 */
async function refuseTrackedTargets(
  session: Session,
  startPoint: string,
  worktree: string,
  databases: readonly DatabasePlan[],
): Promise<void> {
  const targets = [
    { rel: session.config.envFile, what: "the env file (`envFile`)" },
    ...databases
      .filter((d) => isInside(worktree, d.path))
      .map((d) => ({ rel: path.relative(worktree, d.path), what: `the database ${path.basename(d.path)}` })),
  ];
  for (const t of targets) {
    const rel = t.rel.split(path.sep).join("/");
    if (await catFileExists(gitAt(session), startPoint, rel)) {
      throw new TrackedTargetError(rel, t.what, worktree);
    }
  }
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

function checkConflicts(entries: WorktreeEntry[], w: NewWorktree): void {
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
