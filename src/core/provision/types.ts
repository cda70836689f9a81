import type { ObjectInfo } from "../../git/objects.js";
import type { WorktreeEntry } from "../../git/parse.js";
import type { AddWorktreeBranch } from "../../git/worktree.js";
import type { WtContext } from "../context.js";
import type { CopyManifest } from "../copy-manifest.js";
import type { DatabasePlan } from "../databases.js";
import type { Variables } from "../envfile.js";
import type { IncludePlanEntry, IncludeRead } from "../include.js";
import type { PoolRecord } from "../pool/state.js";
import type { Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { Step } from "../steps/step.js";

/**
 * The provisioner interface: one per thing a worktree gets (its record and slot, info/exclude
 * entries, the checkout, includes, env file, databases). Each plans its part of a new worktree
 * (reads only, throws before anything exists), says which paths it writes, the steps that make
 * it (each with an undo), what a re-create checks and completes, the steps that remove it from
 * the record alone, and what cleanup must report before removing it. ./index.ts holds the
 * ordered list; `planNew` (../create-plan.ts) gathers the shared facts once and runs every
 * `plan` (`planOrder`).
 */
export interface Provisioner {
  name: string;
  /**
   * Reads only and throws before anything exists: fills this provisioner's part of
   * `scope.plan` (and of `scope.plan.record`) from the shared facts and the parts planned before.
   */
  plan?(scope: PlanScope): Promise<void>;
  /**
   * The provisioners whose parts `plan` reads: it plans after them; `"all"`, after every
   * provisioner without `"all"`. Otherwise plans run in list order.
   */
  planAfter?: readonly string[] | "all";
  /** Worktree-relative paths it writes (`/`-separated): info/exclude and cleanup's "wt's own files". */
  owned?(source: OwnedSource): string[];
  /**
   * Paths it writes that the commit the worktree starts at may not track (info/exclude cannot
   * hide a tracked file): a create refuses, exit 3, before anything exists.
   */
  untracked?(source: OwnedSource): UntrackedTarget[];
  /** The create steps, in order. */
  apply(scope: ApplyScope): Step[];
  /** true when its create steps write inside the worktree folder (each then checks it first). */
  inFolder: boolean;
  /** Re-create: steps that check and complete an existing worktree; drift it cannot fix is warned about. */
  complete?(record: WorktreeRecord, scope: RecreateScope): Promise<Step[]>;
  /** Cleanup steps, from the record alone (run under the repository lock). */
  teardown?(record: WorktreeRecord, scope: TeardownScope): Step[];
  /** Before cleanup removes anything: what it must report of this part (reads only). */
  audit?(record: WorktreeRecord, scope: AuditScope): Promise<AuditReport>;
}

/** A path a worktree's start commit may not track, and how a refusal names it. */
export interface UntrackedTarget {
  /** Worktree-relative, `/`-separated. */
  rel: string;
  /** "the env file (`envFile`)", "the database app.db". */
  what: string;
}

/**
 * What planning reads once, before any provisioner plans, its git runs side by side
 * (`gatherFacts`, ../plan-facts.ts): nothing in it is a refusal yet.
 */
export interface PlanFacts {
  /** git's worktree list (`git worktree list --porcelain -z`). */
  entries: WorktreeEntry[];
  /** The base's commit id, or null when the base names no commit. */
  baseCommit: string | null;
  /** Whether `refs/heads/<branch>` and `refs/remotes/origin/<branch>` exist. */
  localBranch: boolean;
  originBranch: boolean;
  /** `.worktreeinclude` and git's ignored candidates in the main worktree, or null (none, or bare). */
  include: IncludeRead | null;
  /** `cat-file --batch-check` answers of the tracked-path probes asked up front (`probeName` keys). */
  probes: ReadonlyMap<string, ObjectInfo>;
  /** For a claim (`NewWorktree.pool`): the base's warm key (`warmKeyFrom`), read in that same batch. */
  warmKey?: string;
}

/** What a provisioner's `plan` reads and fills. */
export interface PlanScope {
  session: Session;
  ctx: WtContext;
  w: NewWorktree;
  facts: PlanFacts;
  /** The plan being filled, each provisioner its part (a skeleton before the first plan). */
  plan: NewPlan;
  /** The list's own derivations (./index.ts), handed in so a provisioner never imports the list. */
  list: {
    excludePatterns(source: OwnedSource, mainPath: string): string[];
    untrackedTargets(source: OwnedSource): UntrackedTarget[];
  };
}

/** What a provisioner's `audit` reads. */
export interface AuditScope {
  session: Session;
  /** `ownedPaths(record)`: what wt wrote, never reported as the user's. */
  owned: readonly string[];
  /** Absolute paths of the files wt wrote after the copies (`ownFiles`). */
  ownFiles: ReadonlySet<string>;
}

/** One provisioner's part of what cleanup reports (`WorktreeFiles`, merged in list order). */
export interface AuditReport {
  /** Copies wt made that were edited since. */
  edited?: string[];
  /** Ignored paths the user (or a hook) made, collapsed by folder. */
  ignored?: IgnoredRemoved[];
  /** Whether a worktree-relative file is the user's (not wt's): `cleanup.protect` refuses those it matches. */
  userFile?: (rel: string) => boolean;
  /** Folders inside ignored ones that are git repositories of their own (hold a `.git`), relative. */
  nested?: string[];
}

/** What the owned paths are computed from: a record, or the plan of one not yet made. */
export type OwnedSource = Pick<WorktreeRecord, "path" | "envFile" | "databases"> & {
  included: readonly { path: string }[];
};

/** What create's steps are built from. */
export interface ApplyScope {
  session: Session;
  ctx: WtContext;
  w: NewWorktree;
  plan: NewPlan;
  /** Filled by the copy steps, written by the manifest step. */
  manifest: CopyManifest;
  out: NewOutcome;
  /** The pool slot this create claims in place of `git worktree add`, if any. */
  claim?: PoolRecord | null;
}

/** What a re-create's steps are built from. */
export interface RecreateScope {
  session: Session;
  ctx: WtContext;
  /** The config's current `env` entries, expanded for this worktree. */
  env: Record<string, string>;
  /** The worktree's variables with those entries. */
  vars: Variables;
  warn: (m: string) => void;
}

/** What cleanup's steps are built from. */
export interface TeardownScope {
  session: Session;
  checked: CheckedWorktree;
  fate: BranchFate;
  folderExists: boolean;
  warn: (m: string) => void;
  out: RemovalOutcome;
}

/** What `wt create` of a new id was asked for, resolved from flags, config and templates. */
export interface NewWorktree {
  id: string;
  name: string;
  values: { repo: string; id: string; name: string };
  worktree: string;
  branch: string;
  branchFromFlag: boolean;
  base: string;
  records: WorktreeRecord[];
  warn: (m: string) => void;
  warnings: string[];
  dryRun: boolean;
  /** false with `--no-hooks`: the repository's commands (`databases[].init`) are skipped. */
  hooks: boolean;
  /** `--pool` or `pool.claim`: claim an idle pool slot when one fits. */
  pool: boolean;
  /**
   * `.worktreeinclude`'s text as read before the lock (null: none; undefined: not read, e.g. a
   * bare repository). Read once: the lock serialises wt, not the user's edits, so a second read
   * under it would be no fresher in kind, only later, and it delayed the ignored-file listing.
   */
  includeText?: string | null;
}

/**
 * Everything a new worktree's steps need, computed before anything exists. Parts: `how`,
 * `baseCommit`, `madeParents`, `entries` (checkout), the record's slot and ports (record),
 * `includes`, `databases`, `vars` and the record's env (envfile), the record's excludes.
 */
export interface NewPlan {
  record: WorktreeRecord;
  how: AddWorktreeBranch;
  baseCommit: string;
  includes: IncludePlanEntry[];
  databases: DatabasePlan[];
  vars: Variables;
  /** The outermost parent folder `git worktree add` will make, or null. */
  madeParents: string | null;
  /** git's worktree list as planning read it (under the lock: still true while the steps run). */
  entries?: WorktreeEntry[];
  /** For a claim: the base's warm key, as planning read it (`PlanFacts.warmKey`). */
  warmKey?: string;
}

/** What the steps of a new worktree hand back once they ran: the new HEAD. */
export interface NewOutcome {
  head: string;
}

/** A worktree cleanup found safe to remove, with what it will report. */
export interface CheckedWorktree {
  record: WorktreeRecord;
  /** git's entry for its folder, or null when git no longer lists it. */
  entry: WorktreeEntry | null;
  files: WorktreeFiles;
}

/**
 * What cleanup (or a release) does with the branch: delete it while it still names `tip`, the
 * commit its checks judged (40 or 64 hex), or keep it and say why.
 */
export type BranchFate = { delete: true; tip: string } | { delete: false; kept: string };

/** An ignored path cleanup deletes that wt did not make: a file, or a folder and how many files it holds. */
export interface IgnoredRemoved {
  /** Worktree-relative; a folder ends with `/`. */
  path: string;
  /** Files (anything but folders; links not followed) it stands for. */
  files: number;
}

/** What cleanup deletes beyond git's view and wt's own files, found before anything is removed. */
export interface WorktreeFiles {
  /** `editedCopies`' list: copies wt made that were edited since. */
  edited: string[];
  /** Ignored paths the user (or a hook) made in the worktree, collapsed by folder. */
  ignored: IgnoredRemoved[];
}

/** What the removal steps report back as they run. */
export interface RemovalOutcome {
  branchDeleted: boolean;
  /** Why the branch was kept after all, when its step found it changed (`branchFateStep`). */
  branchKept?: string | null;
  /** Folders moved into the trash, deleted in the background once the run ends. */
  trash: string[];
}
