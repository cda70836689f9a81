import { deleteRecord, writeRecord } from "../state.js";
import type { Provisioner } from "./types.js";

function formatPorts(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/**
 * The worktree's record, which holds its port slot: written first (a rollback deletes it), and
 * deleted last by cleanup, which releases the slot.
 */
export const recordProvisioner: Provisioner = {
  name: "record",
  inFolder: false,
  apply: ({ session, plan: { record } }) => [
    {
      kind: "record",
      title: `record worktree ${record.id} (slot ${record.slot}: ${formatPorts(record.ports)})`,
      detail: { slot: record.slot, ports: record.ports },
      run: () => writeRecord(session.repo.stateDir, record),
      undo: () => deleteRecord(session.repo.stateDir, record.id),
    },
  ],
  teardown: (record, { session }) => [
    {
      kind: "release",
      title: "release its port slot and record",
      run: () => deleteRecord(session.repo.stateDir, record.id),
    },
  ],
};
