import { constants } from "node:fs";
import { copyFile, link, lstat, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Env, GitAt } from "../git/run.js";
import { type DatabaseConfig, databaseEngine, databaseEnvName, leavesWorktree } from "./config.js";
import type { StepProgress } from "./context.js";
import { countWhileCopying } from "./copy-progress.js";
import { writeDuckdb } from "./db/duckdb.js";
import { checkEngines } from "./db/engines.js";
import { writeSqlite } from "./db/sqlite.js";
import { resolveTemplate, templateSource } from "./db/template.js";
import { ConfigError, ConflictError, DatabasePathTakenError } from "./errors.js";
import { isInside, lstatOrNull, refusalInside, safeJoin } from "./fs-safe.js";
import { expandTemplate } from "./names.js";

/** One database `wt` will make for a worktree. */
export interface DatabasePlan {
  engine: "sqlite" | "duckdb";
  /** Absolute target path. */
  path: string;
  /**
   * The worktree when the target is inside it: the path is checked again for symlinked
   * folders right before the file is written, since the branch's checkout (which comes after
   * planning) may have put one on the way.
   */
  worktree: string | null;
  env: string;
  /**
   * Absolute template path in the main worktree as configured (a symlink there is not resolved
   * here: `provisionDatabase` copies the real file it leads to), or null for an empty database.
   */
  template: string | null;
  init: string | null;
  /** Set by `provisionDatabase` once the file is in place: what `unprovisionDatabase` may remove outside the worktree. */
  placed?: boolean;
}

/**
 * Sidecar files each engine keeps beside a database: SQLite's `-wal`, `-shm`, `-journal`
 * (https://sqlite.org/tempfiles.html) and DuckDB's `.wal`. A stale one at a new file's path
 * would be replayed onto it, so they are removed before a database is written, and with it.
 */
export const SIDECAR_SUFFIXES = ["-wal", "-shm", "-journal", ".wal"] as const;

/**
 * Resolves the config's `databases` for one new worktree: paths expanded ({repo} {id}
 * {name}), relative ones inside the worktree (checked for symlinked folders), templates in the
 * main worktree (`resolveTemplate`: the configured path must lie inside it and lead to a
 * regular file). A target outside the worktree must not be in the main worktree (wt writes
 * nothing there), must not be a template, and must not exist yet: wt never replaces a file it
 * did not make (its own stale sidecars aside), so two worktrees can never share one database.
 * @throws ConfigError (exit 2) for a target in the main worktree, a target that is a template,
 *   two entries with one target, a template outside the main worktree or one that is not a
 *   regular file; ConflictError (exit 3) for a missing template (code `template-missing`) or
 *   an outside target that already exists (code `conflict`); UsageError (exit 2, code
 *   `missing-package`) when a configured engine cannot load (`checkEngines`: before anything is made).
 */
export async function planDatabases(
  databases: readonly DatabaseConfig[],
  main: GitAt,
  worktree: string,
  values: { repo: string; id: string; name: string },
): Promise<DatabasePlan[]> {
  await checkEngines(databases, main.env);
  const mainPath = main.cwd;
  const plans: DatabasePlan[] = [];
  for (const [i, db] of databases.entries()) {
    const key = `databases[${i}].path`;
    const rel = expandTemplate(db.path, values, key);
    // Outside the worktree (absolute, or climbing out of it): the rules below, not safeJoin's.
    const outside = path.isAbsolute(rel) || leavesWorktree(rel);
    const target = outside ? path.resolve(worktree, rel) : await safeJoin(worktree, rel);
    const inWorktree = isInside(worktree, target);
    if (!inWorktree && isInside(mainPath, target)) {
      throw new ConfigError(
        `${key}: ${target} is inside the main worktree, where wt writes nothing`,
        "use a path relative to the worktree (data/agent-{name}.db) or one outside the main worktree",
      );
    }
    if (plans.some((p) => p.path === target)) {
      throw new ConfigError(`${key}: ${target} is also the path of an earlier database entry`);
    }
    if (!inWorktree && (await lstatOrNull(target)) !== null) {
      throw new DatabasePathTakenError(
        `a file already exists at the database path ${target} (${key}); wt never replaces a file it did not make`,
        "move that file away, or point the path elsewhere (with {repo} and {id} or {name} in it)",
      );
    }
    let template: string | null = null;
    if (db.template) {
      const templateKey = `databases[${i}].template`;
      template = await resolveTemplate(expandTemplate(db.template, values, templateKey), main, templateKey);
    }
    plans.push({
      engine: databaseEngine(db),
      path: target,
      worktree: inWorktree ? worktree : null,
      env: databaseEnvName(db),
      template,
      init: db.init ?? null,
    });
  }
  return plans;
}

/**
 * Undoes `provisionDatabase` (also when it stopped half-way): removes the file and its
 * sidecars, except where a folder on the way inside the worktree is a symlink, which wt never
 * goes through (then `provisionDatabase` refused before writing anything), and except outside
 * the worktree when this run did not place the file.
 */
export async function unprovisionDatabase(plan: DatabasePlan): Promise<void> {
  // Outside the worktree, a file this run did not place may be another repository's.
  if (plan.worktree === null && !plan.placed) return;
  if (plan.worktree !== null && (await refusalInside(plan.worktree, plan.path)) !== null) return;
  await removeDatabaseFiles(plan.path);
}

/** Removes a database file and its sidecars; missing files are fine. */
export async function removeDatabaseFiles(file: string): Promise<void> {
  await Promise.all([file, ...SIDECAR_SUFFIXES.map((s) => `${file}${s}`)].map((f) => rm(f, { force: true })));
}

/**
 * Writes the database of `plan`: a consistent copy of the template taken through the engine
 * (`writeSqlite`, `writeDuckdb`), or a valid empty database. The template is resolved again
 * here (`templateSource`: every symlink followed), and the engine opens and copies the real
 * file, so the worktree always gets a regular file with the template's content, never a link
 * to a shared file. Written under a temporary name in the same folder, then renamed into place
 * (inside the worktree) or linked there only if nothing is (outside it, see
 * `placeExclusively`); stale sidecars at the target are removed first.
 * @param env the caller's environment (`ctx.env`): the SQLite engine and the copy child's environment
 * @param busyTimeoutMs how long a SQLite template held by a writer is waited for
 * @param signal Ctrl-C: a copy running in a child process is stopped, then AbortError
 * @param report told the bytes written so far while a template is copied (the CLI's progress)
 * @throws BusyError (exit 4) when a writer holds the template so that no consistent copy can
 *   be taken; UsageError (exit 2) when the engine package is not installed; ConflictError
 *   (exit 3) when a folder on the way inside the worktree is a symlink, or the template went
 *   missing since planning; ConfigError (exit 2) when it is no longer a regular file.
 */
export async function provisionDatabase(
  plan: DatabasePlan,
  env: Env,
  busyTimeoutMs = 2000,
  signal?: AbortSignal,
  report?: (progress: StepProgress) => void,
): Promise<void> {
  // The checkout may have put a symlinked folder (committed by the branch) on the way.
  if (plan.worktree !== null) await safeJoin(plan.worktree, path.relative(plan.worktree, plan.path));
  const source = plan.template === null ? null : await templateSource(plan.template, "databases[].template");
  await mkdir(path.dirname(plan.path), { recursive: true });
  // Inside the new worktree the file is this create's alone; outside it only the sidecars of a
  // file that is not there are stale, and the file itself is never replaced (below).
  if (plan.worktree !== null) await removeDatabaseFiles(plan.path);
  else await removeSidecars(plan.path);
  const temp = path.join(path.dirname(plan.path), `.${path.basename(plan.path)}.wt-${process.pid}.tmp`);
  await removeDatabaseFiles(temp);
  // A template copy shows its bytes as they come (one file: no file count).
  const counter = countWhileCopying(temp, source === null || !report ? undefined : (p) => report({ bytes: p.bytes }));
  try {
    try {
      if (plan.engine === "sqlite") await writeSqlite(source, temp, { busyTimeoutMs, env, signal });
      else await writeDuckdb(source, temp);
    } finally {
      await counter.stop(true);
    }
    await refuseNonFile(temp, plan.template);
    if (plan.worktree !== null) await rename(temp, plan.path);
    else await placeExclusively(temp, plan.path);
    plan.placed = true;
  } finally {
    await removeDatabaseFiles(temp);
  }
}

/**
 * The copy must be a regular file: were the template swapped for a link between
 * `templateSource` and the copy, `cp -a` would have copied the link (the shared file again).
 * @throws ConflictError (exit 3)
 */
async function refuseNonFile(temp: string, template: string | null): Promise<void> {
  if ((await lstat(temp)).isFile()) return;
  throw new ConflictError(
    `the copy of the template ${template ?? ""} is not a regular file (was the template replaced by a symlink while wt copied it?)`,
    "run the command again",
  );
}

/**
 * Puts `temp` at `target` only if nothing is there: `link(2)` fails with EEXIST rather than
 * replace, where `rename(2)` would silently replace (another repository's create of the same
 * outside path, whose lock is not ours, may have won the race since planning); where the
 * filesystem has no hard links, an exclusive copy (COPYFILE_EXCL).
 * @throws DatabasePathTakenError (exit 3) when a file appeared at `target`
 */
async function placeExclusively(temp: string, target: string): Promise<void> {
  try {
    try {
      await link(temp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw e;
      await copyFile(temp, target, constants.COPYFILE_EXCL);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    throw new DatabasePathTakenError(
      `a file appeared at the database path ${target} while wt was making it (another repository's wt?); wt never replaces a file it did not make`,
      "give each repository its own path: put {repo} and {id} or {name} in databases[].path",
    );
  }
}

/** Removes the sidecars of `file` (not the file). */
async function removeSidecars(file: string): Promise<void> {
  await Promise.all(SIDECAR_SUFFIXES.map((s) => rm(`${file}${s}`, { force: true })));
}
