import type { Session } from "../session.js";
import { claimPorts, releasePorts, userStateDir } from "../slot-registry.js";
import { deleteRecord, type WorktreeRecord, writeRecord } from "../state.js";
import type { Provisioner } from "./types.js";

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
 * also claimed in the machine-wide registry (`slot-registry.ts`) and released with it.
 */
export const recordProvisioner: Provisioner = {
  name: "record",
  inFolder: false,
  apply: ({ session, plan: { record } }) => [
    {
      kind: "record",
      title: `record worktree ${record.id} (slot ${record.slot}: ${formatPorts(record.ports)})`,
      detail: { slot: record.slot, ports: record.ports },
      run: async () => {
        await writeRecord(session.repo.stateDir, record);
        if (session.config.portScope === "machine")
          await claimPorts(machineDir(session), holder(session, record), record.ports);
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
