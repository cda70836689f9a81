import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { addBigTree, startWt, waitUntil } from "../helpers/footprint.js";
import {
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  worktreesDir,
  wtJson,
} from "../helpers/repo.js";

/**
 * Issue 9, item 17: what a killed create leaves is cleaned up entirely (the worktrees folder it
 * made, git's lock), `wt status` never reports 0 changes where git could not tell, and a
 * repository git refuses for its owner is exit 2 for status as it is for create.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

function setUp(): TestRepo {
  repo = makeRepo();
  repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47400 }, portSlots: 10 }));
  repo.commitAll("config");
  return repo;
}

/** A pid no process has any more: a child that has already exited. */
function deadPid(): number {
  const pid = spawnSync("true").pid;
  expect(pid).toBeGreaterThan(0);
  return pid as number;
}

function lockLine(folder: string): string | null {
  const fields = gitSync(repo.main, "worktree", "list", "--porcelain", "-z").split("\0");
  const at = fields.indexOf(`worktree ${folder}`);
  if (at === -1) throw new Error(`${folder} is not registered`);
  for (let i = at + 1; i < fields.length && fields[i] !== ""; i++) {
    if (fields[i]?.startsWith("locked")) return fields[i] as string;
  }
  return null;
}

/**
 * The state a create killed between writing its `hooks-pending` record and `git worktree
 * unlock` leaves: the worktree complete, the record `hooks-pending` with the dead pid, and
 * git's lock with wt's reason. (A SIGKILL cannot be aimed between two awaits of the one step
 * that does both, so the state is made by hand, with real git.)
 */
async function killedBeforeUnlock(id: string, state = "hooks-pending"): Promise<string> {
  const made = await wtJson<CreateResult>(repo.main, ["create", id, "--json"]);
  const pid = deadPid();
  const file = path.join(repo.main, ".git", "wt", "worktrees", `${id}.json`);
  const record = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...record, state, pid }));
  gitSync(repo.main, "worktree", "lock", "--reason", `wt create in progress (pid ${pid})`, made.path);
  return made.path;
}

describe("SIGKILL of wt create during git's checkout, then wt cleanup", () => {
  it("leaves no empty ../<repo>-worktrees/ that wt made", async () => {
    setUp();
    addBigTree(repo, 40, 0);
    const folder = worktreesDir(repo.main);
    const target = path.join(folder, "issue-1");
    const run = startWt(repo.main, ["create", "1"]);
    await waitUntil(() => existsSync(path.join(target, ".git")), "the checkout", run);
    run.child.kill("SIGKILL");
    await run.exit;
    // git notices its reader is gone (SIGPIPE) and removes its half-made worktree; give it time.
    await waitUntil(() => !existsSync(target), "git to remove its half-made worktree", undefined, 30_000);
    const clean = await runWt(repo.main, ["cleanup", "1"], { WT_LOCK_TIMEOUT: "30" });
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(folder), existsSync(folder) ? readdirSync(folder).join(", ") : "").toBe(false);
    expect(readdirSync(path.join(repo.main, ".git", "wt", "worktrees"))).toEqual([]);
  }, 90_000);
});

describe("git's 'wt create in progress' lock left by a killed create", () => {
  it("the next wt create of that id removes it", async () => {
    setUp();
    const wt = await killedBeforeUnlock("1");
    expect(lockLine(wt)).toMatch(/^locked wt create in progress/);
    const again = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    expect(again.created).toBe(false);
    expect(lockLine(wt)).toBeNull();
    const status = await wtJson<StatusResult>(repo.main, ["status", "1", "--json"]);
    expect(status.worktrees[0]).toMatchObject({ state: "ok" });
  });

  it("a create or cleanup of another id removes it; a user's lock, a live owner's and a `creating` one stay", async () => {
    setUp();
    const stale = await killedBeforeUnlock("1");
    const ready = await killedBeforeUnlock("2", "ready");
    const half = await killedBeforeUnlock("3", "creating");
    const user = (await wtJson<CreateResult>(repo.main, ["create", "4", "--json"])).path;
    gitSync(repo.main, "worktree", "lock", "--reason", "on usb stick", user);
    const live = (await wtJson<CreateResult>(repo.main, ["create", "5", "--json"])).path;
    gitSync(repo.main, "worktree", "lock", "--reason", `wt create in progress (pid ${process.pid})`, live);

    const other = await wtJson<CreateResult>(repo.main, ["create", "6", "--json"]);
    expect(lockLine(stale)).toBeNull();
    expect(lockLine(ready)).toBeNull();
    expect(lockLine(half)).toMatch(/^locked wt create in progress/);
    expect(lockLine(user)).toBe("locked on usb stick");
    expect(lockLine(live)).toBe(`locked wt create in progress (pid ${process.pid})`);

    const again = await killedBeforeUnlock("7");
    const clean = await runWt(repo.main, ["cleanup", "6"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(other.path)).toBe(false);
    expect(lockLine(again)).toBeNull();
    expect(lockLine(user)).toBe("locked on usb stick");
  });
});

describe("wt status where git status fails", () => {
  it("says changes: null with a reason, never changes: 0", async () => {
    setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    writeFileSync(path.join(made.path, "untracked.txt"), "mine\n");
    // A corrupt index: git status exits 128 ("index file smaller than expected").
    writeFileSync(path.join(repo.main, ".git", "worktrees", "issue-1", "index"), "garbage");
    expect(spawnSync("git", ["status"], { cwd: made.path }).status).not.toBe(0);
    const status = await wtJson<StatusResult>(repo.main, ["status", "--json"]);
    const row = status.worktrees.find((r) => r.id === "1");
    expect(row).toMatchObject({ changes: null, dirty: null });
    expect(row?.reason).toMatch(/git status failed/);
    expect(status.worktrees[0]).toMatchObject({ path: repo.main, changes: 0, reason: null });
    const human = await runWt(repo.main, ["status"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/git status failed/);
  });
});

describe("a repository git refuses for its owner (safe.directory)", () => {
  it("wt status exits 2 as wt create does, with the safe.directory hint", async () => {
    setUp();
    const home = path.join(repo.root, "home");
    mkdirSync(home);
    // Tests run as root: a repository owned by another uid is "dubious" to git even for root
    // (git >= 2.35.2), unless a safe.directory in the global config allows it; HOME is
    // empty and GIT_CONFIG_GLOBAL is /dev/null in runWt, so none does.
    chownTree(repo.main, 12345);
    expect(statSync(repo.main).uid).toBe(12345);
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config") };
    for (const args of [["status"], ["create", "1"], ["cleanup", "1"]]) {
      const run = await runWt(repo.main, [...args, "--json"], env);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      const error = json<ErrorJson>(run).error;
      expect(error.code).toBe("dubious-ownership");
      expect(error.hint).toContain(`git config --global --add safe.directory '${repo.main}'`);
    }
    const human = await runWt(repo.main, ["status"], env);
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/owned by another user/);
    expect(human.stderr).not.toMatch(/at .*\n.*at /); // no stack trace
    chownTree(repo.main, 0);
  });
});

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}
