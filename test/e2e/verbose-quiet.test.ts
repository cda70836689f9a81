import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo, runWt, type TestRepo, wtEnv } from "../helpers/repo.js";

// Issue 13, item 6: `--verbose` and `-q` mean something on every command (docs/contract.md,
// "Messages, help and progress"). Ports 486xx are this file's.
let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

async function setup(): Promise<{ repo: TestRepo; folder: string }> {
  const r = makeRepo({ files: { "wt.config.json": JSON.stringify({ ports: { PORT: 48600 }, pool: { size: 1 } }) } });
  repo = r;
  const made = await runWt(r.main, ["create", "101", "--no-fetch", "-q"]);
  expect(made.code, made.stderr).toBe(0);
  return { repo: r, folder: made.stdout.trim() };
}

describe("--verbose", () => {
  it("names the git commands, the repository and the worktree an id resolved to, on stderr; stdout as without it", async () => {
    const { repo: r, folder } = await setup();
    for (const args of [
      ["status"],
      ["env", "issue-101"],
      ["doctor"],
      ["ps"],
      ["trust", "--show"],
      ["pool", "status"],
    ]) {
      const plain = await runWt(r.main, args);
      const verbose = await runWt(r.main, ["--verbose", ...args]);
      expect(verbose.code, args.join(" ")).toBe(plain.code);
      expect(verbose.stdout, args.join(" ")).toBe(plain.stdout);
      expect(plain.stderr, args.join(" ")).toBe("");
      expect(verbose.stderr, args.join(" ")).not.toBe("");
    }
    const status = await runWt(r.main, ["--verbose", "status"]);
    expect(status.stderr).toMatch(/^ {2}\$ git worktree list --porcelain -z {2}\(\d+ ms, in .+\)$/m);
    expect(status.stderr).toContain(`repository ${r.main};`);
    expect(status.stderr).toMatch(/full rows \(piped or --wide\); marked \*: /);
    const env = await runWt(r.main, ["--verbose", "env", "issue-101"]);
    expect(env.stderr).toContain(`worktree 101 (from "issue-101"): ${folder}`);
    const trust = await runWt(r.main, ["--verbose", "trust", "--show"]);
    expect(trust.stderr).toContain(`config ${r.main}/wt.config.json`);
    // A git command that fails says so with its exit code.
    expect(trust.stderr).toMatch(/\$ git config --get remote\.origin\.url {2}\(\d+ ms, exit 1, in /);
  });
});

describe("-q", () => {
  it("doctor: only problems, nothing when all is well; ps: the pids alone; pool status: the idle slots' paths", async () => {
    const { repo: r, folder } = await setup();
    expect((await runWt(r.main, ["doctor"])).stdout).toContain("no problems found");
    expect(await runWt(r.main, ["doctor", "-q"])).toMatchObject({ code: 0, stdout: "", stderr: "" });

    const sleeper = spawn("sh", ["-c", "echo ready; exec sleep 300"], {
      cwd: folder,
      env: wtEnv(),
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await new Promise((resolve) => sleeper.stdout?.once("data", resolve));
      expect((await runWt(r.main, ["ps", "-q", "101"])).stdout).toBe(`${sleeper.pid}\n`);
    } finally {
      sleeper.kill("SIGKILL");
    }

    expect((await runWt(r.main, ["pool", "fill", "-q"])).stdout).toBe("");
    const idle = (await runWt(r.main, ["pool", "status", "-q"])).stdout.split("\n").filter(Boolean);
    expect(idle).toHaveLength(1);
    expect((await runWt(r.main, ["pool", "status"])).stdout).toContain(idle[0] as string);
    expect(await runWt(r.main, ["trust", "-q"])).toMatchObject({ code: 0, stdout: "" });
  });

  it("a -q command still prints its errors", async () => {
    const { repo: r } = await setup();
    const run = await runWt(r.main, ["env", "-q", "nope"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^wt: /);
  });
});
