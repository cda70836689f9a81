import path from "node:path";
import { revParseHead } from "../git/refs.js";
import { checkNotInProgress } from "./cleanup-guards.js";
import type { WtContext } from "./context.js";
import type { CreateResult } from "./create-plan.js";
import { checkValues, expandEnvEntries, worktreeVariables } from "./envfile.js";
import { IncompleteWorktreeError, WorktreeFolderGoneError } from "./errors.js";
import { checkWorktreeRoot } from "./fs-safe.js";
import { hookSteps } from "./provision/hooks.js";
import { completeSteps } from "./provision/index.js";
import { gitAt, type Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";
import type { Step } from "./steps/step.js";

/**
 * `wt create` of an id that already has a record (re-create): checks it, applies what changed
 * in the config that it can (the `env` entries, rewritten into the record and the env file),
 * restores its info/exclude entries, and warns about the drift it cannot fix in place (an
 * included file deleted since, a database entry new in the config, a database file gone).
 * @returns the steps to run (the same that `--dry-run` lists), then the postCreate hook steps
 *   of a record still `hooks-pending` (run outside the lock by the caller).
 * @throws IncompleteWorktreeError (exit 3) for a create or cleanup that died half-way;
 *   InProgressError (exit 4) while another wt removes it; WorktreeFolderGoneError (exit 3).
 */
export async function recreateSteps(
  session: Session,
  ctx: WtContext,
  record: WorktreeRecord,
  warn: (m: string) => void,
): Promise<{ steps: Step[]; hooks: Step[] }> {
  const { repo, config } = session;
  if (record.state === "creating") {
    throw new IncompleteWorktreeError(record.id, `a create of it did not finish (pid ${record.pid})`);
  }
  if (record.state === "removing") {
    checkNotInProgress(repo.stateDir, record);
    throw new IncompleteWorktreeError(record.id, `a cleanup of it did not finish (pid ${record.pid})`);
  }
  // Before anything is written there: a folder swapped for a link to the main worktree would
  // have the env file merged into the main worktree's.
  if (!(await checkWorktreeRoot(record.path, repo.commonDir)))
    throw new WorktreeFolderGoneError(record.id, record.path);
  const env = expandEnvEntries(config.env, worktreeVariables({ ...record, env: {} }, repo.mainPath));
  const vars = worktreeVariables({ ...record, env }, repo.mainPath);
  checkValues(vars);
  const steps: Step[] = [
    {
      kind: "check",
      title: `check worktree ${record.id} at ${record.path}`,
      run: async () => {
        await checkWorktreeRoot(record.path, repo.commonDir);
      },
    },
    ...(await completeSteps(record, { session, ctx, env, vars, warn })),
  ];
  const hooks =
    record.state === "hooks-pending"
      ? hookSteps("postCreate", config.hooks.postCreate, ctx, { cwd: record.path, vars })
      : [];
  return { steps, hooks };
}

/** The result of a re-create, from the record (`created: false`). */
export async function recreateResult(session: Session, record: WorktreeRecord): Promise<CreateResult> {
  return {
    id: record.id,
    name: record.name,
    branch: record.branch,
    path: record.path,
    base: record.base,
    head: await revParseHead(gitAt(session, record.path)),
    created: false,
    branchExisted: !record.createdBranch,
    slot: record.slot,
    ports: record.ports,
    envFile: path.join(record.path, record.envFile),
    included: record.included.map((e) => ({ path: e.path, mode: e.mode })),
    databases: record.databases,
    warnings: [],
  };
}
