import type { WtContext } from "./context.js";
import { gatherFacts } from "./plan-facts.js";
import { excludePatterns, planOrder, untrackedTargets } from "./provision/index.js";
import type { NewPlan, NewWorktree, PlanFacts } from "./provision/types.js";
import type { Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";

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
 * Plans a new worktree: reads only, and throws before anything exists. The shared facts are
 * read once, their git runs side by side (`gatherFacts`: worktree list, base and branch refs,
 * tracked-path probes, `.worktreeinclude`'s candidates); then every provisioner's `plan` fills
 * its part of the plan, in `planOrder`: checkout (folder, branch, base), record (slot and
 * ports), includes, databases, env file (env values), info/exclude (tracked targets).
 * @throws FolderOccupiedError / BranchCheckedOutError / BaseNotFoundError / TrackedTargetError
 *   (exit 3), SlotsExhaustedError (exit 4), the errors of `planIncludes`, `planDatabases`,
 *   `expandEnvEntries`, `checkValues`.
 */
export async function planNew(session: Session, ctx: WtContext, w: NewWorktree): Promise<NewPlan> {
  const early = untrackedTargets({ path: w.worktree, envFile: session.config.envFile, databases: [], included: [] });
  const facts = await gatherFacts(session, ctx, w, early);
  const plan = skeleton(session, w, facts);
  const list = { excludePatterns, untrackedTargets };
  for (const p of planOrder()) await p.plan?.({ session, ctx, w, facts, plan, list });
  return plan;
}

/** The plan before any provisioner filled its part: the record `creating`, owned by this process. */
function skeleton(session: Session, w: NewWorktree, facts: PlanFacts): NewPlan {
  const record: WorktreeRecord = {
    version: 1,
    id: w.id,
    name: w.name,
    branch: w.branch,
    path: w.worktree,
    base: w.base,
    baseCommit: "",
    createdBranch: true,
    slot: 0,
    ports: {},
    envFile: session.config.envFile,
    env: {},
    included: [],
    databases: [],
    excludes: [],
    state: "creating",
    pid: process.pid,
    createdAt: new Date().toISOString(),
  };
  const how = { kind: "new" as const, branch: w.branch, commit: "" };
  return {
    record,
    how,
    baseCommit: "",
    includes: [],
    databases: [],
    vars: {},
    madeParents: null,
    entries: facts.entries,
    ...(facts.warmKey !== undefined ? { warmKey: facts.warmKey } : {}),
  };
}
