import { readdir, rm, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { isValidBranchName, listWorktrees, refExists, resolveCommit } from "../git/repo.js";
import { git, gitOut } from "../git/run.js";
import { lockTimeoutMs, type WtContext } from "./context.js";
import { type CopyManifest, MANIFEST_FILE_LIMIT, scanCopiedFolder, writeCopyManifest } from "./copy-manifest.js";
import { createLockReason, releaseStaleCreateLocks } from "./create-lock.js";
import {
  type DatabasePlan,
  planDatabases,
  provisionDatabase,
  SIDECAR_SUFFIXES,
  unprovisionDatabase,
} from "./databases.js";
import { checkValues, expandEnvEntries, type Variables, worktreeVariables, writeEnvFile } from "./envfile.js";
import { ConflictError, InterruptedError, UsageError } from "./errors.js";
import { exactPattern, removeExcludes, setExcludes } from "./exclude.js";
import { checkPathLength } from "./fs-errors.js";
import { checkWorktreeRoot, isInside, lstatOrNull } from "./fs-safe.js";
import { runHooks, runShellCommand } from "./hooks.js";
import { bringEntry, fingerprintFile, type IncludePlanEntry, planIncludes, readIncludeFile } from "./include.js";
import { lockedSignal, withRepoLock } from "./lock.js";
import { expandTemplate, idKey, nameFor, validateId, worktreeDirHolder, worktreePathFor } from "./names.js";
import { executePlan, type Step } from "./plan.js";
import { allocateSlot, isPortFree, portsForSlot } from "./ports.js";
import { realOrRealParents, withRealParents } from "./real-parent.js";
import { defaultBase, fetchBaseRemote, openSession, type Session } from "./session.js";
import { deleteRecord, readRecord, readRecords, type WorktreeRecord, writeRecord } from "./state.js";
import { trashDir } from "./trash.js";

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
  slot: number;
  ports: Record<string, number>;
  /** Absolute path of the env file. */
  envFile: string;
  included: { path: string; mode: "copy" | "symlink" }[];
  databases: { engine: "sqlite" | "duckdb"; path: string; env: string; source: "empty" | "template" }[];
  warnings: string[];
  /** With --dry-run: the steps that would run. */
  plan?: string[];
  dryRun?: boolean;
}

/**
 * `wt create <id>`: branch, folder, slot and ports, included files, env file, databases,
 * then postCreate hooks. Re-running it on a healthy worktree checks and completes it and
 * returns `created: false`. Any failure before the hooks, or an abort, undoes exactly what
 * this run made (its branch included).
 * @throws UsageError (2) bad id/branch/config; ConflictError (3) folder occupied, branch
 *   checked out elsewhere, base or template missing; BusyError (4) lock, slots, locked
 *   template; CommandFailedError (6) git, init or a postCreate hook failed (the worktree is
 *   then kept and the hooks run again on the next create); InterruptedError (130).
 */
export async function createWorktree(ctx: WtContext, options: CreateOptions): Promise<CreateResult> {
  validateId(options.id);
  const session = await openSession(ctx, { base: options.base, fetch: options.fetch });
  const { repo, config } = session;
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.onWarning?.(m);
  };

  const name = nameFor(options.id, config, repo.repoName);
  const values = { repo: repo.repoName, id: options.id, name };
  const worktree = withRealParents(worktreePathFor(config, repo.mainPath, values));
  const branch = options.branch ?? expandTemplate(config.branch, values, "branch");
  if (!(await isValidBranchName(repo.mainPath, branch))) {
    throw new UsageError(
      `invalid branch name ${JSON.stringify(branch)} (git check-ref-format --branch refuses it)`,
      "pass a valid --branch, or fix the `branch` template",
    );
  }
  // A path the system cannot hold is the configuration's fault (exit 2), found before anything is made.
  checkPathLength(worktree, "the worktree folder");
  if (isInside(worktree, repo.mainPath)) {
    throw new UsageError(`the worktree folder ${worktree} would contain the main worktree`, "fix `worktreeDir`");
  }

  // Refuse a .worktreeinclude that is a FIFO, a device or a folder before the lock is taken
  // (planIncludes reads it again under the lock, through the same non-blocking reader).
  if (!repo.bare) await readIncludeFile(repo.mainPath);
  const base = config.base ?? (await defaultBase(repo));
  // Fetch before taking the lock: the network may be slow, and git serialises ref updates itself.
  if (config.fetch && !options.dryRun) {
    const warning = await fetchBaseRemote(repo, base, ctx.signal);
    if (warning) warn(warning);
  }

  // Under the lock, `lockCtx.signal` also aborts when the lock is lost: the plan stops before its next step.
  const run = async (lockCtx: WtContext): Promise<CreateRun> => {
    const records = await readRecords(repo.stateDir);
    const existing = records.find((r) => idKey(r.id) === idKey(options.id));
    if (existing) {
      if (!options.dryRun) await releaseStaleCreateLocks(repo.mainPath, await listWorktrees(repo.mainPath), records);
      const result = await completeExisting(session, existing, warn, options.dryRun === true);
      if (options.dryRun || existing.state !== "hooks-pending") return { result, record: null };
      // Another create may be running the hooks right now (parallel creates of one id):
      // leave them to it rather than installing twice at once.
      if (existing.pid !== process.pid && processAlive(existing.pid)) {
        warn(`postCreate hooks of ${existing.id} are running in another wt (pid ${existing.pid})`);
        return { result, record: null };
      }
      existing.pid = process.pid;
      await writeRecord(repo.stateDir, existing);
      return { result, record: existing };
    }
    return createNew(session, lockCtx, {
      id: options.id,
      name,
      values,
      worktree,
      branch,
      branchFromFlag: options.branch !== undefined,
      base,
      records,
      warn,
      warnings,
      dryRun: options.dryRun === true,
      hooks: options.hooks !== false,
    });
  };

  if (options.dryRun) {
    return (await run(ctx)).result;
  }
  const { result, record, rollback } = await withRepoLock(
    repo.stateDir,
    { timeoutMs: lockTimeoutMs(ctx.env), onWarning: warn, onWait: ctx.onNotice, purpose: `wt create ${options.id}` },
    (held) => run({ ...ctx, signal: lockedSignal(ctx.signal, held) }),
  );
  if (record) {
    try {
      await finishHooks(
        session,
        record,
        ctx,
        { enabled: options.hooks !== false, fresh: rollback !== undefined },
        warn,
      );
    } catch (e) {
      // Ctrl-C during the hooks of a worktree this run made: undo the whole create, as for
      // any other step (docs/contract.md); a failing hook keeps it (exit 6, retried next time).
      if (e instanceof InterruptedError && rollback) {
        try {
          await rollBackCreate(session, record, ctx, rollback, warn);
        } catch (undoError) {
          // Still exit 130, but say what was not undone rather than claim it was.
          throw new InterruptedError(
            "SIGINT",
            `interrupted during the postCreate hooks, and the rollback could not run (${(undoError as Error).message}); worktree ${record.id} is left incomplete`,
            `run \`wt cleanup ${record.id}\` to remove it`,
          );
        }
      }
      throw e;
    }
  }
  result.warnings = warnings;
  return result;
}

/** What one locked run of `createWorktree` made: the result, the record whose postCreate hooks
 * are to run (null when none are), and, for a worktree this run made, the plan's undo. */
interface CreateRun {
  result: CreateResult;
  record: WorktreeRecord | null;
  rollback?: () => Promise<void>;
}

/** Undoes a create whose hooks were interrupted, under the lock, if the record is still its. */
async function rollBackCreate(
  session: Session,
  record: WorktreeRecord,
  ctx: WtContext,
  rollback: () => Promise<void>,
  warn: (m: string) => void,
): Promise<void> {
  await withRepoLock(
    session.repo.stateDir,
    {
      timeoutMs: lockTimeoutMs(ctx.env),
      onWarning: warn,
      onWait: ctx.onNotice,
      purpose: `wt create ${record.id} (rollback)`,
    },
    async () => {
      const current = await readRecord(session.repo.stateDir, record.id);
      if (current?.path !== record.path || current.pid !== process.pid) return;
      await rollback();
    },
  );
}

interface NewWorktree {
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
}

async function createNew(session: Session, ctx: WtContext, w: NewWorktree): Promise<CreateRun> {
  const { repo, config } = session;
  const git0 = { cwd: repo.mainPath, signal: ctx.signal };
  const entries = await listWorktrees(repo.mainPath, ctx.signal);
  if (!w.dryRun) await releaseStaleCreateLocks(repo.mainPath, entries, w.records);
  checkConflicts(entries, w, session);
  await checkFolder(w.worktree);

  const baseCommit = await resolveCommit(repo.mainPath, w.base);
  if (baseCommit === null) {
    throw new ConflictError(
      `the base ${JSON.stringify(w.base)} names no commit`,
      "pass an existing branch or commit with --base, or set `base` in wt.config.json",
      "not-found",
    );
  }
  const localBranch = await refExists(repo.mainPath, `refs/heads/${w.branch}`);
  const remoteBranch = !localBranch && (await refExists(repo.mainPath, `refs/remotes/origin/${w.branch}`));
  const startPoint = localBranch
    ? `refs/heads/${w.branch}`
    : remoteBranch
      ? `refs/remotes/origin/${w.branch}`
      : baseCommit;

  const slot = await allocateSlot({
    id: w.id,
    ports: config.ports,
    portSlots: config.portSlots,
    taken: new Set(w.records.map((r) => r.slot)),
    isFree: isPortFree,
  });
  if (slot.slot !== slot.preferred) {
    const why = slot.skipped.map((s) => `slot ${s.slot}: ${s.reason}`).join("; ");
    w.warn(`using port slot ${slot.slot} instead of ${slot.preferred} (${why})`);
  }
  const ports = portsForSlot(config.ports, slot.slot);
  const includes = repo.bare
    ? []
    : await planIncludes(
        repo.mainPath,
        config.include.symlink,
        config.envFile,
        neverIncluded(session, entries, w),
        ctx.signal,
      );
  for (const e of includes) {
    if (e.mode === "symlink" && path.basename(e.path) === "node_modules") {
      w.warn(
        `${e.path} is a symlink to the main worktree's: an install (npm/pnpm/yarn) inside this worktree changes the main worktree's dependencies`,
      );
    }
  }
  const databases = await planDatabases(config.databases, repo.mainPath, w.worktree, w.values);
  for (const d of databases) checkPathLength(d.path, `the database ${path.basename(d.path)}`);

  const record: WorktreeRecord = {
    version: 1,
    id: w.id,
    name: w.name,
    branch: w.branch,
    path: w.worktree,
    base: w.base,
    baseCommit,
    createdBranch: !localBranch,
    slot: slot.slot,
    ports,
    envFile: config.envFile,
    env: {},
    included: [],
    databases: databases.map((d) => ({
      engine: d.engine,
      path: d.path,
      env: d.env,
      source: d.template ? "template" : "empty",
    })),
    excludes: [],
    state: "creating",
    pid: process.pid,
    createdAt: new Date().toISOString(),
  };
  const baseVars = worktreeVariables(record, repo.mainPath);
  record.env = expandEnvEntries(config.env, baseVars);
  const vars = worktreeVariables(record, repo.mainPath);
  // Refuse values the env file cannot hold (a newline in a path) before anything exists.
  checkValues(vars);
  await refuseTrackedTargets(repo.mainPath, startPoint, w.worktree, [
    { rel: config.envFile, what: "the env file (`envFile`)" },
    ...databases
      .filter((d) => isInside(w.worktree, d.path))
      .map((d) => ({ rel: path.relative(w.worktree, d.path), what: `the database ${path.basename(d.path)}` })),
  ]);
  record.excludes = excludePatterns(record, includes, repo.mainPath, databases);

  const addArgs = ["-c", "checkout.workers=0", "worktree", "add", "--lock", "--reason", createLockReason(process.pid)];
  let addTitle: string;
  if (localBranch) {
    addArgs.push("--", w.worktree, w.branch);
    addTitle = `add worktree ${w.worktree} on the existing branch ${w.branch}`;
  } else if (remoteBranch) {
    addArgs.push("--track", "-b", w.branch, "--", w.worktree, `origin/${w.branch}`);
    addTitle = `add worktree ${w.worktree} with new branch ${w.branch} tracking origin/${w.branch}`;
  } else {
    addArgs.push("--no-track", "-b", w.branch, "--", w.worktree, baseCommit);
    addTitle = `add worktree ${w.worktree} with new branch ${w.branch} at ${w.base} (${baseCommit.slice(0, 8)})`;
  }

  // `git worktree add` makes missing parent folders (`../app-worktrees/`): a rollback
  // removes those it made, when they are empty.
  const madeParents = await firstMissingAncestor(path.dirname(w.worktree));
  if (madeParents !== null) record.madeFolder = madeParents;
  const brought: IncludePlanEntry[] = [];
  const manifest: CopyManifest = { version: 1, createdAt: record.createdAt, folders: {} };
  const steps: Step[] = [
    {
      title: `record worktree ${w.id} (slot ${slot.slot}: ${formatPorts(ports)})`,
      run: () => writeRecord(repo.stateDir, record),
      undo: () => deleteRecord(repo.stateDir, w.id),
    },
    {
      title: `keep wt's files out of git status (${record.excludes.length} entries in info/exclude)`,
      run: () => setExcludes(repo.commonDir, w.id, record.excludes),
      undo: () => removeExcludes(repo.commonDir, w.id),
    },
    {
      title: addTitle,
      run: async () => {
        await git(addArgs, git0);
      },
      undo: async () => {
        await removeWorktreeAndBranch(session, w.worktree, record.createdBranch ? w.branch : null);
        await removeEmptyParents(path.dirname(w.worktree), madeParents);
      },
    },
    ...includes.map(
      (entry): Step => ({
        title: `${entry.mode === "symlink" ? "link" : "copy"} ${entry.path}${entry.isDirectory ? "/" : ""}`,
        run: async () => {
          const startedMs = Date.now();
          if (await bringEntry(repo.mainPath, w.worktree, entry, ctx.signal)) {
            brought.push(entry);
            const copy = entry.mode === "copy";
            const fingerprint =
              copy && !entry.isDirectory && entry.path !== config.envFile
                ? await fingerprintFile(path.join(w.worktree, entry.path))
                : undefined;
            record.included.push({
              path: entry.path,
              mode: entry.mode,
              ...(fingerprint ? { fingerprint } : {}),
              ...(copy && entry.isDirectory ? { copiedAtMs: startedMs } : {}),
            });
            if (copy && entry.isDirectory) await addToManifest(manifest, w.worktree, entry.path);
          } else {
            w.warn(`not bringing ${entry.path}: the branch already has it (the branch's own content wins)`);
          }
        },
        undo: async () => {
          // Links first, and never followed: the main worktree's node_modules is at stake.
          if (entry.mode === "symlink") await unlink(path.join(w.worktree, entry.path)).catch(() => {});
        },
      }),
    ),
    ...(includes.some((e) => e.mode === "copy" && e.isDirectory)
      ? [
          {
            title: "record what was copied, file by file (for cleanup's edited-copy check)",
            // Removed with the record (deleteRecord), also by a rollback.
            run: () => writeCopyManifest(repo.stateDir, w.id, manifest),
          },
        ]
      : []),
    {
      title: `write ${config.envFile} (${Object.keys(vars).length} variables)`,
      run: async () => {
        await writeEnvFile(w.worktree, config.envFile, vars);
      },
    },
    ...databases.flatMap((db, i) => databaseSteps(db, i, w, vars, ctx)),
    {
      title: "mark the worktree ready",
      run: async () => {
        result.head = (await gitOut(["rev-parse", "HEAD"], { cwd: w.worktree })).trim();
        record.state = "hooks-pending";
        record.pid = process.pid;
        await writeRecord(repo.stateDir, record);
        await git(["worktree", "unlock", "--", w.worktree], { cwd: repo.mainPath });
      },
    },
  ];

  const result: CreateResult = {
    id: w.id,
    name: w.name,
    branch: w.branch,
    path: w.worktree,
    base: w.base,
    head: localBranch ? "" : remoteBranch ? "" : baseCommit,
    created: !w.dryRun,
    slot: slot.slot,
    ports,
    envFile: path.join(w.worktree, config.envFile),
    included: includes.map((e) => ({ path: e.path, mode: e.mode })),
    databases: record.databases,
    warnings: w.warnings,
  };
  if (w.dryRun) {
    result.dryRun = true;
    result.plan = steps.map((s) => s.title);
    if (config.hooks.postCreate.length > 0 && w.hooks) {
      result.plan.push(...config.hooks.postCreate.map((c) => `run postCreate hook: ${c}`));
    }
    return { result, record: null };
  }
  // Every step after `git worktree add` writes into the folder: each first checks that it is
  // still the worktree git made, not a link to the main worktree swapped in since.
  const added = steps.findIndex((s) => s.title === addTitle);
  const guarded = steps.map((s, i) => (i > added ? guardRoot(s, w.worktree, repo.commonDir) : s));
  const rollback = await executePlan(guarded, {
    signal: ctx.signal,
    onStep: ctx.onProgress,
    onWarning: w.warn,
  });
  // The contract's shape: what was brought and how (the record's fingerprints stay in the record).
  result.included = record.included.map((e) => ({ path: e.path, mode: e.mode }));
  return { result, record, rollback };
}

/**
 * `step`, its run and its undo each first checking that `worktree` is still the folder git
 * registered (`checkWorktreeRoot`): an undo that unlinks `<worktree>/.env` must not unlink the
 * main worktree's through a swapped-in link (the executor reports the refused undo).
 */
function guardRoot(step: Step, worktree: string, commonDir: string): Step {
  const { run, undo } = step;
  return {
    title: step.title,
    run: async () => {
      await checkWorktreeRoot(worktree, commonDir);
      await run();
    },
    ...(undo
      ? {
          undo: async () => {
            await checkWorktreeRoot(worktree, commonDir);
            await undo();
          },
        }
      : {}),
  };
}

/**
 * The steps that make database `db` (entry `index` of `databases`): the file, then its `init`
 * command, which comes from the repository and so is skipped, with a warning, under
 * `--no-hooks` (issue 9, item 7).
 */
function databaseSteps(db: DatabasePlan, index: number, w: NewWorktree, vars: Variables, ctx: WtContext): Step[] {
  const worktree = w.worktree;
  const steps: Step[] = [
    {
      title: `${db.template ? `copy ${db.engine} template ${db.template} to` : `create empty ${db.engine} database`} ${db.path}`,
      run: () => provisionDatabase(db, undefined, ctx.signal),
      undo: () => unprovisionDatabase(db),
    },
  ];
  if (db.init && !w.hooks) {
    w.warn(
      `databases[${index}].init skipped (--no-hooks): \`${db.init}\`; run it in ${w.worktree} yourself if it is needed`,
    );
  } else if (db.init) {
    const command = db.init;
    steps.push({
      title: `run init for ${path.basename(db.path)}: ${command}`,
      run: () =>
        runShellCommand(command, {
          cwd: worktree,
          vars,
          output: ctx.output ?? null,
          signal: ctx.signal,
          label: `init of ${db.path}`,
        }),
    });
  }
  return steps;
}

/**
 * Folders `.worktreeinclude` never brings (issue 9, item 14): every registered worktree, every
 * recorded one, the new one, the folder `worktreeDir` puts them in, and wt's trash.
 */
function neverIncluded(session: Session, entries: readonly WorktreeEntry[], w: NewWorktree): string[] {
  const { repo, config } = session;
  return [
    ...entries.map((e) => e.path),
    ...w.records.map((r) => r.path),
    w.worktree,
    realOrRealParents(worktreeDirHolder(config, repo.mainPath, repo.repoName)),
    trashDir(repo.stateDir),
  ];
}

/**
 * Adds the files of a folder just copied into the worktree to `manifest`, unless that would
 * take it over `MANIFEST_FILE_LIMIT` (then cleanup compares that folder by times only).
 */
async function addToManifest(manifest: CopyManifest, worktree: string, rel: string): Promise<void> {
  const held = Object.values(manifest.folders).reduce((n, f) => n + f.length, 0);
  const files = await scanCopiedFolder(path.join(worktree, rel), MANIFEST_FILE_LIMIT - held);
  if (files !== null) manifest.folders[rel] = files;
}

/** Exact info/exclude patterns for everything wt writes into a worktree. */
function excludePatterns(
  record: WorktreeRecord,
  includes: readonly IncludePlanEntry[],
  mainPath: string,
  databases: readonly DatabasePlan[],
): string[] {
  const rels = new Set<string>([record.envFile.replace(/\\/g, "/")]);
  for (const e of includes) rels.add(e.path);
  for (const db of databases) {
    if (!isInside(record.path, db.path)) continue;
    const rel = path.relative(record.path, db.path).split(path.sep).join("/");
    for (const suffix of ["", ...SIDECAR_SUFFIXES]) rels.add(`${rel}${suffix}`);
  }
  const patterns = [...rels].map(exactPattern);
  // A worktree folder inside the main worktree (`trees/101`) must not show in its status.
  if (isInside(mainPath, record.path) && record.path !== mainPath) {
    patterns.push(`${exactPattern(path.relative(mainPath, record.path).split(path.sep).join("/"))}/`);
  }
  return patterns;
}

/** The outermost folder on the way to `dir` that does not exist yet, or null. */
async function firstMissingAncestor(dir: string): Promise<string | null> {
  let missing: string | null = null;
  let at = dir;
  while ((await lstatOrNull(at)) === null) {
    missing = at;
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  return missing;
}

/** Removes `dir` and its parents up to `top` (inclusive) while they are empty. */
async function removeEmptyParents(dir: string, top: string | null): Promise<void> {
  if (top === null) return;
  let at = dir;
  for (;;) {
    try {
      await rmdir(at);
    } catch {
      return;
    }
    if (at === top) return;
    at = path.dirname(at);
  }
}

/**
 * wt's files must never show in `git status`, and info/exclude cannot hide a tracked file:
 * when the commit the worktree starts at tracks the env file or a database path, refuse
 * (exit 3) before anything is made.
 */
async function refuseTrackedTargets(
  cwd: string,
  startPoint: string,
  worktree: string,
  targets: { rel: string; what: string }[],
): Promise<void> {
  for (const t of targets) {
    const rel = t.rel.split(path.sep).join("/");
    const r = await git(["cat-file", "-e", "--end-of-options", `${startPoint}:${rel}`], { cwd, okCodes: [1, 128] });
    if (r.exitCode === 0) {
      throw new ConflictError(
        `the branch tracks ${rel}, which wt would write as ${t.what} in ${worktree}`,
        "set another `envFile` (or database `path`) in wt.config.json, e.g. .env.wt",
      );
    }
  }
}

/** True when a process with this id exists (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function formatPorts(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

function checkConflicts(entries: WorktreeEntry[], w: NewWorktree, session: Session): void {
  const samePath = entries.find((e) => path.resolve(e.path) === w.worktree);
  if (samePath) {
    throw new ConflictError(
      `git already has a worktree registered at ${w.worktree}${samePath.prunable !== null ? " (its folder is gone)" : ""}`,
      samePath.prunable !== null
        ? "run `git worktree prune`, then try again"
        : "pick another id, or remove that worktree first",
    );
  }
  const onBranch = entries.find((e) => e.branch === w.branch);
  if (onBranch) {
    throw new ConflictError(
      `branch ${w.branch} is already checked out in ${onBranch.path}`,
      w.branchFromFlag
        ? "pass another --branch"
        : "git checks a branch out in one worktree at a time; pass --branch <other>",
    );
  }
  const otherRecord = w.records.find((r) => r.path === w.worktree);
  if (otherRecord) {
    throw new ConflictError(
      `worktree ${otherRecord.id} already uses the folder ${w.worktree}`,
      "check `worktreeDir` in wt.config.json",
    );
  }
  void session;
}

/** An occupied folder is exit 3 before any branch exists; an empty one is fine (git uses it). */
async function checkFolder(folder: string): Promise<void> {
  const st = await lstatOrNull(folder);
  if (st === null) return;
  if (st.isDirectory() && (await readdir(folder)).length === 0) return;
  throw new ConflictError(
    `the folder ${folder} already exists and is not empty`,
    "move it away, or set another `worktreeDir` in wt.config.json",
  );
}

/**
 * Rollback of `git worktree add`: unregisters and deletes the folder (after unlinking any
 * symlink wt made, so nothing is followed), and deletes the branch when this run made it.
 */
async function removeWorktreeAndBranch(session: Session, worktree: string, branch: string | null): Promise<void> {
  const cwd = session.repo.mainPath;
  await git(["worktree", "remove", "--force", "--force", "--", worktree], { cwd, okCodes: [128] });
  await rm(worktree, { recursive: true, force: true });
  await git(["worktree", "prune"], { cwd, okCodes: [128] });
  if (branch) await git(["branch", "-D", "--", branch], { cwd, okCodes: [1] });
}

/**
 * `wt create` of an id that already has a record: check it is healthy and complete what is
 * missing (env file, excludes). A create that died half-way (`creating`) is refused with a
 * hint to clean it up.
 */
async function completeExisting(
  session: Session,
  record: WorktreeRecord,
  warn: (m: string) => void,
  dryRun: boolean,
): Promise<CreateResult> {
  const { repo } = session;
  if (record.state === "creating") {
    throw new ConflictError(
      `worktree ${record.id} is incomplete: a create of it did not finish (pid ${record.pid})`,
      `run \`wt cleanup ${record.id}\` to remove what it made, then create it again`,
    );
  }
  // Before anything is written there: a folder swapped for a link to the main worktree would
  // have the env file merged into the main worktree's.
  if (!(await checkWorktreeRoot(record.path, repo.commonDir))) {
    throw new ConflictError(
      `worktree ${record.id} is recorded at ${record.path}, but that folder is gone`,
      `run \`wt cleanup ${record.id}\`, then create it again`,
    );
  }
  const vars = worktreeVariables(record, repo.mainPath);
  const plan = [
    `check worktree ${record.id} at ${record.path}`,
    `rewrite ${record.envFile} (${Object.keys(vars).length} variables)`,
    "restore its info/exclude entries",
    ...(record.state === "hooks-pending" ? ["run the postCreate hooks that have not succeeded yet"] : []),
  ];
  if (!dryRun) {
    await writeEnvFile(record.path, record.envFile, vars);
    await setExcludes(repo.commonDir, record.id, record.excludes);
  }
  for (const db of record.databases) {
    if ((await lstatOrNull(db.path)) === null)
      warn(`database ${db.path} is missing; run \`wt cleanup ${record.id}\` and create again to rebuild it`);
  }
  const head = (await gitOut(["rev-parse", "HEAD"], { cwd: record.path })).trim();
  return {
    ...(dryRun ? { dryRun: true, plan } : {}),
    id: record.id,
    name: record.name,
    branch: record.branch,
    path: record.path,
    base: record.base,
    head,
    created: false,
    slot: record.slot,
    ports: record.ports,
    envFile: path.join(record.path, record.envFile),
    included: record.included.map((e) => ({ path: e.path, mode: e.mode })),
    databases: record.databases,
    warnings: [],
  };
}

/**
 * Runs postCreate hooks (outside the repository lock: installs can take minutes) and marks
 * the record ready. A failing hook keeps the worktree; the next `wt create` runs them again.
 */
async function finishHooks(
  session: Session,
  record: WorktreeRecord,
  ctx: WtContext,
  { enabled, fresh }: { enabled: boolean; fresh: boolean },
  warn: (m: string) => void,
): Promise<void> {
  const { repo, config } = session;
  if (!enabled) {
    if (config.hooks.postCreate.length > 0) {
      if (!fresh) {
        // The hooks failed in an earlier run: skipping them now does not make them succeed.
        warn(
          `postCreate hooks skipped (--no-hooks); they have not succeeded yet and run on the next \`wt create ${record.id}\``,
        );
        return;
      }
      warn("postCreate hooks skipped (--no-hooks)");
    }
  } else {
    // The hooks run in the folder (an install, a migration): never in a swapped-in link.
    await checkWorktreeRoot(record.path, repo.commonDir);
    await runHooks(config.hooks.postCreate, {
      cwd: record.path,
      vars: worktreeVariables(record, repo.mainPath),
      output: ctx.output ?? null,
      signal: ctx.signal,
      label: "postCreate hook",
    });
  }
  // Under the lock, and only if the record is still this worktree's: a cleanup may have run
  // while the hooks did.
  await withRepoLock(
    repo.stateDir,
    { timeoutMs: lockTimeoutMs(ctx.env), onWarning: warn, onWait: ctx.onNotice, purpose: `wt create ${record.id}` },
    async () => {
      const current = await readRecord(repo.stateDir, record.id);
      if (current?.path !== record.path) return;
      current.state = "ready";
      await writeRecord(repo.stateDir, current);
      record.state = "ready";
    },
  );
}
