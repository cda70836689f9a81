import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { isInside } from "../fs-safe.js";

/**
 * The ids of processes whose working directory is inside `folder` (Linux: the `/proc/<pid>/cwd`
 * links, proc(5)); this process never counts. Where /proc is missing (macOS), none are found.
 *
 * The local stand-in for the process discovery of `wt ps` (src/core/processes.ts on main): a
 * claim must skip a slot a process still stands in, and a release must refuse (exit 4) while
 * one runs in the worktree.
 */
export function processesInside(folder: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  // The kernel names the real path.
  let real = folder;
  try {
    real = realpathSync(folder);
  } catch {
    return [];
  }
  const found: number[] = [];
  const mine = ancestors();
  for (const pid of pids) {
    if (mine.has(Number(pid))) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (isInside(real, cwd)) found.push(Number(pid));
    } catch {
      // Gone, or another user's: not ours to see.
    }
  }
  return found;
}

/**
 * This process and its ancestors (the shell that ran `wt release` from inside the worktree
 * never counts), from the ppid field of `/proc/<pid>/stat` (proc(5), field 4).
 */
function ancestors(): Set<number> {
  const found = new Set<number>([process.pid]);
  let pid = process.ppid;
  while (pid > 1 && !found.has(pid)) {
    found.add(pid);
    try {
      const text = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  return found;
}
