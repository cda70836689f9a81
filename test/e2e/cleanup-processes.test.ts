import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { json, makeRepo, runWt, type TestRepo, wtEnv, wtJson } from "../helpers/repo.js";

/**
 * `wt cleanup` of a worktree with live processes (issue 14): a real `sleep` standing in the
 * worktree and a real HTTP server on its port refuse it (exit 4, listed, nothing touched),
 * `--reap` stops them and removes it, `--force` leaves them, `--merged` skips it with code
 * `processes`. Port base 43000: this file's own (issue 101 -> 43101).
 */

let repo: TestRepo;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  repo?.remove();
});

async function setup(): Promise<string> {
  repo = makeRepo();
  repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 43000 } }));
  repo.commitAll("config");
  await wtJson(repo.main, ["create", "101", "--no-fetch", "--json"]);
  return path.join(repo.root, "app-worktrees", "issue-101");
}

/** Starts a real process and waits until it printed "ready". */
function start(cmd: string, args: string[], cwd: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd, env: wtEnv(), stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.on("data", (b: Buffer) => {
      if (b.toString().includes("ready")) resolve(child);
    });
  });
}

const sleeper = (folder: string) => start("sh", ["-c", "echo ready; exec sleep 300"], folder);
const server = (cwd: string) =>
  start(process.execPath, ["-e", "require('http').createServer().listen(43101, () => console.log('ready'))"], cwd);

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, sig) => resolve(sig ?? code)));
}

interface Refusal {
  error: { code: string; message: string; hint: string; processes: { pid: number; why: string[] }[] };
}

describe("wt cleanup with live processes", () => {
  it("refuses (exit 4) listing a sleep in the worktree and an HTTP server on its port, touching nothing", async () => {
    const folder = await setup();
    const sleep = await sleeper(folder);
    const http = await server(repo.root);
    for (const args of [
      ["cleanup", "101"],
      ["cleanup", "101", "--dry-run"],
    ]) {
      const run = await runWt(repo.main, [...args, "--json"]);
      expect(run.code, run.stderr).toBe(4);
      const err = json<Refusal>(run).error;
      expect(err.code).toBe("processes");
      const why = Object.fromEntries(err.processes.map((p) => [p.pid, p.why]));
      expect(why[sleep.pid as number]).toEqual(["cwd"]);
      expect(why[http.pid as number]).toEqual(["port:PORT=43101"]);
      expect(err.hint).toMatch(/--reap/);
    }
    const human = await runWt(repo.main, ["cleanup", "101"]);
    expect(human.code).toBe(4);
    expect(human.stderr).toContain(`${sleep.pid}  sleep 300  (cwd)`);
    expect(existsSync(folder)).toBe(true);
    const status = await wtJson<{ worktrees: { id: string; state: string }[] }>(repo.main, ["status", "--json"]);
    expect(status.worktrees.find((w) => w.id === "101")?.state).toBe("ok");
    expect(sleep.exitCode).toBeNull();
    expect(http.exitCode).toBeNull();
  });

  it("--reap stops the worktree's own (SIGTERM: started in it) and removes the worktree", async () => {
    const folder = await setup();
    const sleep = await sleeper(folder);
    const http = await server(folder);
    const run = await runWt(repo.main, ["cleanup", "101", "--reap", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ removed: { id: string }[] }>(run).removed.map((r) => r.id)).toEqual(["101"]);
    expect(await exited(sleep)).toBe("SIGTERM");
    expect(await exited(http)).toBe("SIGTERM");
    expect(existsSync(folder)).toBe(false);
  });

  it("--reap never stops a listener on its port started elsewhere (what wt doctor calls foreign): exit 4, nothing stopped", async () => {
    const folder = await setup();
    const sleep = await sleeper(folder);
    const http = await server(repo.root);
    const run = await runWt(repo.main, ["cleanup", "101", "--reap", "--json"]);
    expect(run.code, run.stderr).toBe(4);
    const err = json<Refusal>(run).error;
    expect(err.processes.map((p) => p.pid)).toEqual([http.pid]);
    expect(err.message).toContain("not started from it");
    expect(http.exitCode).toBeNull();
    expect(sleep.exitCode).toBeNull();
    expect(existsSync(folder)).toBe(true);
  });

  it("--force removes the worktree and leaves them running, warned; --all skips it with code processes", async () => {
    const folder = await setup();
    const sleep = await sleeper(folder);
    // --all, not --merged: a fresh worktree is never "merged" (no-commits), whatever runs in it.
    const merged = await runWt(repo.main, ["cleanup", "--all", "--json"]);
    expect(merged.code, merged.stderr).toBe(0);
    const doc = json<{ removed: unknown[]; skipped: { id: string; code: string }[] }>(merged);
    expect(doc.removed).toEqual([]);
    expect(doc.skipped).toEqual([expect.objectContaining({ id: "101", code: "processes" })]);
    expect(existsSync(folder)).toBe(true);

    const forced = await runWt(repo.main, ["cleanup", "101", "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(json<{ warnings: string[] }>(forced).warnings.join("\n")).toMatch(
      new RegExp(`leaving 1 live process\\(es\\) running because of --force: ${sleep.pid}`),
    );
    expect(existsSync(folder)).toBe(false);
    expect(sleep.exitCode).toBeNull();
  });
});
