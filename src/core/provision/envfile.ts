import path from "node:path";
import { checkValues, expandEnvEntries, worktreeVariables, writeEnvFile } from "../envfile.js";
import { writeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import type { PlanScope, Provisioner } from "./types.js";

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
  apply: ({ plan: { record, vars } }) => [
    {
      kind: "write-env",
      title: `write ${record.envFile} (${Object.keys(vars).length} variables)`,
      detail: { file: path.join(record.path, record.envFile) },
      run: async () => {
        await writeEnvFile(record.path, record.envFile, vars);
      },
    },
  ],
  complete: async (record, { session, env, vars }) => {
    const steps: Step[] = [];
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
        await writeEnvFile(record.path, record.envFile, vars);
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
