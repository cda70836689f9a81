import path from "node:path";
import { hiddenEdits } from "../git/hidden-edits.js";
import { type BranchTip, dirtyPaths, operationInProgress, withHiddenPaths } from "../git/merge.js";
import { parseStatusV2, type WorktreeEntry } from "../git/parse.js";
import { listRemotes } from "../git/repo.js";
import { statusMany } from "../git/status.js";
import { checkNotInProgress } from "./cleanup-guards.js";
import { ConflictError, DirtyWorktreeError, UsageError, WorktreeNotFoundError } from "./errors.js";
import { lstatOrNull } from "./fs-safe.js";
import { idKey } from "./names.js";
import { defaultBase, gitAt, type Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";

/**
 * What `wt merge` checks before anything moves (docs/contract.md, "wt merge"): the target
 * branch, and every id: managed, its branch there, no uncommitted changes, no operation in
 * progress. Reads only.
 */

/** The records of `ids` in the order given, each once. @throws WorktreeNotFoundError (3). */
export function recordsOf(records: readonly WorktreeRecord[], ids: readonly string[]): WorktreeRecord[] {
  const out: WorktreeRecord[] = [];
  for (const id of ids) {
    const r = records.find((x) => idKey(x.id) === idKey(id));
    if (!r) throw new WorktreeNotFoundError(id);
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/**
 * The branch to merge into: `--into`, else config `merge.into`, else the local branch the
 * base names (`origin/main` -> `main`: a remote-tracking base loses its remote's name).
 * @throws UsageError (2) when that is no valid name, or no local branch has it.
 */
export async function resolveTarget(
  session: Session,
  into: string | undefined,
  tips: ReadonlyMap<string, BranchTip>,
): Promise<string> {
  const given = into ?? session.config.merge.into;
  const name = given ?? localBranchOf(await defaultOrConfigBase(session), await listRemotes(gitAt(session)));
  if (!tips.has(name)) {
    throw new UsageError(
      `no local branch '${name}' to merge into${given === null ? ` (from the base ${session.config.base ?? "default"})` : ""}`,
      "name the target with `wt merge <id>... --into <branch>`, or set `merge.into` in wt.config.json",
    );
  }
  return name;
}

async function defaultOrConfigBase(session: Session): Promise<string> {
  return session.config.base ?? (await defaultBase(session.repo, session.env));
}

/** `origin/main` -> `main` when `origin` is a remote (the longest remote name that prefixes it). */
export function localBranchOf(base: string, remotes: readonly string[]): string {
  const remote = remotes.filter((r) => base.startsWith(`${r}/`)).sort((a, b) => b.length - a.length)[0];
  return remote ? base.slice(remote.length + 1) : base;
}

/**
 * Refuses the run before anything moves when any id cannot be merged as it is: a create still
 * running (4), a branch gone (3) or the target itself (2), an operation in progress or
 * uncommitted changes in its worktree (5, every such id listed with its files).
 */
export async function preflight(
  session: Session,
  records: readonly WorktreeRecord[],
  entries: readonly WorktreeEntry[],
  target: string,
  tips: ReadonlyMap<string, BranchTip>,
): Promise<void> {
  const present: WorktreeRecord[] = [];
  for (const record of records) {
    checkNotInProgress(session.repo.stateDir, record);
    if (record.branch === target) {
      throw new UsageError(`worktree ${record.id} is on ${target} itself: there is nothing to merge into it`);
    }
    if (!tips.has(record.branch)) {
      throw new ConflictError(
        `the branch ${record.branch} of worktree ${record.id} no longer exists`,
        `run \`wt status ${record.id}\`; \`wt cleanup ${record.id}\` removes the worktree`,
        "not-found",
      );
    }
    const entry = entries.find((e) => path.resolve(e.path) === record.path);
    if (!entry || (await lstatOrNull(record.path)) === null) continue;
    refuseOperation(record.path, `worktree ${record.id}`, `wt run ${record.id} -- git status`);
    present.push(record);
  }
  refuseDirty(await dirtyOf(session, present));
}

/** Each worktree's uncommitted paths, hidden edits included, from `statusMany` (a few `sh` loops rather than a git process from Node each). */
async function dirtyOf(
  session: Session,
  records: readonly WorktreeRecord[],
): Promise<{ id: string; path: string; files: string[] }[]> {
  const outs = await statusMany(
    records.map((r) => r.path),
    session.env,
  );
  const dirty: { id: string; path: string; files: string[] }[] = [];
  for (const [i, record] of records.entries()) {
    const out = outs[i];
    const at = gitAt(session, record.path);
    const files =
      out === null || out === undefined
        ? await dirtyPaths(at)
        : withHiddenPaths(
            parseStatusV2(out)
              .filter((e) => e.kind !== "ignored")
              .map((e) => e.path),
            // Edits git status cannot show (a file marked --skip-worktree): uncommitted all the same.
            await hiddenEdits(at),
          );
    if (files.length > 0) dirty.push({ id: record.id, path: record.path, files });
  }
  return dirty;
}

function refuseDirty(dirty: readonly { id: string; path: string; files: string[] }[]): void {
  if (dirty.length > 0) {
    const lines = dirty.map((d) => `${d.id}: ${d.files.slice(0, 10).join(", ")}${d.files.length > 10 ? ", …" : ""}`);
    throw new DirtyWorktreeError(
      `uncommitted changes, nothing was merged:\n  ${lines.join("\n  ")}`,
      `commit them in the worktree (\`wt run ${dirty[0]?.id} -- git commit -am "..."\`) or stash them, then run \`wt merge\` again`,
      { ids: dirty.map((d) => d.id), files: dirty.flatMap((d) => d.files), worktrees: dirty },
    );
  }
}

/** @throws DirtyWorktreeError (5, code `in-progress`) when a merge, rebase, cherry-pick, revert or bisect is under way in `folder`. */
export function refuseOperation(folder: string, what: string, hint: string): void {
  const op = operationInProgress(folder);
  if (op === null) return;
  throw new DirtyWorktreeError(
    `${what} (${folder}) has a ${op} in progress; nothing was merged`,
    `finish or abort it first (\`${hint}\` says how), then run \`wt merge\` again`,
    { path: folder, operation: op },
    "in-progress",
  );
}
