import { hostname } from "node:os";
import { procStat } from "./process.js";

/** Whether the owner of the repository lock still runs, and why wt thinks so. */
export interface OwnerState {
  pid: number | null;
  alive: boolean;
  stopped: boolean;
  /** Why it counts as gone, or where it runs. */
  why: string;
}

/**
 * The state of process `pid`, which took the lock at `start` (its `/proc` start time, or `-`
 * where unknown): gone when no such process exists, it is a zombie, or its pid now belongs to a
 * process started later; anything wt cannot check counts as alive.
 */
export function processState(pid: number, start: string): OwnerState {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH")
      return { pid, alive: false, stopped: false, why: "no such process" };
  }
  const stat = procStat(pid);
  if (stat === null) return { pid, alive: true, stopped: false, why: "running" };
  if (stat.state === "Z" || stat.state === "X")
    return { pid, alive: false, stopped: false, why: "the process has exited" };
  if (start !== "-" && stat.start !== start) {
    return { pid, alive: false, stopped: false, why: "its pid now belongs to another process" };
  }
  return { pid, alive: true, stopped: stat.state === "T" || stat.state === "t", why: "running" };
}

/** A short tag of this host's name: a lock from another host cannot be checked for liveness. */
export function hostTag(): string {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(hostname(), "utf8")) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
