import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import {
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  WT_BIN,
  type WtRun,
  worktreePaths,
  wtEnv,
  wtJson,
} from "../helpers/repo.js";

/**
 * The trust gate in `wt merge` (hooks.preMerge) and `wt hook claude-create` (postCreate through
 * create): refused before anything moves or is made (ports 495xx).
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setUp(config: object): { repo: TestRepo; env: Record<string, string> } {
  const repo = makeRepo({ files: { "wt.config.json": JSON.stringify({ fetch: false, ...config }) } });
  const state = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-trust-agents-")));
  cleanups.push(
    () => repo.remove(),
    () => rmSync(state, { recursive: true, force: true }),
  );
  return { repo, env: { XDG_STATE_HOME: state } };
}

/** The built wt with `input` on stdin (as Claude Code runs its hooks). */
function withStdin(cwd: string, args: string[], input: string, env: Record<string, string>): Promise<WtRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WT_BIN, ...args], { cwd, env: wtEnv(env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("trust gate: wt merge and wt hook claude-create", () => {
  it("wt merge with an untrusted hooks.preMerge is exit 2 and moves nothing; --no-hooks and --verify need no trust", async () => {
    const { repo, env } = setUp({ ports: { PORT: 49500 } });
    const mark = path.join(repo.root, "premerge-ran");
    repo.write(
      "wt.config.json",
      JSON.stringify({ fetch: false, ports: { PORT: 49500 }, hooks: { preMerge: [`touch '${mark}'`] } }),
    );
    repo.commitAll("preMerge");
    // No postCreate or init: create needs no trust.
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--json"], env);
    writeFileSync(path.join(made.path, "work.txt"), "work\n");
    gitSync(made.path, "add", "work.txt");
    gitSync(made.path, "commit", "-q", "-m", "work");
    const before = repo.git("rev-parse", "main");
    const refused = await runWt(repo.main, ["merge", "101", "--json"], env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(json<ErrorJson>(refused).error).toMatchObject({ code: "untrusted" });
    expect(json<ErrorJson>(refused).error.hint).toContain("wt trust");
    expect(refused.stderr).toContain("hooks.preMerge[0]");
    expect(repo.git("rev-parse", "main")).toBe(before);
    expect(existsSync(mark)).toBe(false);
    expect((await runWt(repo.main, ["merge", "101", "--dry-run"], env)).code).toBe(2);

    const verified = path.join(repo.root, "verify-ran");
    const run = await runWt(repo.main, ["merge", "101", "--no-hooks", "--verify", `touch '${verified}'`], env);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(verified)).toBe(true);
    expect(existsSync(mark)).toBe(false);
    expect(repo.git("rev-parse", "main")).not.toBe(before);
  });

  it("wt hook claude-create in an untrusted repository: exit 2 naming wt trust, nothing on stdout, nothing made", async () => {
    const { repo, env } = setUp({ ports: { PORT: 49510 }, hooks: { postCreate: ['touch "$WT_MAIN/../post-$WT_ID"'] } });
    const payload = JSON.stringify({
      session_id: "s",
      cwd: repo.main,
      hook_event_name: "WorktreeCreate",
      name: "bold-oak",
    });
    const refused = await withStdin(repo.main, ["hook", "claude-create"], payload, env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("wt trust");
    expect(worktreePaths(repo.main)).toHaveLength(1);
    expect(existsSync(path.join(repo.root, "post-bold-oak"))).toBe(false);

    const trusted = await withStdin(repo.main, ["hook", "claude-create"], payload, { ...env, WT_TRUST: "1" });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stdout.trim().split("\n")).toHaveLength(1);
    expect(existsSync(path.join(repo.root, "post-bold-oak"))).toBe(true);
  });
});
