import type { RepoContext } from "../git/discover.js";
import type { WorktreeEntry } from "../git/parse.js";
import type { GitAt } from "../git/run.js";
import type { ProcessSnapshot } from "./processes.js";
import type { WorktreeRecord } from "./state.js";
import type { Step } from "./steps/step.js";

/** How bad a finding is: errors make `wt doctor` exit 3; warnings and info do not. */
export type Severity = "error" | "warning" | "info";

/** What `--fix` does about a finding (only fixes that lose nothing exist). */
export interface DoctorFix {
  /** Shell-like lines naming what the fix does, as `--dry-run` shows them. */
  commands: string[];
  /** True only when the fix ran and succeeded. */
  applied: boolean;
  /** Why the fix failed, or null. */
  error: string | null;
}

/** One finding of `wt doctor` (docs/contract.md, "Doctor, adopt, processes"). */
export interface DoctorCheck {
  check: string;
  severity: Severity;
  id: string | null;
  path: string | null;
  message: string;
  /** The next command for a person, for findings `--fix` leaves alone; null when `fix` says it. */
  hint: string | null;
  /** What `--fix` does, or null when it does nothing about this finding. */
  fix: DoctorFix | null;
}

/** A finding as the checks build it: with the step `--fix` runs, when there is one. */
export interface Finding extends DoctorCheck {
  step?: Step;
}

/** Everything the checks read, gathered once (under the repository lock for `--fix`). */
export interface DoctorFacts {
  repo: RepoContext;
  /** Where the fixes run git: the main worktree, with the caller's environment (`ctx.env`). */
  at: GitAt;
  records: WorktreeRecord[];
  /** Record files that did not parse. */
  unreadable: string[];
  entries: WorktreeEntry[];
  /** Ids the user asked about (empty: all). */
  ids: string[];
  /** Folders where wt makes worktrees (for stray folders), none when they cannot be told safely. */
  worktreeDirs: string[];
  /** The folder holding the pool's slots (`poolHolder`), null when the config cannot be read. */
  poolHolder: string | null;
  snapshot: ProcessSnapshot;
  /** wt and its ancestors. */
  skip: ReadonlySet<number>;
}

/** A finding with its fix (`step`) attached; `commands` are what `--dry-run` prints. */
export function finding(
  base: Omit<DoctorCheck, "fix" | "hint"> & { hint?: string | null },
  step?: { commands: string[]; run: () => Promise<void>; undo?: () => Promise<void> },
): Finding {
  // The contract's key order: check, severity, id, path, message, then hint and fix.
  const out: Finding = {
    check: base.check,
    severity: base.severity,
    id: base.id,
    path: base.path,
    message: base.message,
    hint: base.hint ?? null,
    fix: null,
  };
  if (step) {
    out.fix = { commands: step.commands, applied: false, error: null };
    out.step = {
      kind: "doctor-fix",
      title: step.commands.join("; "),
      detail: { check: base.check, commands: step.commands },
      run: step.run,
      undo: step.undo,
    };
  }
  return out;
}
