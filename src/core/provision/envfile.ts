import path from "node:path";
import { writeEnvFile } from "../envfile.js";
import { writeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import type { Provisioner } from "./types.js";

/**
 * The env file (`envFile`, default `.env.local`): the worktree's variables, merged into what
 * the branch or an include put there. A re-create writes the config's current `env` entries
 * into the record and the file.
 */
export const envFileProvisioner: Provisioner = {
  name: "envfile",
  inFolder: true,
  owned: (source) => [path.posix.normalize(source.envFile.replace(/\\/g, "/"))],
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
