import path from "node:path";
import { databaseEnvName } from "../config.js";
import type { WtContext } from "../context.js";
import {
  type DatabasePlan,
  planDatabases,
  provisionDatabase,
  removeDatabaseFiles,
  SIDECAR_SUFFIXES,
  unprovisionDatabase,
} from "../databases.js";
import type { Variables } from "../envfile.js";
import { checkPathLength } from "../fs-errors.js";
import { isInside, lstatOrNull, refusalInside } from "../fs-safe.js";
import { runShellCommand } from "../hooks.js";
import { gitAt } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import type { NewWorktree, OwnedSource, PlanScope, Provisioner, UntrackedTarget } from "./types.js";

/**
 * The databases of `databases[]`: each made empty or from its template, then its `init`; at
 * cleanup each deleted with its sidecars. Those inside the worktree, sidecars included, are
 * wt's own paths, and the start commit may not track the files themselves.
 */
export const databasesProvisioner: Provisioner = {
  name: "databases",
  inFolder: true,
  plan: planDatabasesPart,
  owned: (source) =>
    inWorktree(source).flatMap(({ rel }) => ["", ...SIDECAR_SUFFIXES].map((suffix) => `${rel}${suffix}`)),
  untracked: (source) => inWorktree(source),
  apply: ({ ctx, w, plan }) => plan.databases.flatMap((db, i) => databaseSteps(db, i, w, plan.vars, ctx)),
  complete: async (record, { session, warn }) => {
    const again = `run \`wt cleanup ${record.id}\` and create again`;
    for (const db of record.databases) {
      if ((await lstatOrNull(db.path)) === null) warn(`database ${db.path} is missing; ${again} to rebuild it`);
    }
    const known = new Set(record.databases.map((d) => d.env));
    for (const db of session.config.databases) {
      const env = databaseEnvName(db);
      if (!known.has(env)) warn(`database ${db.path} (${env}) is new in wt.config.json; ${again} to make it`);
    }
    return [];
  },
  teardown: (record, { warn }) =>
    record.databases.map(
      (d): Step => ({
        kind: "delete-database",
        title: `delete database ${d.path} and its sidecars`,
        run: () => deleteDatabase(record, d.path, warn),
      }),
    ),
};

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
      run: () => provisionDatabase(db, ctx.env, undefined, ctx.signal, ctx.onStepProgress),
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
          terminal: ctx.terminal,
          signal: ctx.signal,
          label: `init of ${db.path}`,
        }),
    });
  }
  return steps;
}

/**
 * A database inside the worktree is deleted only when no symlinked folder the branch has put
 * on the way since leads elsewhere (the folder itself goes with the worktree, links unfollowed).
 */
async function deleteDatabase(record: WorktreeRecord, file: string, warn: (m: string) => void): Promise<void> {
  if (isInside(record.path, file)) {
    const through = await refusalInside(record.path, file);
    if (through !== null) {
      warn(`${record.id}: not deleting ${file} separately: ${through}`);
      return;
    }
  }
  await removeDatabaseFiles(file);
}

/** The databases inside the worktree, worktree-relative (`/`-separated), as `untracked` names them. */
function inWorktree(source: OwnedSource): UntrackedTarget[] {
  return source.databases
    .filter((db) => isInside(source.path, db.path))
    .map((db) => ({
      rel: path.relative(source.path, db.path).split(path.sep).join("/"),
      what: `the database ${path.basename(db.path)}`,
    }));
}

/**
 * The databases' part of a plan (`planDatabases`: targets, templates, the engine packages
 * loaded), each path checked to fit the system, and the record's entries.
 * @throws as `planDatabases`; UsageError (exit 2) for a path too long (`checkPathLength`).
 */
async function planDatabasesPart({ session, ctx, w, plan }: PlanScope): Promise<void> {
  const { repo, config } = session;
  const main = gitAt(session, repo.mainPath, ctx.signal);
  plan.databases = await planDatabases(config.databases, main, w.worktree, w.values);
  for (const d of plan.databases) checkPathLength(d.path, `the database ${path.basename(d.path)}`);
  plan.record.databases = plan.databases.map((d) => ({
    engine: d.engine,
    path: d.path,
    env: d.env,
    source: d.template ? "template" : "empty",
  }));
}
