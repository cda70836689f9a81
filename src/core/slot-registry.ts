import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeAtomic } from "./atomic.js";
import { BusyError } from "./errors.js";
import { withRepoLock } from "./lock.js";
import { processAlive, procStat } from "./process.js";
import { readRecord } from "./state.js";

/**
 * The machine-wide port registry (issue 14, item 4): which repository's worktree holds each
 * port, so that `wt create 101` in two repositories does not give both `PORT=3101`. One JSON
 * file in the user's state, `$XDG_STATE_HOME/wt/slots.json` (XDG Base Directory spec; default
 * `~/.local/state/wt`), written by temp file + rename under a lock of the same kind as the
 * repository lock (`lock.ts`, in `<state>/wt/slots-lock/`). It records actual ports, not slot
 * numbers: two repositories with different port bases share nothing.
 */

/** One port held by a worktree of some repository. */
export interface SlotEntry {
  /** The repository's git common dir (absolute, real): its identity. */
  repo: string;
  id: string;
  /** The worktree folder. */
  path: string;
  /** The port's variable (`PORT`). */
  name: string;
  since: string;
  /**
   * The wt process that claimed the port: a create writes its record beside the claim
   * (`recordProvisioner`), so a missing record means a gone worktree only once it has ended.
   */
  pid?: number;
  /** That process's start time (`procStat`: clock ticks after boot), so a reused pid is not taken for it. */
  pidStart?: string;
}

interface RegistryFile {
  version: 1;
  /** Port (as a string) -> its holder. */
  ports: Record<string, SlotEntry>;
}

/** The folder of wt's per-user state: `$XDG_STATE_HOME/wt`, else `$HOME/.local/state/wt`. */
export function userStateDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : null;
  return path.join(base ?? path.join(env.HOME || os.homedir(), ".local", "state"), "wt");
}

const registryFile = (stateDir: string) => path.join(stateDir, "slots.json");

/** Reads the registry; a missing or unreadable file is an empty one (it is rebuilt as worktrees are made). */
export function readRegistry(stateDir: string): Record<string, SlotEntry> {
  try {
    const data = JSON.parse(readFileSync(registryFile(stateDir), "utf8")) as Partial<RegistryFile>;
    return data && typeof data.ports === "object" && data.ports !== null ? data.ports : {};
  } catch {
    return {};
  }
}

/**
 * True when the entry's worktree is gone: its repository no longer exists, or that
 * repository has no record of the id any more (cleaned up by a wt without the registry, or
 * the repository's state was deleted) and the wt that claimed the port has ended (while it
 * runs, its record may be on its way: the create writes it beside the claim). A stale entry
 * holds nothing.
 */
export async function isStale(entry: SlotEntry): Promise<boolean> {
  if (!existsSync(entry.repo)) return true;
  try {
    const record = await readRecord(path.join(entry.repo, "wt"), entry.id);
    if (record === null) return !claimerRuns(entry);
    return path.resolve(record.path) !== path.resolve(entry.path);
  } catch {
    return false;
  }
}

/** True while the wt that wrote `entry` runs: its pid is alive and, where /proc tells, started when it did. */
function claimerRuns(entry: SlotEntry): boolean {
  if (entry.pid === undefined || !processAlive(entry.pid)) return false;
  const now = procStat(entry.pid)?.start;
  return entry.pidStart === undefined || now === undefined || now === entry.pidStart;
}

/**
 * The ports other repositories' live worktrees hold: port -> a description of the holder
 * ("worktree 101 of /path/to/other/.git") for the warning of a create that moves off them.
 */
export async function foreignPorts(stateDir: string, repo: string): Promise<Map<number, string>> {
  const others = Object.entries(readRegistry(stateDir)).filter(([, entry]) => entry.repo !== repo);
  // Each entry's record is read side by side: one user's registry holds every repository's worktrees.
  const stale = await Promise.all(others.map(([, entry]) => isStale(entry)));
  const out = new Map<number, string>();
  for (const [i, [port, entry]] of others.entries()) {
    if (!stale[i]) out.set(Number(port), `worktree ${entry.id} of ${path.dirname(entry.repo)}`);
  }
  return out;
}

/** Runs `work` on the registry under its lock, and writes what it returns (unchanged: no write). */
async function update(
  stateDir: string,
  purpose: string,
  work: (ports: Record<string, SlotEntry>) => Promise<Record<string, SlotEntry> | null>,
): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await withRepoLock(path.join(stateDir, "slots-lock"), { timeoutMs: 10_000, purpose }, async (held) => {
    const next = await work(readRegistry(stateDir));
    if (next === null) return;
    held.throwIfLost();
    await writeAtomic(registryFile(stateDir), `${JSON.stringify({ version: 1, ports: next }, null, 2)}\n`);
  });
}

/**
 * Records that worktree `id` of `repo` holds `ports` (variable -> port).
 * @throws BusyError (exit 4, code `busy`) when another repository's live worktree took one of
 *   them since the slot was chosen (two creates at once): nothing is recorded, run it again.
 */
export async function claimPorts(
  stateDir: string,
  holder: { repo: string; id: string; path: string },
  ports: Readonly<Record<string, number>>,
): Promise<void> {
  const start = procStat(process.pid)?.start;
  const claimer = { pid: process.pid, ...(start !== undefined ? { pidStart: start } : {}) };
  await update(stateDir, `wt create ${holder.id}`, async (current) => {
    const next = { ...current };
    for (const [name, port] of Object.entries(ports)) {
      const other = current[String(port)];
      if (other && other.repo !== holder.repo && !(await isStale(other))) {
        throw new BusyError(
          `${name}=${port} was just taken by worktree ${other.id} of ${path.dirname(other.repo)}`,
          `run \`wt create ${holder.id}\` again: it picks another slot`,
        );
      }
      next[String(port)] = { ...holder, name, since: new Date().toISOString(), ...claimer };
    }
    return next;
  });
}

/** Removes the entries of worktree `id` of `repo` (cleanup, or a create's undo). Never throws for a missing file. */
export async function releasePorts(stateDir: string, repo: string, id: string): Promise<void> {
  if (!existsSync(registryFile(stateDir))) return;
  await update(stateDir, `wt cleanup ${id}`, async (current) => {
    const mine = Object.entries(current).filter(([, e]) => e.repo === repo && e.id.toLowerCase() === id.toLowerCase());
    if (mine.length === 0) return null;
    return Object.fromEntries(Object.entries(current).filter(([port]) => !mine.some(([p]) => p === port)));
  });
}

/** The stale entries (`isStale`), for `wt doctor`: port -> entry. */
export async function staleEntries(stateDir: string): Promise<[number, SlotEntry][]> {
  const out: [number, SlotEntry][] = [];
  for (const [port, entry] of Object.entries(readRegistry(stateDir))) {
    if (await isStale(entry)) out.push([Number(port), entry]);
  }
  return out;
}

/** Removes the given stale ports (re-checked under the lock: an entry made live again is kept). */
export async function dropStale(stateDir: string, ports: readonly number[]): Promise<void> {
  await update(stateDir, "wt doctor --fix", async (current) => {
    const next = { ...current };
    for (const port of ports) {
      const entry = next[String(port)];
      if (entry && (await isStale(entry))) delete next[String(port)];
    }
    return next;
  });
}
