import { untrackedMatching } from "../git/ignored.js";
import { DirtyWorktreeError } from "./errors.js";
import { compareText } from "./names.js";
import { auditReports } from "./provision/index.js";
import type { WorktreeFiles } from "./provision/types.js";

export type { IgnoredRemoved, WorktreeFiles } from "./provision/types.js";

import { gitAt, type Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";

/**
 * Finds what `wt cleanup` deletes that `git status` does not show as a change, from every
 * provisioner's `audit` (`auditReports`): copies wt made and the user edited since (includes),
 * and ignored paths wt did not make (the checkout's folder). A file among them that is the
 * user's (`userFile`) and matches `protect` (gitignore syntax, config `cleanup.protect` of
 * `session`) refuses the cleanup unless `force`, and so does a git repository of its own inside
 * an ignored folder. The audits and git's `protect` listing run side by side: they only read.
 * @throws DirtyWorktreeError (exit 5, code `protected`, `details.files`) listing those files.
 */
export async function auditWorktreeFiles(
  session: Session,
  record: WorktreeRecord,
  force: boolean,
  override = ", or pass --force to delete them",
): Promise<WorktreeFiles> {
  const protect = session.config.cleanup.protect;
  const [reports, matching] = await Promise.all([
    auditReports(record, session),
    force ? [] : untrackedMatching(gitAt(session, record.path), protect),
  ]);
  const protectedFiles = matching.filter((p) => reports.some((r) => r.userFile?.(p))).sort(compareText);
  if (protectedFiles.length > 0) refuseProtected(record, protect, protectedFiles, override);
  const nested = reports.flatMap((r) => r.nested ?? []);
  if (nested.length > 0 && !force) refuseNested(record, nested, override);
  return {
    edited: reports.flatMap((r) => r.edited ?? []),
    ignored: reports.flatMap((r) => r.ignored ?? []).sort((a, b) => compareText(a.path, b.path)),
  };
}

/**
 * A git repository inside an ignored folder (not a submodule): its commits and files would go
 * with the worktree, and git does not look inside it (`cleanup.protect` cannot either).
 */
function refuseNested(record: WorktreeRecord, nested: readonly string[], override: string): never {
  throw new DirtyWorktreeError(
    `worktree ${record.id} holds git repositories of its own inside ignored folders: ${nested.slice(0, 10).join(", ")}${nested.length > 10 ? " …" : ""}; their commits and files would be deleted with it`,
    `move them out of ${record.path}${override}`,
    { id: record.id, files: [...nested] },
    "protected",
  );
}

function refuseProtected(record: WorktreeRecord, protect: readonly string[], files: string[], override: string): never {
  const name = (p: string) => (p === record.envFile ? `${p} (wt's env file, with lines wt did not write)` : p);
  const shown = files.slice(0, 20).map(name).join("\n  ");
  const more = files.length > 20 ? `\n  … and ${files.length - 20} more` : "";
  throw new DirtyWorktreeError(
    `worktree ${record.id} holds files that cleanup.protect (${protect.join(", ")}) protects and wt did not bring:\n  ${shown}${more}`,
    `move them out of ${record.path}${override} (config \`cleanup.protect\` sets the patterns)`,
    { id: record.id, files },
    "protected",
  );
}
