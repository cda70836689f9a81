import type { Env } from "../../git/run.js";
import { allocateSlot, isPortFree, portsForSlot } from "../ports.js";
import { listenersOf, protectedPids, snapshotProcesses } from "../processes.js";
import type { Session } from "../session.js";
import { claimPorts, foreignPorts, releasePorts, userStateDir } from "../slot-registry.js";
import { deleteRecord, type WorktreeRecord, writeRecord } from "../state.js";
import type { PlanScope, Provisioner } from "./types.js";

function formatPorts(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

const machineDir = (session: Session) => userStateDir(session.env);
const holder = (session: Session, record: WorktreeRecord) => ({
  repo: session.repo.commonDir,
  id: record.id,
  path: record.path,
});

/**
 * The worktree's record, which holds its port slot: written first (a rollback deletes it), and
 * deleted last by cleanup, which releases the slot. With `portScope: "machine"` its ports are
 * also claimed in the machine-wide registry (`slot-registry.ts`) and released with it. Its plan
 * allocates the slot (`allocateSlot`).
 */
export const recordProvisioner: Provisioner = {
  name: "record",
  inFolder: false,
  // The checkout's refusals (folder, branch, base) come before the slot's.
  planAfter: ["checkout"],
  plan: planSlot,
  apply: ({ session, plan: { record } }) => [
    {
      kind: "record",
      title: `record worktree ${record.id} (slot ${record.slot}: ${formatPorts(record.ports)})`,
      detail: { slot: record.slot, ports: record.ports },
      run: async () => {
        // Two files under two locks, written side by side; the undo deletes whichever was made.
        const machine =
          session.config.portScope === "machine"
            ? claimPorts(machineDir(session), holder(session, record), record.ports)
            : Promise.resolve();
        const [own, claimed] = await Promise.allSettled([writeRecord(session.repo.stateDir, record), machine]);
        if (own.status === "rejected") throw own.reason;
        if (claimed.status === "rejected") throw claimed.reason;
      },
      undo: async () => {
        await releasePorts(machineDir(session), session.repo.commonDir, record.id);
        await deleteRecord(session.repo.stateDir, record.id);
      },
    },
  ],
  teardown: (record, { session }) => [
    {
      kind: "release",
      title: "release its port slot and record",
      run: async () => {
        // Whatever the scope now: entries made while it was `machine` are released too.
        await releasePorts(machineDir(session), session.repo.commonDir, record.id);
        await deleteRecord(session.repo.stateDir, record.id);
      },
    },
  ],
};

/**
 * The record's part of a plan: a free port slot (the id's preferred one unless taken, in use,
 * or held elsewhere on the machine with `portScope: "machine"`), its ports, and a warning
 * naming why another slot was used.
 * @throws SlotsExhaustedError (exit 4), as `allocateSlot`.
 */
async function planSlot({ session, w, plan }: PlanScope): Promise<void> {
  plan.record.slot = await chooseSlot(session, w.id, w.records, w.warn);
  plan.record.ports = portsForSlot(session.config.ports, plan.record.slot);
}

/**
 * The port slot for `id` (the slot number; its ports are `portsForSlot`): as `planSlot`, with
 * `records` the repository's worktree records and `warn` told why another slot was used.
 * @throws SlotsExhaustedError (exit 4), as `allocateSlot`.
 */
export async function chooseSlot(
  session: Session,
  id: string,
  records: readonly WorktreeRecord[],
  warn: (m: string) => void,
): Promise<number> {
  const { config, repo } = session;
  const slot = await allocateSlot({
    id,
    ports: config.ports,
    portSlots: config.portSlots,
    taken: new Set(records.map((r) => r.slot)),
    isFree: isPortFree,
    heldElsewhere:
      config.portScope === "machine" ? await foreignPorts(userStateDir(session.env), repo.commonDir) : undefined,
    holderOf: (port) => portHolder(port, session.env),
  });
  if (slot.slot !== slot.preferred) {
    const why = slot.skipped.map((s) => `slot ${s.slot}: ${s.reason}`).join("; ");
    warn(`using port slot ${slot.slot} instead of ${slot.preferred} (${why})`);
  }
  return slot.slot;
}

/**
 * Who listens on `port`: "pid 4242 (node server.js)", from the process table (`processes.ts`),
 * or null when no visible process does (another user's, or another network namespace).
 */
export async function portHolder(port: number, env: Env): Promise<string | null> {
  const snapshot = await snapshotProcesses(env, true);
  const holders = listenersOf(snapshot, port, protectedPids(snapshot));
  if (holders.length === 0) return null;
  return holders.map((p) => `pid ${p.pid} (${p.command.slice(0, 80)})`).join(", ");
}
