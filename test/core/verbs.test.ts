import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupWorktrees, createWorktree, getStatus, type WtContext } from "../../src/index.js";
import { GIT_ENV, makeRepo, type TestRepo } from "../helpers/repo.js";

/**
 * The verbs in-process, through the library API with a context of the caller's own: no
 * process.env, no process.cwd(). Each test's ports are its own (45xxx).
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

/** A library caller's context: its own environment (PATH and git's identity only) and folder. */
function context(cwd: string, env: Record<string, string>, progress: string[] = []): WtContext {
  return {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      XDG_STATE_HOME: process.env.XDG_STATE_HOME,
      ...GIT_ENV,
      ...env,
    },
    output: null,
    onProgress: (m) => progress.push(m),
  };
}

describe("library verbs", () => {
  it("ctx.env reaches postCreate hooks and the env file; a variable only in process.env does not", async () => {
    repo = makeRepo();
    repo.write(
      "wt.config.json",
      JSON.stringify({
        ports: { PORT: 45100 },
        hooks: { postCreate: ['printf "%s|%s" "$FROM_CTX" "$ONLY_IN_PROCESS" > seen.txt'] },
      }),
    );
    repo.commitAll("config");
    process.env.ONLY_IN_PROCESS = "leaked";
    try {
      const result = await createWorktree(
        { ...context(repo.main, { FROM_CTX: "from-ctx" }), trust: true },
        {
          id: "101",
        },
      );
      expect(readFileSync(path.join(result.path, "seen.txt"), "utf8")).toBe("from-ctx|");
    } finally {
      delete process.env.ONLY_IN_PROCESS;
    }
  });

  it("ctx.env reaches git: a core.hooksPath only ctx.env sets runs git's post-checkout; one only in process.env does not", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45200 } }));
    repo.commitAll("config");
    const hooks = path.join(repo.root, "git-hooks");
    mkdirSync(hooks);
    // `git worktree add` runs post-checkout (githooks(5)); it tells which create it ran for.
    writeFileSync(path.join(hooks, "post-checkout"), '#!/bin/sh\ntouch "$(dirname "$0")/ran-$WT_TEST_MARK"\n', {
      mode: 0o755,
    });
    // git-config(1): GIT_CONFIG_COUNT / GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n>.
    const config = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "core.hooksPath", GIT_CONFIG_VALUE_0: hooks };
    await createWorktree(context(repo.main, { ...config, WT_TEST_MARK: "ctx" }), { id: "101" });
    expect(existsSync(path.join(hooks, "ran-ctx"))).toBe(true);
    Object.assign(process.env, config, { WT_TEST_MARK: "process" });
    try {
      await createWorktree(context(repo.main, {}), { id: "102" });
    } finally {
      for (const k of [...Object.keys(config), "WT_TEST_MARK"]) delete process.env[k];
    }
    expect(existsSync(path.join(hooks, "ran-process"))).toBe(false);
  });

  it("create, re-create, status and cleanup run as steps named through onProgress", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45300 }, env: { A: "1" } }));
    repo.commitAll("config");
    const made: string[] = [];
    const created = await createWorktree(context(repo.main, {}, made), { id: "101" });
    expect(created.created).toBe(true);
    expect(made[0]).toMatch(/^record worktree 101/);
    expect(made).toContain("mark the worktree ready");

    // A new env entry is applied by the re-create, into the env file.
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45300 }, env: { A: "1", B: "2" } }));
    const again: string[] = [];
    const dry = await createWorktree(context(repo.main, {}), { id: "101", dryRun: true });
    const second = await createWorktree(context(repo.main, {}, again), { id: "101" });
    expect(second.created).toBe(false);
    expect(again).toEqual(dry.plan);
    expect(again[0]).toBe(`check worktree 101 at ${created.path}`);
    expect(readFileSync(created.envFile, "utf8")).toMatch(/^B=2$/m);

    const status = await getStatus(context(repo.main, {}), ["101"]);
    expect(status.worktrees[0]?.state).toBe("ok");

    const planned = await cleanupWorktrees(context(repo.main, {}), { ids: ["101"], dryRun: true });
    const removed: string[] = [];
    const done = await cleanupWorktrees(context(repo.main, {}, removed), { ids: ["101"] });
    expect(removed).toEqual(planned.removed[0]?.plan);
    expect(done.removed.map((r) => r.id)).toEqual(["101"]);
    expect(existsSync(created.path)).toBe(false);
  });

  it("re-create names the drift it cannot fix: an included file deleted since, a new database entry", async () => {
    repo = makeRepo();
    repo.write(".gitignore", "fixtures/\n");
    repo.write(".worktreeinclude", "fixtures/\n");
    repo.write("fixtures/seed.csv", "a\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45400 } }));
    repo.commitAll("config");
    const created = await createWorktree(context(repo.main, {}), { id: "101" });
    rmSync(path.join(created.path, "fixtures"), { recursive: true });
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45400 }, databases: [{ path: "data/app.db" }] }));
    const warnings: string[] = [];
    const again = await createWorktree(
      { ...context(repo.main, {}), onWarning: (m) => warnings.push(m) },
      { id: "101" },
    );
    expect(again.created).toBe(false);
    expect(warnings.join("\n")).toMatch(/fixtures \(brought by \.worktreeinclude\) is gone/);
    expect(warnings.join("\n")).toMatch(/database data\/app\.db \(DATABASE_PATH\) is new in wt\.config\.json/);
  });
  it("ctx.env picks the SQLite engine: a bad WT_SQLITE_ENGINE only in ctx.env refuses (exit 2) before anything exists", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45500 }, databases: [{ path: "data/app.db" }] }));
    repo.commitAll("config");
    const saved = process.env.WT_SQLITE_ENGINE;
    delete process.env.WT_SQLITE_ENGINE;
    try {
      const err = await createWorktree(context(repo.main, { WT_SQLITE_ENGINE: "no-such-engine" }), { id: "101" }).catch(
        (e: unknown) => e,
      );
      expect((err as { exitCode?: number }).exitCode).toBe(2);
      expect((err as Error).message).toContain("WT_SQLITE_ENGINE is 'no-such-engine'");
      expect(existsSync(path.join(repo.root, "app-worktrees", "issue-101"))).toBe(false);
      // The same create without it in ctx.env goes through.
      const made = await createWorktree(context(repo.main, {}), { id: "101" });
      expect(existsSync(path.join(made.path, "data", "app.db"))).toBe(true);
    } finally {
      if (saved !== undefined) process.env.WT_SQLITE_ENGINE = saved;
    }
  });
});
