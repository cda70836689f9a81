import { rm, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { deleteBranch, revParseHead } from "../git/refs.js";
import { addWorktree, type GitAt, pruneWorktrees, removeWorktree, unlockWorktree } from "../git/worktree.js";
import type { WtContext } from "./context.js";
import { type CopyManifest, MANIFEST_FILE_LIMIT, scanCopiedFolder, writeCopyManifest } from "./copy-manifest.js";
import { createLockReason } from "./create-lock.js";
import type { NewPlan, NewWorktree } from "./create-plan.js";
import { type DatabasePlan, provisionDatabase, unprovisionDatabase } from "./databases.js";
import { type Variables, writeEnvFile } from "./envfile.js";
import { removeExcludes, setExcludes } from "./exclude.js";
import { checkWorktreeRoot } from "./fs-safe.js";
import { runShellCommand } from "./hooks.js";
import { bringEntry, fingerprintFile, type IncludePlanEntry } from "./include.js";
import { gitAt, type Session } from "./session.js";
import { deleteRecord, writeRecord } from "./state.js";
import type { Step } from "./steps/step.js";

/** What the steps of a new worktree hand back once they ran: the new HEAD. */
export interface NewOutcome {
  head: string;
}

/**
 * The steps of a new worktree, in order: record, info/exclude, `git worktree add`, each include,
 * the copy manifest, the env file, each database (and its init), mark ready. Every step after
 * the add first checks that the folder is still the worktree git made (`guardRoot`).
 */
export function newSteps(session: Session, ctx: WtContext, w: NewWorktree, plan: NewPlan, out: NewOutcome): Step[] {
  const { repo } = session;
  const { record } = plan;
  const worktree = record.path;
  const manifest: CopyManifest = { version: 1, createdAt: record.createdAt, folders: {} };
  const inFolder: Step[] = [
    ...plan.includes.map((entry) => includeStep(session, ctx, plan, entry, manifest, w.warn)),
    ...(plan.includes.some((e) => e.mode === "copy" && e.isDirectory)
      ? [
          {
            kind: "manifest" as const,
            title: "record what was copied, file by file (for cleanup's edited-copy check)",
            // Removed with the record (deleteRecord), also by a rollback.
            run: () => writeCopyManifest(repo.stateDir, record.id, manifest),
          },
        ]
      : []),
    {
      kind: "write-env",
      title: `write ${record.envFile} (${Object.keys(plan.vars).length} variables)`,
      detail: { file: path.join(worktree, record.envFile) },
      run: async () => {
        await writeEnvFile(worktree, record.envFile, plan.vars);
      },
    },
    ...plan.databases.flatMap((db, i) => databaseSteps(db, i, w, plan.vars, ctx)),
    {
      kind: "mark-ready",
      title: "mark the worktree ready",
      run: async () => {
        out.head = await revParseHead(gitAt(session, worktree));
        record.state = "hooks-pending";
        record.pid = process.pid;
        await writeRecord(repo.stateDir, record);
        await unlockWorktree(gitAt(session), worktree);
      },
    },
  ];
  return [
    ...recordSteps(session, plan),
    addStep(session, ctx, plan),
    ...inFolder.map((s) => guardRoot(s, session, worktree)),
  ];
}

function formatPorts(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** The record (slot and ports) and the info/exclude block, each undone by removing it. */
function recordSteps(session: Session, plan: NewPlan): Step[] {
  const { repo } = session;
  const { record } = plan;
  return [
    {
      kind: "record",
      title: `record worktree ${record.id} (slot ${record.slot}: ${formatPorts(record.ports)})`,
      detail: { slot: record.slot, ports: record.ports },
      run: () => writeRecord(repo.stateDir, record),
      undo: () => deleteRecord(repo.stateDir, record.id),
    },
    {
      kind: "excludes",
      title: `keep wt's files out of git status (${record.excludes.length} entries in info/exclude)`,
      detail: { patterns: record.excludes },
      run: () => setExcludes(repo.commonDir, record.id, record.excludes),
      undo: () => removeExcludes(repo.commonDir, record.id),
    },
  ];
}

/** `git worktree add`, undone by removing the worktree, the branch it made and the parents it made. */
function addStep(session: Session, ctx: WtContext, plan: NewPlan): Step {
  const { record, how } = plan;
  const folder = record.path;
  const title =
    how.kind === "existing"
      ? `add worktree ${folder} on the existing branch ${how.branch}`
      : how.kind === "track"
        ? `add worktree ${folder} with new branch ${how.branch} tracking origin/${how.branch}`
        : `add worktree ${folder} with new branch ${how.branch} at ${record.base} (${plan.baseCommit.slice(0, 8)})`;
  const at = gitAt(session, session.repo.mainPath, ctx.signal);
  return {
    kind: "add-worktree",
    title,
    detail: { path: folder, branch: how.branch, source: how.kind },
    run: () => addWorktree(at, folder, how, createLockReason(process.pid)),
    undo: async () => {
      await removeWorktreeAndBranch(gitAt(session), folder, record.createdBranch ? record.branch : null);
      await removeEmptyParents(path.dirname(folder), plan.madeParents);
    },
  };
}

/** Copies or links one `.worktreeinclude` entry and records it (with a fingerprint for copied files). */
function includeStep(
  session: Session,
  ctx: WtContext,
  plan: NewPlan,
  entry: IncludePlanEntry,
  manifest: CopyManifest,
  warn: (m: string) => void,
): Step {
  const { repo, config } = session;
  const { record } = plan;
  const worktree = record.path;
  return {
    kind: entry.mode === "symlink" ? "link" : "copy",
    title: `${entry.mode === "symlink" ? "link" : "copy"} ${entry.path}${entry.isDirectory ? "/" : ""}`,
    detail: { path: entry.path },
    run: async () => {
      const startedMs = Date.now();
      if (!(await bringEntry(repo.mainPath, worktree, entry, ctx.signal))) {
        warn(`not bringing ${entry.path}: the branch already has it (the branch's own content wins)`);
        return;
      }
      const copy = entry.mode === "copy";
      const fingerprint =
        copy && !entry.isDirectory && entry.path !== config.envFile
          ? await fingerprintFile(path.join(worktree, entry.path))
          : undefined;
      record.included.push({
        path: entry.path,
        mode: entry.mode,
        ...(fingerprint ? { fingerprint } : {}),
        ...(copy && entry.isDirectory ? { copiedAtMs: startedMs } : {}),
      });
      if (copy && entry.isDirectory) await addToManifest(manifest, worktree, entry.path);
    },
    undo: async () => {
      // Links first, and never followed: the main worktree's node_modules is at stake.
      if (entry.mode === "symlink") await unlink(path.join(worktree, entry.path)).catch(() => {});
    },
  };
}

/**
 * `step`, its run and its undo each first checking that `worktree` is still the folder git
 * registered (`checkWorktreeRoot`): an undo that unlinks `<worktree>/.env` must not unlink the
 * main worktree's through a swapped-in link (the executor reports the refused undo).
 */
function guardRoot(step: Step, session: Session, worktree: string): Step {
  const { run, undo } = step;
  const check = () => checkWorktreeRoot(worktree, session.repo.commonDir);
  return {
    ...step,
    run: async () => {
      await check();
      await run();
    },
    ...(undo
      ? {
          undo: async () => {
            await check();
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
  const steps: Step[] = [
    {
      kind: "database",
      title: `${db.template ? `copy ${db.engine} template ${db.template} to` : `create empty ${db.engine} database`} ${db.path}`,
      detail: { engine: db.engine, path: db.path, template: db.template },
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
      kind: "init",
      title: `run init for ${path.basename(db.path)}: ${command}`,
      detail: { command },
      run: () =>
        runShellCommand(command, {
          cwd: w.worktree,
          env: ctx.env,
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
 * Adds the files of a folder just copied into the worktree to `manifest`, unless that would
 * take it over `MANIFEST_FILE_LIMIT` (then cleanup compares that folder by times only).
 */
async function addToManifest(manifest: CopyManifest, worktree: string, rel: string): Promise<void> {
  const held = Object.values(manifest.folders).reduce((n, f) => n + f.length, 0);
  const files = await scanCopiedFolder(path.join(worktree, rel), MANIFEST_FILE_LIMIT - held);
  if (files !== null) manifest.folders[rel] = files;
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
 * Rollback of `git worktree add`: unregisters and deletes the folder (after unlinking any
 * symlink wt made, so nothing is followed), and deletes the branch when this run made it.
 */
async function removeWorktreeAndBranch(at: GitAt, worktree: string, branch: string | null): Promise<void> {
  await removeWorktree(at, worktree, { locked: true, tolerant: true });
  await rm(worktree, { recursive: true, force: true });
  await pruneWorktrees(at);
  if (branch) await deleteBranch(at, branch, { tolerant: true });
}
