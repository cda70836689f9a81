import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import {
  branchExists,
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  worktreePaths,
  wtJson,
} from "../helpers/repo.js";
import { addLibSubmodule } from "../helpers/submodule.js";

/**
 * Seed 001's worktree pool on real repositories: fill, parallel claims, release, claim again,
 * drain, and the safety rules (dirty release, busy/stale/damaged slots never claimed).
 * Ports 49xxx are this file's.
 */
let repo: TestRepo;
let sleeper: ChildProcess | null = null;
afterEach(() => {
  sleeper?.kill("SIGKILL");
  sleeper = null;
  repo?.remove();
});

interface SlotView {
  path: string;
  state: "idle" | "claimed" | "stale" | "damaged";
  head: string | null;
  reason: string | null;
}
interface PoolDoc {
  size: number;
  slots: SlotView[];
  added?: string[];
  removed?: string[];
}
type Claim = CreateResult & { pool: { hit: boolean; reason: string | null } };

/** A repository whose pool warms by writing node_modules/warm.txt (ignored: the warm state). */
function setUp(size = 3): TestRepo {
  const r = makeRepo({ files: { "package-lock.json": '{"lockfileVersion":3}\n', "src/app.js": "one\n" } });
  r.write(".gitignore", "node_modules/\n.env\n");
  r.write(".env", "SECRET=1\n");
  r.write(".worktreeinclude", ".env\n");
  r.write(
    "wt.config.json",
    JSON.stringify({
      ports: { PORT: 49000 },
      pool: { size, warm: ["mkdir -p node_modules && echo $WT_POOL_SLOT > node_modules/warm.txt"] },
    }),
  );
  r.commitAll("setup");
  // pool.warm is a repository command: it runs only once trusted (tested below).
  trustRepo(r.main);
  return r;
}

async function idleSlots(r: TestRepo): Promise<SlotView[]> {
  const doc = await wtJson<PoolDoc>(r.main, ["pool", "status", "--json"]);
  return doc.slots.filter((s) => s.state === "idle");
}

describe("wt pool (seed 001)", () => {
  it("fill 3, three agents claim in parallel (three slots, all hits), release, claim again, drain", async () => {
    repo = setUp(3);
    const filled = await wtJson<PoolDoc>(repo.main, ["pool", "fill", "--json"]);
    expect(filled.added).toHaveLength(3);
    const slots = (await idleSlots(repo)).map((s) => s.path);
    expect(slots).toHaveLength(3);
    // Idle slots are git-locked: `git worktree prune` leaves them.
    for (const s of slots) expect(gitSync(repo.main, "worktree", "list", "--porcelain")).toContain(`worktree ${s}\n`);
    gitSync(repo.main, "worktree", "prune");
    expect(worktreePaths(repo.main)).toEqual(expect.arrayContaining(slots));

    const runs = await Promise.all(
      ["101", "102", "103"].map((id) => runWt(repo.main, ["create", id, "--pool", "--json"])),
    );
    const claims = runs.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return json<Claim>(r);
    });
    expect(claims.map((c) => c.pool)).toEqual([
      { hit: true, reason: null },
      { hit: true, reason: null },
      { hit: true, reason: null },
    ]);
    expect(new Set(claims.map((c) => c.path)).size).toBe(3);
    const warmFrom = claims.map((c) => readFileSync(path.join(c.path, "node_modules/warm.txt"), "utf8").trim());
    // Each worktree is one of the warmed slots (its warm file says which), no two the same.
    expect(new Set(warmFrom)).toEqual(new Set(slots.map((s) => path.basename(s))));
    for (const c of claims) {
      expect(gitSync(c.path, "branch", "--show-current").trim()).toBe(c.branch);
      expect(readFileSync(path.join(c.path, ".env"), "utf8")).toBe("SECRET=1\n");
      expect(readFileSync(path.join(c.path, ".env.local"), "utf8")).toContain(`PORT=${c.ports.PORT}`);
    }
    expect(await idleSlots(repo)).toHaveLength(0);
    const status = await wtJson<{ pool?: { idle: number } }>(repo.main, ["status", "--json"]);
    expect(status.pool).toBeUndefined();

    const released = await wtJson<{ slot: string; branchDeleted: boolean }>(repo.main, ["release", "101", "--json"]);
    expect(released.branchDeleted).toBe(true);
    expect(existsSync(claims[0]?.path as string)).toBe(false);
    expect(existsSync(path.join(released.slot, ".env.local"))).toBe(false);
    expect(existsSync(path.join(released.slot, "node_modules/warm.txt"))).toBe(true);
    const withPool = await wtJson<{ worktrees: { path: string }[]; pool: { idle: number } }>(repo.main, [
      "status",
      "--json",
    ]);
    expect(withPool.pool.idle).toBe(1);
    expect(withPool.worktrees.map((w) => w.path)).not.toContain(released.slot);
    const human = await runWt(repo.main, ["status"]);
    expect(human.stdout).toContain("pool: 1 idle slot");
    expect(human.stdout).not.toContain(released.slot);

    const again = await wtJson<Claim>(repo.main, ["create", "104", "--pool", "--json"]);
    expect(again.pool).toEqual({ hit: true, reason: null });
    await wtJson(repo.main, ["release", "104", "--json"]);
    const drained = await wtJson<PoolDoc>(repo.main, ["pool", "drain", "--json"]);
    expect(drained.removed).toEqual([released.slot]);
    // Claimed slots are worktrees: drain never touches them.
    for (const c of claims.slice(1)) expect(existsSync(c.path)).toBe(true);
    expect(drained.slots.filter((s) => s.state === "claimed")).toHaveLength(2);
  });

  it("release reads the process table while its own git status runs in the worktree: that git never counts as live", async () => {
    repo = setUp(1);
    // Enough files that the status is still running when the process table is read beside it.
    for (let i = 0; i < 4000; i++) repo.write(`src/many/d${i % 40}/f${i}.txt`, `${i}\n`);
    repo.commitAll("many files");
    for (let round = 0; round < 3; round++) {
      await wtJson(repo.main, ["pool", "fill", "--json"]);
      await wtJson<Claim>(repo.main, ["create", `${30 + round}`, "--pool", "--json"]);
      const r = await runWt(repo.main, ["release", `${30 + round}`, "--json"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  });

  it("a dirty release is refused (exit 5) and nothing is reset", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const c = await wtJson<Claim>(repo.main, ["create", "7", "--pool", "--json"]);
    writeFileSync(path.join(c.path, "src/app.js"), "edited\n");
    writeFileSync(path.join(c.path, "notes.txt"), "mine\n");
    const r = await runWt(repo.main, ["release", "7", "--json"]);
    expect(r.code).toBe(5);
    expect(json<ErrorJson>(r).error.code).toBe("dirty");
    expect(readFileSync(path.join(c.path, "src/app.js"), "utf8")).toBe("edited\n");
    expect(readFileSync(path.join(c.path, "notes.txt"), "utf8")).toBe("mine\n");
    expect(gitSync(c.path, "branch", "--show-current").trim()).toBe(c.branch);
    expect(existsSync(path.join(c.path, ".env.local"))).toBe(true);
  });

  it("a branch with commits of its own is kept and reported on release", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const c = await wtJson<Claim>(repo.main, ["create", "8", "--pool", "--json"]);
    writeFileSync(path.join(c.path, "src/app.js"), "work\n");
    gitSync(c.path, "commit", "-qam", "work");
    const r = await wtJson<{ branchDeleted: boolean; branchKept: string; slot: string }>(repo.main, [
      "release",
      "8",
      "--json",
    ]);
    expect(r.branchDeleted).toBe(false);
    expect(r.branchKept).toMatch(/not integrated/);
    expect(branchExists(repo.main, c.branch)).toBe(true);
    expect(readFileSync(path.join(r.slot, "src/app.js"), "utf8")).toBe("one\n");
  });

  it("a slot with a process inside is skipped (reason busy); a live process refuses release (exit 4)", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const [slot] = await idleSlots(repo);
    sleeper = spawn("sleep", ["30"], { cwd: slot?.path, stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 100));
    const miss = await wtJson<Claim>(repo.main, ["create", "9", "--pool", "--json"]);
    expect(miss.pool).toEqual({ hit: false, reason: "busy" });
    expect(miss.path).not.toBe(slot?.path);
    expect(await idleSlots(repo)).toHaveLength(1);
    sleeper.kill("SIGKILL");
    const hit = await wtJson<Claim>(repo.main, ["create", "10", "--pool", "--json"]);
    expect(hit.pool.hit).toBe(true);
    sleeper = spawn("sleep", ["30"], { cwd: hit.path, stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 100));
    const r = await runWt(repo.main, ["release", "10", "--json"]);
    expect(r.code).toBe(4);
    expect(existsSync(path.join(hit.path, ".env.local"))).toBe(true);
  });

  it("a stale warm key is not claimed (reason stale), and fill replaces the slot", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const [old] = await idleSlots(repo);
    repo.write("package-lock.json", '{"lockfileVersion":3,"packages":{}}\n');
    repo.commitAll("deps changed");
    const status = await wtJson<PoolDoc>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots.map((s) => s.state)).toEqual(["stale"]);
    const miss = await wtJson<Claim>(repo.main, ["create", "11", "--pool", "--json"]);
    expect(miss.pool).toEqual({ hit: false, reason: "stale" });
    const refill = await wtJson<PoolDoc>(repo.main, ["pool", "fill", "--json"]);
    expect(refill.removed).toEqual([old?.path]);
    expect(refill.added).toHaveLength(1);
    const hit = await wtJson<Claim>(repo.main, ["create", "12", "--pool", "--json"]);
    expect(hit.pool).toEqual({ hit: true, reason: null });
    expect(readFileSync(path.join(hit.path, "package-lock.json"), "utf8")).toContain("packages");
  });

  it("a warm key naming a submodule follows its recorded commit, on git before 2.46 too (whose cat-file calls a gitlink missing)", async () => {
    repo = setUp(1);
    addLibSubmodule(repo);
    const config = JSON.parse(readFileSync(path.join(repo.main, "wt.config.json"), "utf8"));
    config.pool.warmKey = ["lib"];
    repo.write("wt.config.json", JSON.stringify(config));
    repo.commitAll("lib as a submodule, the warm key");
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const [old] = await idleSlots(repo);
    // A commit that changes no file but the submodule's recorded commit.
    const lib = path.join(repo.main, "lib");
    writeFileSync(path.join(lib, "more.txt"), "more\n");
    gitSync(lib, "add", "more.txt");
    gitSync(lib, "commit", "-q", "-m", "more");
    gitSync(repo.main, "add", "lib");
    gitSync(repo.main, "commit", "-q", "-m", "lib moves");
    // The key changed: fill warms a new slot rather than moving the old one to the new commit
    // (which it does when the key still matches: "fill moves a slot" below).
    const refill = await wtJson<PoolDoc>(repo.main, ["pool", "fill", "--json"]);
    expect(refill.removed).toEqual([old?.path]);
    expect(refill.added).toHaveLength(1);
    // The claim's key at the new commit is the fill's.
    const hit = await wtJson<Claim>(repo.main, ["create", "14", "--pool", "--json"]);
    expect(hit.pool).toEqual({ hit: true, reason: null });
  });

  it("a warm key file the repository lacks costs a claim no extra git process; a user's GIT_GLOB_PATHSPECS breaks neither fill nor claim", async () => {
    repo = setUp(1);
    const config = JSON.parse(readFileSync(path.join(repo.main, "wt.config.json"), "utf8"));
    config.pool.warmKey = ["package-lock.json", "yarn.lock"];
    repo.write("wt.config.json", JSON.stringify(config));
    repo.commitAll("a lock file this repository does not use");
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const claim = await runWt(repo.main, ["create", "15", "--pool", "--json", "--verbose"]);
    expect(claim.code, claim.stderr).toBe(0);
    expect(json<Claim>(claim).pool.hit).toBe(true);
    expect(claim.stderr).toContain("$ git cat-file --batch-check");
    expect(claim.stderr).not.toContain("ls-tree");

    // GIT_GLOB_PATHSPECS=1 made git refuse wt's --literal-pathspecs and check-ignore runs: wt's git runs drop it.
    addLibSubmodule(repo);
    config.pool.warmKey = ["lib", "yarn.lock"];
    repo.write("wt.config.json", JSON.stringify(config));
    repo.commitAll("lib as a submodule");
    trustRepo(repo.main);
    const glob = { GIT_GLOB_PATHSPECS: "1" };
    const filled = await runWt(repo.main, ["pool", "fill", "--json"], glob);
    expect(filled.code, filled.stderr).toBe(0);
    const hit = await runWt(repo.main, ["create", "16", "--pool", "--json"], glob);
    expect(hit.code, hit.stderr).toBe(0);
    expect(json<Claim>(hit).pool.hit).toBe(true);
  });

  it("a damaged slot (its .git tie broken) is never claimed and drain leaves it", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const [slot] = await idleSlots(repo);
    const folder = slot?.path as string;
    writeFileSync(path.join(folder, ".git"), "gitdir: /nowhere/worktrees/x\n");
    const status = await wtJson<PoolDoc>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots.map((s) => s.state)).toEqual(["damaged"]);
    const miss = await wtJson<Claim>(repo.main, ["create", "13", "--pool", "--json"]);
    expect(miss.pool.hit).toBe(false);
    expect(miss.path).not.toBe(folder);
    const drained = await wtJson<PoolDoc>(repo.main, ["pool", "drain", "--json"]);
    expect(drained.removed).toEqual([]);
    expect(existsSync(path.join(folder, "node_modules/warm.txt"))).toBe(true);
  });

  it("cleanup --all never touches pool slots; .worktreeinclude never copies the pool dir", async () => {
    repo = setUp(1);
    // A pool inside the main worktree, matched by .worktreeinclude: still never brought.
    repo.write(".gitignore", "node_modules/\n.env\n.pool/\n");
    repo.write(".worktreeinclude", ".env\n.pool/\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 49200 }, pool: { size: 1, dir: ".pool/{n}" } }));
    repo.commitAll("pool inside");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<CreateResult>(repo.main, ["create", "14", "--json"]);
    expect(made.included.map((i) => i.path)).toEqual([".env"]);
    await wtJson(repo.main, ["cleanup", "--all", "--json"]);
    expect(await idleSlots(repo)).toHaveLength(1);
  });

  it("--dry-run lists exactly the steps --verbose names, for fill, claim, release and drain", async () => {
    repo = setUp(1);
    const steps = (stderr: string) =>
      stderr
        .split("\n")
        .filter((l) => l.startsWith("  · "))
        .map((l) => l.slice(4));
    const pairs: [string[], string[]][] = [
      [["pool", "fill"], []],
      [["create", "21", "--pool"], []],
      [["release", "21"], []],
      [["pool", "drain"], []],
    ];
    for (const [args] of pairs) {
      if (args[0] === "release") {
        // A person's summary of the plan says what happens to the branch.
        const said = await runWt(repo.main, [...args, "--dry-run"]);
        expect(said.stdout).toMatch(
          /^would release 21: back in the pool at .*; branch \S+ would be deleted \(integrated\)$/m,
        );
      }
      const dry = await wtJson<{ plan: string[] }>(repo.main, [...args, "--dry-run", "--json"]);
      const real = await runWt(repo.main, [...args, "--verbose"]);
      expect(real.code, real.stderr).toBe(0);
      expect(steps(real.stderr), args.join(" ")).toEqual(dry.plan);
      expect(dry.plan.length).toBeGreaterThan(0);
    }
  });

  it("a claim and a release at the base run no worktree unlock/lock, no switch --detach and no rev-parse --verify; the slot stays git-locked", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const gits = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("  $ git "));
    const claim = await runWt(repo.main, ["create", "31", "--pool", "--verbose"]);
    expect(claim.code, claim.stderr).toBe(0);
    const claimed = gits(claim.stderr);
    expect(claimed.some((l) => l.includes("git worktree move"))).toBe(true);
    expect(claimed.some((l) => l.includes("git status"))).toBe(true);
    expect(claimed.filter((l) => l.includes("git worktree unlock"))).toEqual([]);
    const release = await runWt(repo.main, ["release", "31", "--verbose"]);
    expect(release.code, release.stderr).toBe(0);
    const released = gits(release.stderr);
    expect(released.some((l) => l.includes("git update-ref --no-deref"))).toBe(true);
    expect(released.filter((l) => /git (switch|worktree lock|rev-parse --verify)/.test(l))).toEqual([]);
    const [slot] = await idleSlots(repo);
    expect(slot?.head).toBe(gitSync(repo.main, "rev-parse", "HEAD").trim());
    expect(gitSync(slot?.path as string, "status", "--porcelain", "--branch").trim()).toBe("## HEAD (no branch)");
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).toMatch(/\nlocked wt pool slot(\n|$)/);
    gitSync(repo.main, "worktree", "prune");
    expect(worktreePaths(repo.main)).toContain(slot?.path);
    const again = await wtJson<Claim>(repo.main, ["create", "32", "--pool", "--json"]);
    expect(again.pool).toEqual({ hit: true, reason: null });
  });

  it("fill leaves each slot's index refreshed and newer than its files: a claim's git status reads no file's content (racy git)", async () => {
    repo = setUp(2);
    const filled = await wtJson<PoolDoc>(repo.main, ["pool", "fill", "--json"]);
    expect(filled.added).toHaveLength(2);
    for (const slot of filled.added ?? []) {
      // git's rule (Documentation/technical/racy-git.txt): an entry whose file is not older than
      // the index file, in whole seconds, is racily clean and its content is read on every status.
      const admin = gitSync(slot, "rev-parse", "--path-format=absolute", "--git-dir").trim();
      const indexSecond = Math.floor(statSync(path.join(admin, "index")).mtimeMs / 1000);
      const tracked = gitSync(slot, "ls-files", "-z").split("\0").filter(Boolean);
      expect(tracked.length).toBeGreaterThan(3);
      for (const f of tracked)
        expect(Math.floor(statSync(path.join(slot, f)).mtimeMs / 1000), f).toBeLessThan(indexSecond);
      // And no entry was written smudged (size 0) for a file that has content.
      expect(gitSync(slot, "ls-files", "--debug")).not.toMatch(/size: 0\b/);
    }
  });

  it("pool.warm needs trust: a changed warm command is exit 2 (untrusted) and makes no slot", async () => {
    repo = setUp(1);
    const config = JSON.parse(readFileSync(path.join(repo.main, "wt.config.json"), "utf8"));
    repo.write("wt.config.json", JSON.stringify({ ...config, pool: { ...config.pool, warm: ["touch warmed"] } }));
    repo.commitAll("another warm command");
    const r = await runWt(repo.main, ["pool", "fill", "--json"]);
    expect(r.code, r.stderr).toBe(2);
    expect(json<ErrorJson>(r).error.code).toBe("untrusted");
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
  });

  it("a claim whose later step fails is undone: the slot is back in the pool, idle, and the branch is gone", async () => {
    repo = setUp(1);
    const config = JSON.parse(readFileSync(path.join(repo.main, "wt.config.json"), "utf8"));
    repo.write("wt.config.json", JSON.stringify({ ...config, databases: [{ path: "data/app.db", init: "exit 3" }] }));
    repo.commitAll("failing init");
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const [before] = await idleSlots(repo);
    const r = await runWt(repo.main, ["create", "22", "--pool", "--json"]);
    expect(r.code).toBe(6);
    const [after] = await idleSlots(repo);
    expect(after?.path).toBe(before?.path);
    expect(branchExists(repo.main, "feature/issue-22")).toBe(false);
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).toContain("locked wt pool slot");
    const hit = await wtJson<Claim>(repo.main, ["create", "23", "--pool", "--no-hooks", "--json"]);
    expect(hit.pool.hit).toBe(true);
  });

  it("fill moves a slot to a new base commit when its warm key still matches; release into a full pool removes the tree", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const [slot] = await idleSlots(repo);
    repo.write("src/app.js", "two\n");
    repo.commitAll("base moves, deps do not");
    expect((await wtJson<PoolDoc>(repo.main, ["pool", "status", "--json"])).slots[0]?.state).toBe("stale");
    const refill = await wtJson<PoolDoc>(repo.main, ["pool", "fill", "--json"]);
    expect(refill.removed).toEqual([]);
    expect(refill.added).toEqual([]);
    const c = await wtJson<Claim>(repo.main, ["create", "24", "--pool", "--json"]);
    expect(c.pool.hit).toBe(true);
    expect(readFileSync(path.join(c.path, "node_modules/warm.txt"), "utf8").trim()).toBe(
      path.basename(slot?.path ?? ""),
    );
    expect(readFileSync(path.join(c.path, "src/app.js"), "utf8")).toBe("two\n");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const r = await wtJson<{ slot: string | null }>(repo.main, ["release", "24", "--json"]);
    expect(r.slot).toBeNull();
    expect(existsSync(c.path)).toBe(false);
    expect(await idleSlots(repo)).toHaveLength(1);
  });

  it("fill --background returns at once and a detached child fills the pool", async () => {
    repo = setUp(2);
    const r = await runWt(repo.main, ["pool", "fill", "--background"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/background/);
    const deadline = Date.now() + 20_000;
    while ((await idleSlots(repo)).length < 2 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 200));
    expect(await idleSlots(repo)).toHaveLength(2);
  });

  it("release refuses a worktree not claimed from the pool (exit 2, hint cleanup)", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["create", "25", "--json"]);
    const r = await runWt(repo.main, ["release", "25", "--json"]);
    expect(r.code).toBe(2);
    expect(json<ErrorJson>(r).error.hint).toMatch(/wt cleanup 25/);
  });

  it("a pool config without {n} in dir, or with an unknown key, is exit 2 naming the key", async () => {
    repo = setUp(1);
    for (const pool of [{ dir: "../pool" }, { sizes: 2 }]) {
      repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 49400 }, pool }));
      const r = await runWt(repo.main, ["pool", "fill", "--json"]);
      expect(r.code).toBe(2);
      expect(json<ErrorJson>(r).error.message).toMatch(/pool/);
    }
  });

  it("release deletes a branch integrated by a squash merge (isIntegrated), and --reap stops a live process", async () => {
    repo = setUp(1);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const c = await wtJson<Claim>(repo.main, ["create", "26", "--pool", "--json"]);
    writeFileSync(path.join(c.path, "src/app.js"), "squashed\n");
    gitSync(c.path, "commit", "-qam", "work");
    // Squash-merged: the base has the change, but the branch's commit is no ancestor of it.
    repo.git("merge", "-q", "--squash", c.branch);
    repo.git("commit", "-qm", "squash");
    sleeper = spawn("sleep", ["30"], { cwd: c.path, stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 100));
    const refused = await runWt(repo.main, ["release", "26", "--json"]);
    expect(refused.code).toBe(4);
    expect(json<ErrorJson>(refused).error.code).toBe("processes");
    const r = await wtJson<{ branchDeleted: boolean; slot: string }>(repo.main, ["release", "26", "--reap", "--json"]);
    expect(r.branchDeleted).toBe(true);
    expect(branchExists(repo.main, c.branch)).toBe(false);
    expect(readFileSync(path.join(r.slot, "src/app.js"), "utf8")).toBe("squashed\n");
    expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
  });
});
