import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PsResult } from "../../src/core/ps.js";
import { reap } from "../../src/core/reap.js";
import { json, makeRepo, runWt, type TestRepo, WT_BIN, wtEnv, wtJson } from "../helpers/repo.js";

/**
 * `wt ps` finds a worktree's processes three ways (cwd, WT_MAIN+WT_ID, its ports) on real
 * processes, never lists wt or its ancestors, and `reap` stops them (SIGKILL after the grace
 * for one that ignores SIGTERM). Port base 45000: this file's own (ps 45101, 45102).
 */

let repo: TestRepo;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  repo?.remove();
});

async function setup(): Promise<{ folder: string; main: string }> {
  repo = makeRepo();
  repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45000 } }));
  repo.commitAll("config");
  await wtJson(repo.main, ["create", "101", "--no-fetch", "--json"]);
  return { folder: path.join(repo.root, "app-worktrees", "issue-101"), main: realpathSync(repo.main) };
}

/** Starts a real process and waits until it printed "ready" (its handlers are set up by then). */
function start(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd, env: wtEnv(env), stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.on("data", (b: Buffer) => {
      if (b.toString().includes("ready")) resolve(child);
    });
  });
}

const nodeReady = (code: string) => [process.execPath, ["-e", `${code}; console.log("ready")`]] as const;

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, sig) => resolve(sig ?? code)));
}

/** `wt ps --json` run by a shell that stands in the worktree: both are wt and its ancestor. */
async function psFromShellIn(cwd: string, ...ids: string[]): Promise<{ doc: PsResult; shellPid: number }> {
  // `; :` keeps the shell from exec-ing node in its place, so it stays wt's parent.
  const script = `echo "shell $$" >&2; "${process.execPath}" "${WT_BIN}" ps ${ids.join(" ")} --json; :`;
  const child = spawn("sh", ["-c", script], { cwd, env: wtEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const code = await exited(child);
  expect(code, stderr).toBe(0);
  const shellPid = Number(/shell (\d+)/.exec(stderr)?.[1]);
  return { doc: json<PsResult>({ code: 0, signal: null, stdout, stderr }), shellPid };
}

describe("wt ps", () => {
  it("finds a sleep standing in the worktree, an HTTP server on its port and a process tagged WT_MAIN+WT_ID, each with its reason", async () => {
    const { folder, main } = await setup();
    const sleeper = await start("sh", ["-c", "echo ready; exec sleep 300"], folder);
    const [node, serverArgs] = nodeReady("require('http').createServer().listen(45101)");
    const server = await start(node, [...serverArgs], repo.root);
    const [node2, tagArgs] = nodeReady("setInterval(() => {}, 1000)");
    const tagged = await start(node2, [...tagArgs], repo.root, { WT_MAIN: main, WT_ID: "101" });
    const other = await start(node2, [...tagArgs], repo.root, { WT_MAIN: main, WT_ID: "102" });

    const { doc, shellPid } = await psFromShellIn(folder);
    const w = doc.worktrees.find((x) => x.id === "101");
    expect(w?.path).toBe(folder);
    const why = Object.fromEntries((w?.processes ?? []).map((p) => [p.pid, p.why]));
    expect(why[sleeper.pid as number]).toEqual(["cwd"]);
    expect(why[server.pid as number]).toEqual(["port:PORT=45101"]);
    expect(why[tagged.pid as number]).toEqual(["env"]);
    expect(why[other.pid as number]).toBeUndefined();
    // wt itself (cwd in the worktree), the shell that ran it (same) and this test never count.
    expect(Number.isInteger(shellPid)).toBe(true);
    expect(why[shellPid]).toBeUndefined();
    expect(why[process.pid]).toBeUndefined();
    expect(Object.keys(why)).toHaveLength(3);
    expect(w?.processes.every((p) => p.reapable && p.reason === null)).toBe(true);
    expect(w?.processes.find((p) => p.pid === sleeper.pid)?.command).toBe("sleep 300");
  });

  it("prints one line per process, and an unknown id is exit 3", async () => {
    const { folder } = await setup();
    const sleeper = await start("sh", ["-c", "echo ready; exec sleep 300"], folder);
    const human = await runWt(repo.main, ["ps", "101"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`\\b${sleeper.pid}\\s+cwd\\s+sleep 300`));
    const unknown = await runWt(repo.main, ["ps", "999", "--json"]);
    expect(unknown.code).toBe(3);
    expect(json<{ error: { code: string } }>(unknown).error.code).toBe("not-found");
  });
});

describe("reap", () => {
  it("SIGTERMs what wt ps found, SIGKILLs one that ignores SIGTERM after the grace, and re-checks", async () => {
    const { folder } = await setup();
    const sleeper = await start("sh", ["-c", "echo ready; exec sleep 300"], folder);
    const [node, args] = nodeReady(
      "process.on('SIGTERM', () => {}); process.chdir(process.argv[1]); setInterval(() => {}, 1000)",
    );
    const stubborn = await start(node, [...args, folder], repo.root);
    const doc = await wtJson<PsResult>(repo.main, ["ps", "101", "--json"]);
    const pids = doc.worktrees[0]?.processes.map((p) => p.pid) ?? [];
    expect(pids).toEqual(expect.arrayContaining([sleeper.pid, stubborn.pid]));

    const t0 = Date.now();
    const result = await reap(pids, process.env, { graceMs: 400 });
    expect(result.terminated).toContain(sleeper.pid);
    expect(result.killed).toEqual([stubborn.pid]);
    expect(result.survivors).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(await exited(sleeper)).toBe("SIGTERM");
    expect(await exited(stubborn)).toBe("SIGKILL");
    const after = await wtJson<PsResult>(repo.main, ["ps", "101", "--json"]);
    expect(after.worktrees[0]?.processes).toEqual([]);
  });

  it("never signals wt's own process or its ancestors, whatever it is given", async () => {
    const result = await reap([process.pid, process.ppid], process.env, { graceMs: 50 });
    expect(result.skipped).toEqual([
      { pid: process.pid, reason: "self" },
      { pid: process.ppid, reason: "ancestor" },
    ]);
    expect(result.terminated).toEqual([]);
    expect(result.killed).toEqual([]);
  });
});
