import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusResult } from "../../src/index.js";
import { addBigTree, footprint, startWt, waitUntil } from "../helpers/footprint.js";
import { makeRepo, runWt, type TestRepo, trustRepo } from "../helpers/repo.js";

/**
 * SIGINT and SIGTERM delivered while each step of `wt create` runs: exit 130 and nothing that
 * run made is left. Each test waits for a file that only that step makes (the observable
 * signal that the step is under way), then sends the signal.
 */
let repo: TestRepo;
let worktrees: string;
const target = () => path.join(worktrees, "issue-101");
const dbFiles = () => {
  const f = path.join(target(), "data", "issue-101.db");
  return [f, `${f}-wal`, `${f}-shm`, `${f}-journal`];
};

beforeAll(() => {
  repo = makeRepo();
  worktrees = path.join(repo.root, "app-worktrees");
  // 9,000 tracked files (git's checkout takes a while) and an ignored node_modules of 12,000
  // files, copied (not linked) into each worktree.
  addBigTree(repo, 60, 600, "node_modules/\ndata/\n");
  // A template big enough that its backup takes a moment.
  mkdirSync(path.join(repo.main, "data"));
  const db = new Database(path.join(repo.main, "data", "template.db"));
  db.exec("CREATE TABLE blobs (b BLOB)");
  const insert = db.prepare("INSERT INTO blobs VALUES (randomblob(65536))");
  db.transaction(() => {
    for (let i = 0; i < 1200; i++) insert.run();
  })();
  db.close();
}, 180_000);

afterAll(() => repo?.remove());

function configure(init?: string, postCreate?: string) {
  repo.write(
    "wt.config.json",
    JSON.stringify({
      databases: [{ path: "data/{name}.db", template: "data/template.db", ...(init ? { init } : {}) }],
      ...(postCreate ? { hooks: { postCreate: [postCreate] } } : {}),
    }),
  );
  if (repo.git("status", "--porcelain") !== "") repo.commitAll(`config ${init ?? ""}`);
  trustRepo(repo.main);
}

const steps: { name: string; ready: () => boolean; init?: string; postCreate?: string }[] = [
  { name: "git checkout of a large tree", ready: () => existsSync(path.join(target(), ".git")) },
  { name: "include copy of a large node_modules", ready: () => existsSync(path.join(target(), "node_modules")) },
  {
    name: "database copy",
    ready: () =>
      existsSync(path.join(target(), "data")) &&
      readdirSync(path.join(target(), "data")).some((f) => f.includes(".wt-") && f.endsWith(".tmp")),
  },
  {
    name: "init",
    init: `touch '${"INIT_MARKER"}'; sleep 30`,
    ready: () => existsSync(path.join(target(), "INIT_MARKER")),
  },
  {
    // After the plan, outside the lock: Ctrl-C still undoes the whole create.
    name: "postCreate hook",
    postCreate: `touch '${"HOOK_MARKER"}'; sleep 30`,
    ready: () => existsSync(path.join(target(), "HOOK_MARKER")),
  },
];

describe.each(["SIGINT", "SIGTERM"] as const)("%s during create", (signal) => {
  it.each(steps)("$name: exit 130 and nothing left", async (step) => {
    configure(step.init, step.postCreate);
    const before = footprint(repo.main, { extra: dbFiles() });
    const run = startWt(repo.main, ["create", "101"]);
    await waitUntil(step.ready, step.name, run);
    run.child.kill(signal);
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/rolling back/);
    expect(footprint(repo.main, { extra: dbFiles() })).toEqual(before);
    expect(existsSync(target())).toBe(false);
  });
});

describe("a second Ctrl-C", () => {
  it("does not stop the rollback", async () => {
    configure();
    const before = footprint(repo.main, { extra: dbFiles() });
    const run = startWt(repo.main, ["create", "101"]);
    await waitUntil(steps[1]?.ready as () => boolean, "the include copy", run);
    run.child.kill("SIGINT");
    await waitUntil(() => run.stderr().includes("rolling back"), "the rollback", run);
    run.child.kill("SIGINT");
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(130);
    expect(footprint(repo.main, { extra: dbFiles() })).toEqual(before);
  });
});

describe("SIGKILL mid-create", () => {
  it("leaves a worktree that status shows incomplete and cleanup finishes", async () => {
    // The marker is outside the worktree: an untracked file inside it would rightly make
    // cleanup refuse (wt cannot tell it from the user's work).
    const marker = path.join(repo.root, "KILL_MARKER");
    configure(`touch '${marker}'; sleep 30`);
    const before = footprint(repo.main, { extra: dbFiles() });
    const run = startWt(repo.main, ["create", "101"]);
    await waitUntil(() => existsSync(marker), "init", run);
    run.child.kill("SIGKILL");
    await run.exit;
    // The init command runs in its own process group; a SIGKILLed wt cannot stop it.
    const status = JSON.parse((await runWt(repo.main, ["status", "101", "--json"])).stdout) as StatusResult;
    expect(status.worktrees[0]?.state).toBe("incomplete");
    // git's own lock keeps `git worktree prune` away from the half-made worktree meanwhile.
    expect(repo.git("worktree", "list", "--porcelain")).toContain("locked wt create in progress");
    // The orphaned init (`sleep 30`, cwd in the worktree) is a live process there: cleanup
    // refuses (exit 4, listing it) until it is stopped, which --reap does.
    const refused = await runWt(repo.main, ["cleanup", "101"], { WT_LOCK_TIMEOUT: "30" });
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/took over a repository lock/);
    expect(refused.stderr).toMatch(/sleep 30/);
    const clean = await runWt(repo.main, ["cleanup", "101", "--reap"], { WT_LOCK_TIMEOUT: "30" });
    expect(clean.code, clean.stderr).toBe(0);
    expect(footprint(repo.main, { extra: dbFiles() })).toEqual(before);
  }, 90_000);
});
