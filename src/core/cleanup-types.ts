import type { WtContext } from "./context.js";
import type { WtError } from "./errors.js";
import type { IgnoredRemoved } from "./provision/types.js";
import type { Session } from "./session.js";

export interface CleanupOptions {
  ids?: string[];
  /** Every managed worktree whose branch is merged into its base. */
  merged?: boolean;
  /** Every managed worktree. */
  all?: boolean;
  /**
   * Remove despite uncommitted changes, a lock, unreachable commits, submodule work, files
   * `cleanup.protect` names or a failing preCleanup hook. Never a worktree whose create is running.
   */
  force?: boolean;
  /**
   * Stop the worktree's live processes (SIGTERM, grace, SIGKILL, re-check) instead of refusing
   * (exit 4, code `processes`); `force` leaves them running.
   */
  reap?: boolean;
  /** Never delete the branch. */
  keepBranch?: boolean;
  /** Delete the branch even when it is not merged. */
  deleteBranch?: boolean;
  dryRun?: boolean;
  /** false: skip preCleanup and postCleanup hooks. */
  hooks?: boolean;
}

export interface RemovedWorktree {
  id: string;
  path: string;
  branch: string;
  branchDeleted: boolean;
  /** Why the branch was kept, or null when it was deleted. */
  branchKept: string | null;
  /** With --dry-run: the steps that would run. */
  plan?: string[];
  /** Files wt copied in that were edited since (listed, not kept: git ignores them). */
  editedCopies?: string[];
  /** Ignored paths deleted with the worktree that wt did not make (a folder ends with `/`). */
  ignoredRemoved: IgnoredRemoved[];
}

/** A worktree cleanup left in place, and why (`code`: the refusal's error code, e.g. `dirty`, `in-progress`). */
export interface SkippedWorktree {
  id: string;
  reason: string;
  /**
   * The refusal's error code (`dirty`, `locked`, `in-progress`, `not-found`, ...), or, for a
   * worktree `--merged` leaves, `no-commits` / `not-integrated`.
   */
  code: string;
}

/** The JSON document of `wt cleanup` (docs/contract.md). */
export interface CleanupResult {
  removed: RemovedWorktree[];
  skipped: SkippedWorktree[];
  warnings: string[];
  dryRun?: boolean;
}

/** One `wt cleanup` run: what every phase needs. */
export interface CleanupRun {
  session: Session;
  ctx: WtContext;
  options: CleanupOptions;
  /** The named ids (empty for --merged / --all). */
  ids: string[];
  result: CleanupResult;
  /** Named ids: each refusal, in order (the first one's code is the exit code). */
  refusals: WtError[];
  warn: (m: string) => void;
}
