import { readFileSync } from "node:fs";

/**
 * What wt can tell about another process by its id: whether it runs, its state and when it
 * started. Used to tell a live create, cleanup or lock holder from one that died.
 */

/** True when a process with this id exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * State letter and start time (clock ticks after boot) of `pid` from `/proc/<pid>/stat`
 * (proc(5): fields 3 and 22; the command name, field 2, is in parentheses and may hold
 * spaces, so fields are counted after its last `)`), or null where that file is unreadable.
 */
export function procStat(pid: number): { state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const start = fields[19];
    return state && start ? { state, start } : null;
  } catch {
    return null;
  }
}

/**
 * When process `pid` started (ms since the epoch), from Linux's /proc (`procStat`'s start in
 * clock ticks after boot, USER_HZ = 100; /proc/stat's `btime` is the boot time in seconds), or
 * null where /proc does not tell (macOS, BSD).
 */
export function processStartMs(pid: number): number | null {
  const ticks = Number(procStat(pid)?.start);
  try {
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return null;
    return btime * 1000 + ticks * 10;
  } catch {
    return null;
  }
}
