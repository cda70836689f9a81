import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { AheadBehind } from "../git/ahead-behind.js";
import type { IntegratedHow } from "../git/integrated.js";
import type { WorktreeEntry } from "../git/parse.js";
import { parseStatusV2 } from "../git/parse.js";
import {
  assertGitVersion,
  discoverRepoFast,
  listWorktrees,
  type RepoContext,
  resolveCommit,
  resolveRepo,
} from "../git/repo.js";
import type { GitAt } from "../git/run.js";
import { aheadBehindInEach, statusMany } from "../git/status.js";
import type { WtContext } from "./context.js";
import { hiddenEditPaths } from "./hidden-cache.js";
import { idKey, validateId } from "./names.js";
import type { PoolSlotView } from "./pool/inspect.js";
import { poolOf } from "./pool/inspect.js";
import { isListening, listeningPorts as kernelListeningPorts } from "./ports.js";
import { defaultBase, sessionRemotes } from "./session.js";
import { readRecords, type WorktreeRecord } from "./state.js";
import { markIntegration } from "./status-integration.js";
import { goneReason, type RowFacts, rowFacts, selectRows } from "./status-rows.js";

/** `broken`: the folder is there but its `.git` no longer leads to this repository (git cannot tell its changes). */
export type WorktreeState = "ok" | "missing" | "broken" | "prunable" | "locked" | "incomplete" | "unmanaged";

export interface StatusDatabase {
  engine: "sqlite" | "duckdb";
  path: string;
  env: string;
  source: "empty" | "template";
  /** Size in bytes, or null when the file is missing. */
  size: number | null;
}

/** Why a record that is not `ready` shows as `incomplete`. */
const INCOMPLETE_REASON: Record<Exclude<WorktreeRecord["state"], "ready">, (pid: number) => string> = {
  creating: (pid) => `create did not finish (pid ${pid})`,
  "hooks-pending": () => "postCreate hooks have not succeeded",
  removing: (pid) => `a cleanup is removing it, or did not finish (pid ${pid})`,
};

/** One row of `wt status` (docs/contract.md). */
export interface StatusRow {
  id: string | null;
  name: string;
  branch: string | null;
  path: string;
  head: string | null;
  managed: boolean;
  state: WorktreeState;
  /** Why the state is what it is (lock reason, prunable reason), or null. */
  reason: string | null;
  /** changes > 0; null when the changes are unknown. */
  dirty: boolean | null;
  /**
   * Changed, staged and untracked paths (ignored ones and wt's own files excluded); null when
   * git could not tell (git status failed there, or the row is `broken`): never a guessed 0.
   */
  changes: number | null;
  /** Commits on the branch and not on the base, and the reverse; null when unknown. */
  ahead: number | null;
  behind: number | null;
  /** The base the counts are against. */
  base: string | null;
  /**
   * The branch is integrated into its base (or the base's local branch) by the rule of
   * docs/contract.md "Integrated branches"; null when unknown (no branch, no counts).
   */
  integrated: boolean | null;
  /** The rule that held (`same-commit`, `ancestor`, `merge-adds-nothing`, `patch-id`, ...), or null. */
  integratedHow: IntegratedHow | null;
  ports: Record<string, number>;
  listening: Record<string, boolean>;
  databases: StatusDatabase[];
}

export interface StatusResult {
  /** The main worktree (absolute). */
  main: string;
  worktrees: StatusRow[];
  /** The pool's slots (idle, stale, damaged), apart from the worktrees; absent when there is none. */
  pool?: { idle: number; slots: PoolSlotView[] };
}

/** How many worktrees `git status` runs in at once: about 4 is fastest on 2 cores (issue 5). */
const PARALLEL = 4;

/**
 * Each distinct base resolved once: a worktree whose HEAD is its base's commit is 0/0 without
 * running rev-list (the common case right after `wt create`).
 * @returns base -> its commit id, or null when it names none
 */
function baseCommitCache(main: GitAt): (base: string) => Promise<string | null> {
  const baseCommits = new Map<string, Promise<string | null>>();
  return (base) => {
    let p = baseCommits.get(base);
    if (!p) {
      p = resolveCommit(main, base).catch(() => null);
      baseCommits.set(base, p);
    }
    return p;
  };
}

/**
 * The base of a row (its record's, else `defaultBase`, asked once) and each base's commit
 * (`baseCommitCache`); failures answer null.
 */
function baseResolvers(repo: RepoContext, main: GitAt) {
  let unmanagedBase: Promise<string | null> | null = null;
  const baseFor = (record: WorktreeRecord | null): Promise<string | null> => {
    if (record) return Promise.resolve(record.base);
    unmanagedBase ??= defaultBase(repo, main.env).catch(() => null);
    return unmanagedBase;
  };
  return { baseFor, commitOf: baseCommitCache(main) };
}

/**
 * `wt status [<id>...]`: one row per worktree of the repository, managed or not, plus
 * managed worktrees git no longer knows. Never fails because of what a row says.
 * @throws UsageError (2) for an invalid id or outside a repository; WorktreeNotFoundError (3)
 *   for an id no managed worktree has.
 */
export async function getStatus(ctx: WtContext, ids: readonly string[] = []): Promise<StatusResult> {
  for (const id of ids) validateId(id);
  // The filesystem finds an ordinary repository without starting git, and git's version is
  // asked only when the listing fails (a git older than 2.36 has no `worktree list -z`).
  const fast = discoverRepoFast(ctx.cwd, ctx.env);
  const repo = fast ?? (await resolveRepo(ctx.cwd, ctx.env));
  ctx.onDetail?.(`repository ${repo.mainPath}; wt's records in ${repo.stateDir}`);
  const main = { cwd: repo.mainPath, env: ctx.env };
  const listed = listWorktrees(main);
  listed.catch(() => {}); // awaited below
  const records = await readRecords(repo.stateDir, (file) =>
    ctx.onWarning?.(`cannot read the record ${file}; its worktree shows as unmanaged (delete the file to forget it)`),
  );
  // The statuses are most of the time: start those of the main worktree and of the managed
  // worktrees now, while git lists the worktrees; the listing decides which outputs are used.
  const wanted = ids.length > 0 ? records.filter((r) => ids.some((id) => idKey(id) === idKey(r.id))) : records;
  const early = [...(ids.length > 0 || repo.bare ? [] : [repo.mainPath]), ...wanted.map((r) => r.path)].filter((f) =>
    existsSync(f),
  );
  const earlyOutputs = statusMany(early, ctx.env, PARALLEL);
  const { baseFor, commitOf } = baseResolvers(repo, main);
  // The bases and their commits are asked beside the statuses rather than after them (issue 12).
  const warm = (base: Promise<string | null>) => base.then((b) => b && commitOf(b)).catch(() => null);
  if (ids.length === 0 && !repo.bare) warm(baseFor(null));
  for (const base of new Set(wanted.map((r) => r.base))) warm(Promise.resolve(base));
  const entries = await listed.catch(async (e: unknown) => {
    await assertGitVersion(main); // a too-old git explains the failure better than the failure does
    throw e;
  });
  const [pool, selected] = poolAndRows(repo, entries, records, ids);
  const facts = await rowFacts(repo, selected);
  const changesOf = changeCounter(early, earlyOutputs, facts, {
    env: ctx.env,
    stateDir: repo.stateDir,
    all: ids.length === 0,
  });
  const counts = aheadBehindAll(main, facts, baseFor, commitOf);
  // Read off Node's thread (~2 ms a table here), while the statuses run.
  const listeners = facts.some((f) => Object.keys(f.record?.ports ?? {}).length > 0)
    ? await kernelListeningPorts()
    : null;
  const worktrees = await Promise.all(
    facts.map((f, i) =>
      buildRow(
        f,
        changesOf(f),
        baseFor(f.record),
        listeners,
        counts.then((all) => all[i] ?? null),
      ),
    ),
  );
  return {
    main: repo.mainPath,
    worktrees: await markIntegration(main, worktrees, () => sessionRemotes(repo, ctx.env)),
    ...(pool && ids.length === 0 ? { pool } : {}),
  };
}

/**
 * For each row, the number of changes: what its `git status` output lists (taken from the
 * early runs or from one late `statusMany` for the folders the listing added), plus the edits
 * git status cannot show (`hiddenEdits`); null where git cannot run or failed.
 */
function changeCounter(
  early: readonly string[],
  earlyOutputs: Promise<(string | null)[]>,
  facts: readonly RowFacts[],
  context: { env: WtContext["env"]; stateDir: string; all: boolean },
): (f: RowFacts) => Promise<number | null> {
  const earlyIndex = new Map(early.map((folder, k) => [folder, k]));
  const late = facts.filter((f) => f.canRunGit && !earlyIndex.has(f.folder)).map((f) => f.folder);
  const lateOutputs = late.length > 0 ? statusMany(late, context.env, PARALLEL) : Promise.resolve([]);
  const lateIndex = new Map(late.map((folder, k) => [folder, k]));
  // Edits git status cannot show (marked files) count as changes too, as cleanup counts them.
  const gitRows = facts.filter((f) => f.canRunGit).map((f) => f.folder);
  const hidden = hiddenEditPaths(gitRows, context.env, context.stateDir, context.all);
  const hiddenIndex = new Map(gitRows.map((folder, k) => [folder, k]));
  return async (f: RowFacts): Promise<number | null> => {
    if (!f.canRunGit) return null;
    const k = earlyIndex.get(f.folder);
    const output = k !== undefined ? (await earlyOutputs)[k] : (await lateOutputs)[lateIndex.get(f.folder) ?? -1];
    const marked = (await hidden)[hiddenIndex.get(f.folder) ?? -1];
    return output == null || marked == null ? null : countChanges(output, marked);
  };
}

async function buildRow(
  { entry, record, folder, exists, isMain, broken, trashed, canRunGit }: RowFacts,
  changesCount: Promise<number | null>,
  basePromise: Promise<string | null>,
  listeners: Set<number> | null,
  countsPromise: Promise<AheadBehind | null>,
): Promise<StatusRow> {
  let state: WorktreeState;
  let reason: string | null = null;
  if (record && record.state !== "ready") {
    state = "incomplete";
    reason = INCOMPLETE_REASON[record.state](record.pid);
  } else if (!exists || (record && entry === null)) {
    state = record ? "missing" : "prunable";
    reason = goneReason({ entry, record, exists, trashed });
  } else if (broken !== null) {
    state = "broken";
    reason =
      trashed !== null
        ? `${broken}; the worktree is in wt's trash (${trashed}), left there by a stopped cleanup: move what is at its path aside, then \`wt doctor --fix\` puts it back`
        : `${broken}; \`git worktree repair ${folder}\` in the main worktree may restore it`;
  } else if (entry?.prunable !== null && entry?.prunable !== undefined) {
    state = "prunable";
    reason = entry.prunable;
  } else if (entry?.locked !== null && entry?.locked !== undefined) {
    state = "locked";
    reason = entry.locked || "locked";
  } else {
    state = record || isMain ? "ok" : "unmanaged";
  }
  const [output, base, listening, databases] = await Promise.all([
    changesCount,
    basePromise,
    listeningPorts(record?.ports ?? {}, listeners),
    Promise.all((record?.databases ?? []).map(async (db) => ({ ...db, size: await sizeOf(db.path) }))),
  ]);
  // No answer where git should have given one: unknown, not 0 (issue 9, item 17); nor for a
  // folder that is gone (moved with mv, it may hold anything).
  const unknown = broken !== null || !exists || (canRunGit && output === null);
  const changes = unknown ? null : (output ?? 0);
  if (unknown && broken === null && exists) {
    reason = `${reason ? `${reason}; ` : ""}git status failed in this folder (or the check of its marked files did), so its changes are unknown`;
  }
  const counts = await countsPromise;
  return {
    id: record?.id ?? null,
    name: record?.name ?? path.basename(folder),
    // What is checked out now (an agent may have switched branches); the record only for a
    // worktree git no longer lists.
    branch: entry ? entry.branch : (record?.branch ?? null),
    path: folder,
    head: entry?.head ?? null,
    managed: record !== null,
    state,
    reason,
    dirty: changes === null ? null : changes > 0,
    changes,
    ahead: counts?.ahead ?? null,
    behind: counts?.behind ?? null,
    base,
    integrated: null,
    integratedHow: null,
    ports: record?.ports ?? {},
    listening,
    databases,
  };
}

/**
 * Number of paths a `git status --porcelain=v2 -z` output reports (untracked included, ignored
 * excluded), plus the `hidden` edits it does not list already (a staged file marked after).
 */
function countChanges(output: string, hidden: readonly string[]): number {
  const shown = parseStatusV2(output).filter((e) => e.kind !== "ignored");
  const listed = new Set(shown.map((e) => e.path));
  return shown.length + hidden.filter((p) => !listed.has(p)).length;
}

/**
 * Ahead/behind of every row's HEAD against its base (null where git cannot run or tell).
 * 0/0 without running git when HEAD is the base's commit (the common case right after
 * `wt create`). The other rows on a branch are counted by one `git for-each-ref` with git
 * 2.41's `%(ahead-behind:<base>)` atom, a single graph walk for all of them; with an older git
 * (it answers "unknown field name"), or for a detached HEAD, `rev-list --left-right --count
 * base...HEAD` in the worktree (left = only on the base = behind, right = ahead), all of them
 * through `gitInEach`.
 */
async function aheadBehindAll(
  main: GitAt,
  facts: readonly RowFacts[],
  baseFor: (record: WorktreeRecord | null) => Promise<string | null>,
  commitOf: (base: string) => Promise<string | null>,
): Promise<(AheadBehind | null)[]> {
  const out: (AheadBehind | null)[] = new Array(facts.length).fill(null);
  const pending: { row: number; folder: string; base: string; baseCommit: string | null; ref: string | null }[] = [];
  await Promise.all(
    facts.map(async (f, i) => {
      if (!f.canRunGit) return;
      const base = await baseFor(f.record);
      if (!base) return;
      const head = f.entry?.head ?? null;
      const baseCommit = await commitOf(base);
      if (head !== null && baseCommit === head) {
        out[i] = { ahead: 0, behind: 0 };
        return;
      }
      const ref = f.entry?.branch ? `refs/heads/${f.entry.branch}` : null;
      pending.push({ row: i, folder: f.folder, base, baseCommit, ref });
    }),
  );
  const onRefs = pending.filter((p) => p.ref !== null && p.baseCommit !== null);
  // Imported only when some worktree has moved off its base: every module costs start-up time.
  const byRef =
    onRefs.length > 0
      ? await (await import("../git/ahead-behind.js")).aheadBehindOfRefs(
          main,
          [...new Set(onRefs.map((p) => p.ref as string))],
          [...new Set(onRefs.map((p) => p.baseCommit as string))],
        )
      : null;
  const rest: typeof pending = [];
  for (const p of pending) {
    const counts = p.ref && p.baseCommit ? byRef?.get(p.ref)?.get(p.baseCommit) : undefined;
    if (counts) out[p.row] = counts;
    else rest.push(p);
  }
  const counts = await aheadBehindInEach(
    rest.map((p) => ({ cwd: p.folder, base: p.base })),
    main.env,
    PARALLEL,
  );
  counts.forEach((c, k) => {
    if (c) out[(rest[k] as (typeof rest)[number]).row] = c;
  });
  return out;
}

/**
 * Which of a row's ports something listens on: the kernel's socket tables when readable
 * (read once per run: `listeners`), else a connect probe per port.
 */
async function listeningPorts(
  ports: Record<string, number>,
  listeners: Set<number> | null,
): Promise<Record<string, boolean>> {
  const entries = Object.entries(ports);
  const up = await Promise.all(entries.map(([, port]) => (listeners ? listeners.has(port) : isListening(port))));
  return Object.fromEntries(entries.map(([name], i) => [name, up[i] === true]));
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

/**
 * The pool's slots (`wt status` shows them apart, `poolOf`) and the rows of git's other
 * worktrees and of the records.
 */
function poolAndRows(
  repo: { commonDir: string; stateDir: string },
  entries: WorktreeEntry[],
  records: WorktreeRecord[],
  ids: readonly string[],
): [ReturnType<typeof poolOf>, ReturnType<typeof selectRows>] {
  const pool = poolOf(repo.commonDir, repo.stateDir, entries);
  const rest = pool ? entries.filter((e) => !pool.slots.some((s) => s.path === e.path)) : entries;
  return [pool, selectRows(rest, records, ids)];
}
