import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { matchProcesses, protectedPids, snapshotProcesses } from "../../src/core/processes.js";

/** The process table as wt reads it on Linux (/proc), in full and by working directory only. */
let child: ChildProcess | null = null;
let dir: string | null = null;
afterEach(() => {
  child?.kill("SIGKILL");
  child = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe.runIf(existsSync("/proc/self/cwd"))("snapshotProcesses on /proc", () => {
  it('"cwd" finds a process by its working directory, as "full" does, without reading its command or environment', async () => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "wt-snap-")));
    child = spawn("sleep", ["30"], { cwd: dir, stdio: "ignore", env: { ...process.env, WT_ID: "snap", WT_MAIN: dir } });
    await new Promise((r) => setTimeout(r, 100));
    const pid = child.pid as number;
    const target = { id: "\0none", path: dir, main: dir, ports: {} };
    const [full, light] = [
      await snapshotProcesses(process.env, false),
      await snapshotProcesses(process.env, false, "cwd"),
    ];
    for (const snap of [full, light]) {
      expect(snap.processes.get(pid)?.cwd).toBe(dir);
      expect(snap.processes.get(pid)?.ppid).toBe(process.pid);
      expect(matchProcesses(snap, target, protectedPids(snap)).map((m) => m.pid)).toEqual([pid]);
    }
    expect(full.processes.get(pid)?.command).toBe("sleep 30");
    expect(full.processes.get(pid)?.env).toEqual({ WT_ID: "snap", WT_MAIN: dir });
    expect(light.processes.get(pid)).toMatchObject({ command: "", env: null, uid: null });
    // This process and its parents are in both, and protected in both.
    expect(protectedPids(light).has(process.pid)).toBe(true);
    expect(protectedPids(light).has(process.ppid)).toBe(true);
  });
});
