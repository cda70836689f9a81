import { readFile } from "node:fs/promises";
import path from "node:path";
import { checkValues, expandEnvEntries, linesAddedToEnvFile, worktreeVariables, writeEnvFile } from "../envfile.js";
import { lstatOrNull, refusalInside } from "../fs-safe.js";
import { type WorktreeRecord, writeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import type { AuditReport, AuditScope, PlanScope, Provisioner } from "./types.js";

/**
 * The env file (`envFile`, default `.env.local`): the worktree's variables, merged into what
 * the branch or an include put there. A re-create writes the config's current `env` entries
 * into the record and the file. It plans after the databases, whose paths are among its variables.
 */
export const envFileProvisioner: Provisioner = {
  name: "envfile",
  inFolder: true,
  planAfter: ["record", "databases"],
  plan: planEnvFile,
  owned: (source) => [path.posix.normalize(source.envFile.replace(/\\/g, "/"))],
  untracked: (source) => [{ rel: source.envFile.split(path.sep).join("/"), what: "the env file (`envFile`)" }],
  audit: auditEnvFile,
  apply: ({ plan: { record, vars } }) => [
    {
      kind: "write-env",
      title: `write ${record.envFile} (${Object.keys(vars).length} variables)`,
      detail: { file: path.join(record.path, record.envFile) },
      run: async () => {
        record.envLines = (await writeEnvFile(record.path, record.envFile, vars)).lines;
      },
    },
  ],
  complete: async (record, { session, env, vars }) => {
    const steps: Step[] = [];
    // The lines of entries the config no longer has go too; the record's `envLines` stay as
    // they are, so that lines a user added since are still theirs.
    const dropped = Object.keys(record.env).filter((name) => !(name in env));
    if (JSON.stringify(env) !== JSON.stringify(record.env)) {
      steps.push({
        kind: "record",
        title: `record the env entries changed in wt.config.json (${Object.keys(env).length} entries)`,
        run: async () => {
          record.env = env;
          await writeRecord(session.repo.stateDir, record);
        },
      });
    }
    steps.push({
      kind: "write-env",
      title: `rewrite ${record.envFile} (${Object.keys(vars).length} variables)`,
      run: async () => {
        await writeEnvFile(record.path, record.envFile, vars, dropped);
      },
    });
    return steps;
  },
};

/**
 * The env file's part of a plan: the config's `env` entries expanded with wt's variables (the
 * record's), and the variables the file gets, refused before anything exists when the file
 * cannot hold one (a newline in a path).
 * @throws ConfigError (exit 2) for an unknown `${VAR}`; UsageError (exit 2) from `checkValues`.
 */
async function planEnvFile({ session, plan }: PlanScope): Promise<void> {
  const { record } = plan;
  const main = session.repo.mainPath;
  record.env = expandEnvEntries(session.config.env, worktreeVariables(record, main));
  plan.vars = worktreeVariables(record, main);
  checkValues(plan.vars);
}

/**
 * The env file's part of cleanup's report: the file counts as edited, and as the user's for
 * `cleanup.protect`, when it holds lines wt did not write nor find there (`linesAddedToEnvFile`
 * against the record's `envLines`): a user's or an agent's own keys, which deleting it loses.
 * A record of older wt without `envLines` expects none when no include brought the file, and
 * is not checked when one did; nor is a file reached through a symlinked folder.
 */
export async function auditEnvFile(record: WorktreeRecord, { session }: AuditScope): Promise<AuditReport> {
  const rel = record.envFile;
  const known = record.envLines ?? (record.included.some((e) => e.path === rel) ? null : []);
  if (known === null) return {};
  const file = path.join(record.path, rel);
  // Reached through a symlinked folder it is not wt's file, and nothing deletes it (`removeBelow`).
  if ((await refusalInside(record.path, file)) !== null || !(await lstatOrNull(file))?.isFile()) return {};
  const names = Object.keys(worktreeVariables(record, session.repo.mainPath));
  const added = linesAddedToEnvFile(await readFile(file, "utf8"), names, known);
  if (added === 0) return {};
  return { edited: [rel], userFile: (p) => p === rel };
}
