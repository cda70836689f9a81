import path from "node:path";
import { type Finding, finding } from "./doctor-types.js";
import { dropStale, staleEntries, userStateDir } from "./slot-registry.js";

/**
 * The machine-wide port registry's stale entries (`slot-registry.ts`): ports recorded for a
 * worktree whose repository is gone, or whose repository no longer has its record. They hold
 * nothing (`wt create` already ignores them); `--fix` drops them, which loses nothing (it
 * re-checks each under the registry's lock).
 * @param env the caller's environment (`XDG_STATE_HOME`, `HOME`)
 */
export async function checkMachineSlots(env: Readonly<Record<string, string | undefined>>): Promise<Finding[]> {
  const dir = userStateDir(env);
  return (await staleEntries(dir)).map(([port, entry]) =>
    finding(
      {
        check: "stale-slot",
        severity: "warning",
        id: entry.id,
        path: entry.path,
        message: `the machine's port registry (${path.join(dir, "slots.json")}) records ${entry.name}=${port} for worktree ${entry.id} of ${path.dirname(entry.repo)}, which is gone`,
      },
      { commands: [`drop ${port} from ${path.join(dir, "slots.json")}`], run: () => dropStale(dir, [port]) },
    ),
  );
}
