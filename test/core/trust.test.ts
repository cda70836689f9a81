import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupWorktrees, createWorktree, trustRepository, UntrustedError, type WtContext } from "../../src/index.js";
import { branchExists, GIT_ENV, makeRepo, type TestRepo } from "../helpers/repo.js";

/**
 * The trust gate through the library: core asks only through `ctx.confirm` and reads the store
 * from `ctx.env`'s XDG_STATE_HOME (ports 494xx).
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setUp(): { repo: TestRepo; ctx: (extra?: Partial<WtContext>) => WtContext } {
  const repo = makeRepo();
  const state = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-trust-core-")));
  cleanups.push(
    () => repo.remove(),
    () => rmSync(state, { recursive: true, force: true }),
  );
  repo.write(
    "wt.config.json",
    JSON.stringify({
      ports: { PORT: 49400 },
      hooks: { postCreate: ['touch "$WT_MAIN/../post-$WT_ID"'], postCleanup: ['touch "$WT_MAIN/../gone-$WT_ID"'] },
    }),
  );
  repo.commitAll("config");
  const ctx = (extra: Partial<WtContext> = {}): WtContext => ({
    cwd: repo.main,
    env: { PATH: process.env.PATH, ...GIT_ENV, XDG_STATE_HOME: state },
    output: null,
    ...extra,
  });
  return { repo, ctx };
}

describe("requireTrust through the library", () => {
  it("no confirm callback: UntrustedError (exit 2) before anything is made; a no from confirm too", async () => {
    const { repo, ctx } = setUp();
    const refused = createWorktree(ctx(), { id: "1" });
    await expect(refused).rejects.toBeInstanceOf(UntrustedError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2, code: "untrusted" });
    const asked: string[] = [];
    const no = ctx({
      confirm: async (q) => {
        asked.push(q);
        return false;
      },
    });
    await expect(createWorktree(no, { id: "1" })).rejects.toMatchObject({ code: "untrusted" });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('hooks.postCreate[0]: touch "$WT_MAIN/../post-$WT_ID"');
    expect(asked[0]).toContain("hooks.postCleanup[0]");
    expect(branchExists(repo.main, "feature/issue-1")).toBe(false);
    expect(existsSync(path.join(repo.root, "post-1"))).toBe(false);
  });

  it("a yes records the trust: later runs (create, cleanup) are not asked", async () => {
    const { repo, ctx } = setUp();
    const made = await createWorktree(ctx({ confirm: async () => true }), { id: "1" });
    expect(existsSync(path.join(repo.root, "post-1"))).toBe(true);
    const status = await trustRepository(ctx(), "show");
    expect(status).toMatchObject({ trusted: true, main: repo.main });
    const never = ctx({
      confirm: async () => {
        throw new Error("asked although trusted");
      },
    });
    const removed = await cleanupWorktrees(never, { ids: ["1"] });
    expect(removed.removed.map((r) => r.path)).toEqual([made.path]);
    expect(existsSync(path.join(repo.root, "gone-1"))).toBe(true);
  });
});
