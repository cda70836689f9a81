import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createWorktree, type WtContext } from "../../src/index.js";
import { GIT_ENV, makeRepo, type TestRepo } from "../helpers/repo.js";

/**
 * Issue 11's race: a create that runs no postCreate hook must mark its record ready in the same
 * lock hold that made it, or a cleanup waiting for the lock gets it in between and refuses with
 * `in-progress`. The spy records, at the end of every hold of the repository lock, the state of
 * each record: that is what a waiting cleanup would read. Ports 45 3xx are this file's.
 */
const holds: { purpose: string; states: string[] }[] = [];

vi.mock("../../src/core/lock.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/core/lock.js")>();
  const { readRecords } = await import("../../src/core/state.js");
  return {
    ...real,
    withRepoLock: (stateDir: string, options: { purpose: string }, fn: (held: unknown) => Promise<unknown>) =>
      real.withRepoLock(stateDir, options as Parameters<typeof real.withRepoLock>[1], async (held) => {
        const result = await fn(held);
        // Only the repository's lock (<git-common-dir>/wt), not the machine-wide slot registry's.
        if (stateDir.endsWith(`${path.sep}wt`)) {
          const states = (await readRecords(stateDir)).map((r) => r.state);
          holds.push({ purpose: options.purpose, states });
        }
        return result;
      }),
  };
});

let repo: TestRepo;
afterEach(() => {
  repo?.remove();
  holds.length = 0;
});

function context(cwd: string): WtContext {
  // XDG_STATE_HOME: this file's temp user state (test/setup/state-home.ts), never the machine's.
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    XDG_STATE_HOME: process.env.XDG_STATE_HOME,
    ...GIT_ENV,
  };
  return { cwd, env, output: null, trust: true };
}

function configure(config: Record<string, unknown>): void {
  repo = makeRepo();
  repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45300 }, ...config }));
  repo.commitAll("config");
}

describe("wt create without postCreate hooks", () => {
  it("marks the record ready inside the one lock hold that made it", async () => {
    configure({});
    await createWorktree(context(repo.main), { id: "101" });
    expect(holds).toEqual([{ purpose: "wt create 101", states: ["ready"] }]);
  });

  it("with --no-hooks and hooks configured, a fresh create is ready in its one hold too", async () => {
    configure({ hooks: { postCreate: ["true"] } });
    await createWorktree(context(repo.main), { id: "102", hooks: false });
    expect(holds).toEqual([{ purpose: "wt create 102", states: ["ready"] }]);
  });

  it("with a postCreate hook, the record stays hooks-pending until the hook has run", async () => {
    configure({ hooks: { postCreate: ["true"] } });
    await createWorktree(context(repo.main), { id: "103" });
    expect(holds.map((h) => h.states)).toEqual([["hooks-pending"], ["ready"]]);
  });
});
