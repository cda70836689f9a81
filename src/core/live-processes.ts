import type { Env } from "../git/run.js";
import { LiveProcessesError } from "./errors.js";
import {
  matchProcesses,
  type ProcessMatch,
  protectedPids,
  snapshotProcesses,
  type WorktreeTarget,
} from "./processes.js";
import { type ReapOptions, reap } from "./reap.js";

/** What to do with a worktree's live processes before it is removed or released. */
export interface LiveProcessPolicy {
  /** Stop them: SIGTERM, a grace period, SIGKILL, a re-check (`reap`). */
  reap?: boolean;
  /** Go on and leave them running (warned). */
  force?: boolean;
  /** Plan only: never signal anything; `--reap` is warned about as what a real run would do. */
  dryRun?: boolean;
  warn: (message: string) => void;
  /** Reap timings (tests shorten the grace period). */
  reapOptions?: ReapOptions;
  /** The caller's environment (`session.env`): `ps`/`lsof` run with it where there is no `/proc`. */
  env: Env;
}

/** The processes of one worktree (`wt ps`'s three reasons), without wt and its ancestors. */
export async function findLiveProcesses(target: WorktreeTarget, env: Env): Promise<ProcessMatch[]> {
  return (await findLiveProcessesOfEach([target], env))[0] ?? [];
}

/**
 * `findLiveProcesses` of several worktrees from one read of the process table (on Linux,
 * synchronous reads of /proc: call it right after starting git processes, and it overlaps
 * with them).
 */
export async function findLiveProcessesOfEach(targets: readonly WorktreeTarget[], env: Env): Promise<ProcessMatch[][]> {
  if (targets.length === 0) return [];
  const snapshot = await snapshotProcesses(
    env,
    targets.some((t) => Object.keys(t.ports).length > 0),
  );
  const skip = protectedPids(snapshot);
  return targets.map((t) => matchProcesses(snapshot, t, skip));
}

const row = (p: ProcessMatch) => ({ pid: p.pid, command: p.command, why: p.why });

/**
 * The one rule for a worktree about to lose its folder or its ports (`wt cleanup`, and
 * `wt release` of the pool; docs/contract.md, "Doctor, adopt, processes"): live processes whose
 * working directory is inside it, that carry its `WT_MAIN`+`WT_ID`, or that listen on its
 * ports refuse the operation before anything is touched, unless `policy.reap` stops them or
 * `policy.force` leaves them (warned). wt itself and its ancestors never count, and another
 * user's process is never signalled (`reap` refuses it). Call it under the repository lock,
 * after every other check, so a refusal elsewhere never follows a reap. `found`: the first
 * look, when the caller took it already (`findLiveProcessesOfEach`); a reap's re-check reads again.
 * @returns the processes left running (with `force`, or listed in a dry run with `reap`).
 * @throws LiveProcessesError (exit 4, code `processes`, `details.processes`) when some are
 *   live and neither flag is given, or when some outlived SIGKILL or belong to another user.
 */
export async function settleLiveProcesses(
  target: WorktreeTarget,
  policy: LiveProcessPolicy,
  found?: Promise<ProcessMatch[]>,
): Promise<ProcessMatch[]> {
  const live = await (found ?? findLiveProcesses(target, policy.env));
  if (live.length === 0) return [];
  if (policy.force) {
    policy.warn(
      `worktree ${target.id}: leaving ${live.length} live process(es) running because of --force: ${live.map((p) => `${p.pid} (${p.command.slice(0, 60)})`).join(", ")}`,
    );
    return live;
  }
  if (!policy.reap) throw new LiveProcessesError(target.id, live.map(row));
  const foreign = live.filter((p) => !p.reapable);
  if (foreign.length > 0) {
    throw new LiveProcessesError(
      target.id,
      foreign.map(row),
      `worktree ${target.id} has process(es) of another user, which wt never signals`,
      `ask their owner to stop them, or pass --force to leave them running; \`wt ps ${target.id}\` lists them`,
    );
  }
  // Held by a port alone (neither its folder nor its WT_ID): a server someone started
  // elsewhere that `wt doctor` calls foreign; --reap stops only the worktree's own.
  const portOnly = live.filter((p) => p.why.every((w) => w.startsWith("port:")));
  if (portOnly.length > 0) {
    throw new LiveProcessesError(
      target.id,
      portOnly.map(row),
      `worktree ${target.id}: process(es) listen on its ports but were not started from it (no working directory inside, no WT_ID): --reap stops only the worktree's own`,
      `stop them yourself if they are yours to stop, or pass --force to leave them running; \`wt ps ${target.id}\` lists them`,
    );
  }
  // After the refusals above: a dry run says what the real one would do.
  if (policy.dryRun) {
    policy.warn(`worktree ${target.id}: --reap would stop ${live.map((p) => p.pid).join(", ")}`);
    return live;
  }
  await reap(
    live.map((p) => p.pid),
    policy.env,
    policy.reapOptions,
  );
  // The re-check: what outlived SIGKILL, and what the reaped ones started meanwhile.
  const survivors = await findLiveProcesses(target, policy.env);
  if (survivors.length > 0) {
    throw new LiveProcessesError(
      target.id,
      survivors.map(row),
      `worktree ${target.id}: process(es) are still live after SIGTERM and SIGKILL`,
      `stop them by hand (\`wt ps ${target.id}\`), or pass --force to leave them running`,
    );
  }
  return [];
}
