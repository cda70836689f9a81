import { teardownSteps } from "./provision/index.js";
import type { BranchFate, CheckedWorktree, IgnoredRemoved, RemovalOutcome } from "./provision/types.js";
import type { Session } from "./session.js";
import type { Step } from "./steps/step.js";

/**
 * The steps that remove a checked worktree, from its record alone, in order: what is deleted
 * beyond wt's own files (reported), then every provisioner's teardown in the reverse of
 * create's order (databases, links, the worktree and the branch or why it is kept,
 * info/exclude, the record). Run under the repository lock.
 */
export function removalSteps(
  session: Session,
  checked: CheckedWorktree,
  fate: BranchFate,
  folderExists: boolean,
  warn: (m: string) => void,
  out: RemovalOutcome,
): Step[] {
  const { record, files } = checked;
  const leftInPlace = checked.entry === null && folderExists;
  if (leftInPlace && record.databases.length > 0) {
    warn(
      `${record.id}: its databases stay with the folder left in place: ${record.databases.map((d) => d.path).join(", ")}`,
    );
  }
  return [
    ...files.edited.map(
      (p): Step => ({
        kind: "report",
        title: `delete ${p}: copied by wt and EDITED since (ignored by git, so not an uncommitted change)`,
        run: async () => warn(`${record.id}: ${p} was copied by wt and edited since; it goes with the worktree`),
      }),
    ),
    ...files.ignored.map(
      (i): Step => ({
        kind: "report",
        title: `delete ${describeIgnored(i)}: ignored by git, not made by wt`,
        run: async () => {},
      }),
    ),
    ...teardownSteps(record, { session, checked, fate, folderExists, warn, out }).filter(
      (s) => !(leftInPlace && INSIDE_OR_USED.includes(s.kind)),
    ),
  ];
}

/**
 * Teardown steps a folder left in place keeps from: git no longer lists it (moved away and
 * back after a `git worktree prune`, say), so cleanup leaves the folder, and so its links, its
 * copies and its databases (inside it or outside: it may still be someone's worktree that uses
 * them) stay with it.
 */
const INSIDE_OR_USED: readonly Step["kind"][] = ["unlink", "delete-database", "delete-file"];

/** `notes/ (12 files)`, or a file's own path. */
export function describeIgnored(row: IgnoredRemoved): string {
  return row.path.endsWith("/") ? `${row.path} (${row.files} file${row.files === 1 ? "" : "s"})` : row.path;
}
