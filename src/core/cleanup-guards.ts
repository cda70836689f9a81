import { realpathSync } from "node:fs";
import path from "node:path";
import { indexHasGitlinks } from "../git/index-marks.js";
import type { Env } from "../git/run.js";
import { shortStatusLine } from "../git/status.js";
import { commitsNotOnRemotes, listGitlinks, repoTopLevel, workTreeChanges } from "../git/submodules.js";
import { DirtyWorktreeError, InProgressError } from "./errors.js";
import { lstatOrNull } from "./fs-safe.js";
import { processAlive, processStartMs } from "./process.js";
import { recordWrittenAtMs, type WorktreeRecord } from "./state.js";

/**
 * Refuses a worktree whose create or cleanup is still running in another process: its record
 * is `creating`, `hooks-pending` or `removing` and the pid that last wrote it is alive (docs/contract.md,
 * "Concurrency and safety"). Not even --force removes it: the create would fail half-way,
 * with its postCreate hooks running in a folder that is gone. A pid the system has since
 * given to another process (it started after the record was written) does not count.
 * @throws InProgressError (exit 4, code `in-progress`).
 */
export function checkNotInProgress(stateDir: string, record: WorktreeRecord): void {
  if (record.state === "ready" || record.pid === process.pid || !processAlive(record.pid)) return;
  const writtenMs = recordWrittenAtMs(stateDir, record.id);
  const startedMs = processStartMs(record.pid);
  // /proc/stat's boot time has whole seconds: allow for that before calling the pid reused.
  if (writtenMs !== null && startedMs !== null && startedMs > writtenMs + 2000) return;
  if (record.state === "removing") {
    throw new InProgressError(
      `worktree ${record.id} is being removed: a \`wt cleanup\` of it is running (wt pid ${record.pid})`,
      `wait for that cleanup to finish; run \`wt status\` to see what is left`,
    );
  }
  const what = record.state === "creating" ? "its `wt create`" : "its postCreate hooks";
  throw new InProgressError(
    `worktree ${record.id} is still being created: ${what} ${record.state === "creating" ? "is" : "are"} running (wt pid ${record.pid})`,
    `wait for that \`wt create ${record.id}\` to finish, then run \`wt cleanup ${record.id}\` again`,
  );
}

/** What a submodule of a worktree holds that would be lost with it. */
export interface SubmoduleWork {
  /** Relative to the worktree, `/`-separated (nested submodules: `lib/vendor/x`). */
  path: string;
  /** `git status --short`-style lines of its uncommitted changes. */
  changes: string[];
  /** Commits no remote-tracking ref of the submodule reaches. */
  commits: string[];
  /** Set when git cannot read the submodule's repository (its `.git` is broken). */
  unreadable?: string;
}

/** How deep `submoduleWork` follows submodules of submodules. */
const MAX_SUBMODULE_DEPTH = 8;

/**
 * Every initialised submodule below `root` (recursively) that holds work: uncommitted changes,
 * or commits that no remote-tracking ref of its own reaches. The git dir of a submodule of a
 * linked worktree is `.git/worktrees/<name>/modules/<path>`, removed with the worktree, so
 * such commits exist nowhere else (git itself refuses `worktree remove` with initialised
 * submodules, git-worktree(1)).
 */
export async function submoduleWork(
  root: string,
  env: Env,
  prefix = "",
  depth = 0,
  populated?: readonly string[],
): Promise<SubmoduleWork[]> {
  if (depth >= MAX_SUBMODULE_DEPTH) return [];
  const found: SubmoduleWork[] = [];
  for (const rel of populated ?? (await populatedSubmodules(root, env))) {
    const dir = path.join(root, rel);
    const shown = `${prefix}${rel}`;
    const top = await repoTopLevel({ cwd: dir, env });
    if (top === null || !samePath(top.topLevel, dir)) {
      found.push({ path: shown, changes: [], commits: [], unreadable: "git cannot read its repository" });
      continue;
    }
    const changes = (await workTreeChanges({ cwd: dir, env })).map(shortStatusLine);
    const commits = await commitsNotOnRemotes({ cwd: dir, env });
    if (changes.length > 0 || commits.length > 0) found.push({ path: shown, changes, commits });
    found.push(...(await submoduleWork(dir, env, `${shown}/`, depth + 1)));
  }
  return found;
}

/**
 * The submodules of the worktree at `root` that are initialised (their folder holds a `.git`;
 * an uninitialised one is an empty folder), relative, `/`-separated: `git ls-files --stage`
 * only when the index file (`indexHasGitlinks`) has a gitlink or cannot be read.
 */
export async function populatedSubmodules(root: string, env: Env): Promise<string[]> {
  // Most indexes hold no gitlink: read in process, without git listing every tracked file.
  if ((await indexHasGitlinks(root)) === false) return [];
  const out: string[] = [];
  for (const rel of await listGitlinks({ cwd: root, env })) {
    if ((await lstatOrNull(path.join(root, rel, ".git"))) !== null) out.push(rel);
  }
  return out;
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Refuses to remove a worktree whose submodules hold work (`submoduleWork`); `override` ends
 * the hint (what flag loses it, or "" where none does).
 * @returns the initialised submodules (`populatedSubmodules`) when none holds work
 * @throws DirtyWorktreeError (exit 5; code `dirty` when a submodule has uncommitted changes or
 *   cannot be read, else `unreachable-commits`), `details.submodules` listing each.
 */
export async function checkSubmodules(
  record: WorktreeRecord,
  env: Env,
  override = ", or pass --force to lose it",
): Promise<string[]> {
  const populated = await populatedSubmodules(record.path, env);
  const work = await submoduleWork(record.path, env, "", 0, populated);
  if (work.length === 0) return populated;
  const lines = work.map((w) => {
    if (w.unreadable) return `${w.path}: ${w.unreadable}`;
    const parts: string[] = [];
    if (w.commits.length > 0) {
      parts.push(
        `${w.commits.length} commit(s) on no remote-tracking ref of the submodule: ${w.commits
          .slice(0, 5)
          .map((c) => c.slice(0, 12))
          .join(" ")}`,
      );
    }
    if (w.changes.length > 0) parts.push(`uncommitted changes: ${w.changes.slice(0, 10).join(", ")}`);
    return `${w.path}: ${parts.join("; ")}`;
  });
  const dirty = work.some((w) => w.changes.length > 0 || w.unreadable);
  throw new DirtyWorktreeError(
    `worktree ${record.id} has submodule work that exists nowhere else:\n  ${lines.join("\n  ")}`,
    `push it from the submodule (e.g. \`git -C ${path.join(record.path, work[0]?.path ?? "")} push origin HEAD:refs/heads/<branch>\`), commit or stash the changes${override}`,
    { id: record.id, submodules: work },
    dirty ? "dirty" : "unreachable-commits",
  );
}
