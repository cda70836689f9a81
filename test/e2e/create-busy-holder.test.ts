import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { json, makeRepo, runWt, type TestRepo, wtEnv } from "../helpers/repo.js";

/**
 * A create that moves off a busy slot names the process holding the port when it can
 * (issue 14): "PORT=42601 is in use by pid 4242 (node -e ...)". Port base 42600.
 */

let repo: TestRepo;
let server: ChildProcess | undefined;
afterEach(() => {
  server?.kill("SIGKILL");
  repo?.remove();
});

describe("wt create off a busy slot", () => {
  it("names the pid and command of the real HTTP server listening on the preferred slot's port", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 42600 }, portSlots: 50 }));
    repo.commitAll("config");
    const child = spawn(
      process.execPath,
      ["-e", "require('http').createServer().listen(42601, () => console.log('ready'))"],
      { cwd: repo.root, env: wtEnv(), stdio: ["ignore", "pipe", "ignore"] },
    );
    server = child;
    await new Promise<void>((resolve) => child.stdout?.on("data", (b: Buffer) => b.includes("ready") && resolve()));
    const run = await runWt(repo.main, ["create", "1", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ ports: Record<string, number> }>(run).ports).toEqual({ PORT: 42602 });
    expect(run.stderr).toMatch(
      new RegExp(`using port slot 2 instead of 1 \\(slot 1: PORT=42601 is in use by pid ${child.pid} \\(.*node.*-e`),
    );
  });
});
