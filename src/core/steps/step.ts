/**
 * A step of a verb: data (what `--dry-run` shows and `--verbose` names) plus behaviour. Every
 * verb (create, re-create, cleanup; later merge, release, doctor --fix) builds a list of these
 * and hands it to the one executor (`executeSteps`, ./execute.ts).
 */
export interface Step {
  /** What kind of action: `add-worktree`, `copy`, `link`, `write-env`, `database`, `hook`, ... */
  kind: StepKind;
  /** What the step does, as `--dry-run` lists it and `--verbose` names it ("delete branch feature/issue-101"). */
  title: string;
  /** Plain data about the step for machine readers (paths, commands); never needed to run it. */
  detail?: Record<string, unknown>;
  run: () => Promise<void>;
  /**
   * Undoes `run`, also after a `run` that failed half-way, so it must tolerate partial work.
   * Runs without the abort signal: a second Ctrl-C must not stop a rollback.
   */
  undo?: () => Promise<void>;
}

/** The kinds of step wt knows; a new verb adds its own. */
export type StepKind =
  | "record"
  | "excludes"
  | "add-worktree"
  | "copy"
  | "link"
  | "manifest"
  | "write-env"
  | "database"
  | "init"
  | "mark-ready"
  | "hook"
  | "check"
  | "report"
  | "unlink"
  | "delete-database"
  | "remove-worktree"
  | "delete-branch"
  | "keep-branch"
  | "release"
  | "claim-slot"
  | "pool-add"
  | "warm"
  | "pool-ready"
  | "pool-remove"
  | "detach"
  | "reset"
  | "return-slot"
  | "delete-file"
  | "doctor-fix"
  | "verify"
  | "move-ref"
  | "update-worktree";

/** The titles of `steps`: the `plan` of a `--dry-run` JSON document (docs/contract.md). */
export function planOf(steps: readonly Step[]): string[] {
  return steps.map((s) => s.title);
}
