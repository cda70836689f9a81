import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deleteBranchAt } from "../../src/git/branch-delete.js";
import { branchHolder } from "../../src/git/worktree-link.js";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import { startWt, waitUntil } from "../helpers/footprint.js";
import {
  branchExists,
  GIT_ENV,
  gitOk,
  gitOnPath,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  wtJson,
} from "../helpers/repo.js";
import { addLibSubmodule, gitFile } from "../helpers/submodule.js";

// Cleanup (and a release) judged a branch integrated, then deleted it with `git branch -D`,
// which takes no expected value: a commit that landed on the branch in between (from a process
// outside the worktree, or under --force) was deleted with it, and with the branch's reflog
// gone it was left dangling. The deletion now expects the commit the checks judged. Ports 444xx.

let repo: TestRepo;
afterEach(() => repo?.remove());

type Removed = CleanupResult["removed"][number];

function setUp(config: object = {}): TestRepo {
  const r = makeRepo({ origin: true });
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 44400 }, ...config }));
  r.commitAll("setup");
  gitSync(r.main, "push", "-q", "origin", "main");
  trustRepo(r.main);
  return r;
}

/**
 * A commit on `branch` that no ref holds yet (made in the worktree, then the branch reset back
 * to where it was): what an agent outside the worktree lands on the branch while wt runs.
 */
function lateCommit(worktree: string): string {
  writeFileSync(path.join(worktree, "late.txt"), "the agent's late work\n");
  gitSync(worktree, "add", "late.txt");
  gitSync(worktree, "commit", "-q", "-m", "late work");
  const late = gitSync(worktree, "rev-parse", "HEAD");
  gitSync(worktree, "reset", "-q", "--hard", "HEAD~1");
  return late;
}

/** git on PATH that, once, moves `branch` to `late` right before wt's (or git's own) deletion of it. */
function commitAtDeletion(root: string, branch: string, late: string): string {
  const marker = path.join(root, "moved");
  return gitOnPath(
    root,
    `*"branch -D"*|*"update-ref --no-deref -d"*) [ -e ${marker} ] || { : > ${marker}; "$GIT" update-ref refs/heads/${branch} ${late}; };;`,
  );
}

describe("a commit landing on the branch while cleanup removes the worktree", () => {
  it("keeps the branch with the commit (exit 0, branchKept says why, a warning); the worktree is removed", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--json"]);
    gitSync(repo.main, "config", `branch.${made.branch}.description`, "issue 101");
    const late = lateCommit(made.path);
    const PATH = commitAtDeletion(repo.root, made.branch, late);
    const run = await runWt(repo.main, ["cleanup", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(0);
    const out = json<CleanupResult>(run);
    const row = out.removed[0] as Removed;
    expect(row.branchDeleted).toBe(false);
    expect(row.branchKept).toMatch(/moved from [0-9a-f]{8} to [0-9a-f]{8}/);
    expect(out.warnings.join("\n")).toContain(`branch ${made.branch} was not deleted`);
    expect(gitSync(repo.main, "rev-parse", `refs/heads/${made.branch}`)).toBe(late);
    expect(gitSync(repo.main, "show", `${made.branch}:late.txt`)).toBe("the agent's late work");
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).not.toContain(made.path);
    // Its config section stays with the kept branch.
    expect(gitSync(repo.main, "config", `branch.${made.branch}.description`)).toBe("issue 101");
  });

  it("--delete-branch too: the user asked to delete the branch wt showed, not a commit made since", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--json"]);
    writeFileSync(path.join(made.path, "own.txt"), "own\n");
    gitSync(made.path, "add", "own.txt");
    gitSync(made.path, "commit", "-q", "-m", "own work, not merged");
    const late = lateCommit(made.path);
    const PATH = commitAtDeletion(repo.root, made.branch, late);
    const run = await runWt(repo.main, ["cleanup", "101", "--delete-branch", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(0);
    expect((json<CleanupResult>(run).removed[0] as Removed).branchDeleted).toBe(false);
    expect(gitSync(repo.main, "rev-parse", `refs/heads/${made.branch}`)).toBe(late);
  });

  it("a branch checked out in another worktree just before the deletion is kept (git branch -D would refuse too)", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--json"]);
    const other = path.join(repo.root, "other");
    gitSync(repo.main, "worktree", "add", "-q", "--detach", other);
    // Right after git removed the worktree, a user switches another one to its branch.
    const PATH = gitOnPath(
      repo.root,
      `*"worktree remove"*) "$GIT" "$@"; rc=$?; "$GIT" -C ${other} switch -q ${made.branch}; exit $rc;;`,
    );
    const run = await runWt(repo.main, ["cleanup", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(0);
    const row = json<CleanupResult>(run).removed[0] as Removed;
    expect(row.branchDeleted).toBe(false);
    expect(row.branchKept).toBe(`checked out in ${other}`);
    expect(gitSync(other, "symbolic-ref", "--short", "HEAD")).toBe(made.branch);
    expect(branchExists(repo.main, made.branch)).toBe(true);
  });

  it("without a race, the integrated branch and its config section go, as git branch -D removes them", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--json"]);
    gitSync(repo.main, "config", `branch.${made.branch}.description`, "issue 101");
    const out = await wtJson<CleanupResult>(repo.main, ["cleanup", "101", "--json"]);
    expect((out.removed[0] as Removed).branchDeleted).toBe(true);
    expect(branchExists(repo.main, made.branch)).toBe(false);
    expect(gitOk(repo.main, "config", "--get-regexp", `^branch\\.${made.branch.replaceAll(".", "\\.")}\\.`)).toBe(
      false,
    );
  });
});

describe("a commit landing on the branch while a release puts the worktree back", () => {
  it("keeps the branch with the commit (exit 0) and the slot goes back to the pool", async () => {
    repo = setUp({ pool: { size: 1 } });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<CreateResult & { pool: { hit: boolean } }>(repo.main, [
      "create",
      "1",
      "--pool",
      "--json",
    ]);
    expect(made.pool.hit).toBe(true);
    const late = lateCommit(made.path);
    const PATH = commitAtDeletion(repo.root, made.branch, late);
    const run = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(0);
    const out = json<{ branchDeleted: boolean; branchKept: string | null; slot: string | null; warnings: string[] }>(
      run,
    );
    expect(out.branchDeleted).toBe(false);
    expect(out.branchKept).toMatch(/moved from/);
    expect(out.warnings.join("\n")).toContain("was not deleted");
    expect(out.slot).not.toBeNull();
    expect(gitSync(repo.main, "rev-parse", `refs/heads/${made.branch}`)).toBe(late);
  });
});

/**
 * `wt <args>` in a fresh repository whose postCreate hook runs `hook`, stopped by `signal`
 * once the hook is done (it then touches "$HOOK_MARK" and sleeps); with `--pool`, from a
 * filled pool of one slot.
 */
async function stopAtHook(args: string[], hook: string, signal: NodeJS.Signals = "SIGINT") {
  repo = setUp({ pool: { size: 1 }, hooks: { postCreate: [`${hook} && touch "$HOOK_MARK" && sleep 30`] } });
  if (args.includes("--pool")) await wtJson(repo.main, ["pool", "fill", "--json"]);
  const mark = path.join(repo.root, "hook-mark");
  const run = startWt(repo.main, args, { HOOK_MARK: mark });
  await waitUntil(() => existsSync(mark), "the postCreate hook", run);
  run.child.kill(signal);
  const { code } = await run.exit;
  return { code, stderr: run.stderr() };
}

describe("a commit a postCreate hook made, then Ctrl-C: the rollback keeps the branch with it", () => {
  it.each([
    { kind: "a cold create", args: ["create", "101"] },
    { kind: "a pool claim", args: ["create", "101", "--pool"] },
  ])("$kind: exit 130, the worktree undone, the branch kept at the hook's commit, a warning", async ({ args }) => {
    const agent = "-c user.name=hook -c user.email=hook@example.com";
    const run = await stopAtHook(args, `echo w > w.txt && git add w.txt && git ${agent} commit -qm "hook work"`);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/branch feature\/issue-101 was kept: it moved from [0-9a-f]{8} to [0-9a-f]{8}/);
    expect(gitSync(repo.main, "log", "-1", "--format=%s", "feature/issue-101")).toBe("hook work");
    expect(gitSync(repo.main, "show", "feature/issue-101:w.txt")).toBe("w");
  });
});

describe("work that appears in a pool worktree after wt's checks (review findings)", () => {
  const agent = "-c user.name=agent -c user.email=agent@example.com";

  it("a slot whose warm commands failed after a commit is damaged: drain and fill leave it and the commit", async () => {
    repo = setUp({
      pool: {
        size: 1,
        warm: [`echo w > warm.txt && git add warm.txt && git ${agent} commit -qm "warm work" && exit 1`],
      },
    });
    const filled = await runWt(repo.main, ["pool", "fill", "--json"]);
    expect(filled.code).not.toBe(0);
    const status = await wtJson<{ slots: { path: string; state: string; reason: string | null }[] }>(repo.main, [
      "pool",
      "status",
      "--json",
    ]);
    const slot = status.slots[0];
    expect(slot?.state).toBe("damaged");
    expect(slot?.reason).toMatch(/HEAD moved/);
    const commit = gitSync(slot?.path as string, "rev-parse", "HEAD");
    await wtJson(repo.main, ["pool", "drain", "--json"]);
    await runWt(repo.main, ["pool", "fill", "--json"]);
    expect(existsSync(path.join(slot?.path as string, "warm.txt"))).toBe(true);
    expect(gitSync(slot?.path as string, "rev-parse", "HEAD")).toBe(commit);
  });

  it("a release that removes the tree (full pool) refuses (exit 5) a file made after its checks, and goes once it is gone", async () => {
    repo = setUp({ pool: { size: 1 } });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--pool", "--json"]);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const late = path.join(made.path, "agent-new.txt");
    const PATH = gitOnPath(
      repo.root,
      `*"worktree remove"*) [ -e ${late}.done ] || { echo work > ${late}; : > ${late}.done; };;`,
    );
    const run = await runWt(repo.main, ["release", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(5);
    expect(json<{ error: { message: string } }>(run).error.message).toMatch(/changed while it was being released/);
    expect(readFileSync(late, "utf8")).toBe("work\n");
    rmSync(late);
    rmSync(`${late}.done`);
    const again = await runWt(repo.main, ["release", "101", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(made.path)).toBe(false);
  });

  it("a claim's undo that cannot switch the tree back leaves it where it was claimed, with the hook's changes, and says so", async () => {
    const run = await stopAtHook(
      ["create", "101", "--pool"],
      `echo 1 > src.txt && git add src.txt && git ${agent} commit -qm "hook work" && echo 2 > src.txt`,
    );
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/the claimed worktree stays at (\S+) \(branch feature\/issue-101\)/);
    const at = /stays at (\S+) /.exec(run.stderr)?.[1] as string;
    expect(readFileSync(path.join(at, "src.txt"), "utf8")).toBe("2\n");
    expect(gitSync(at, "log", "-1", "--format=%s")).toBe("hook work");
    expect(gitSync(at, "symbolic-ref", "--short", "HEAD")).toBe("feature/issue-101");
    const status = await wtJson<{ slots: unknown[] }>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots).toEqual([]);
  });
});

/**
 * A fresh repository with a pool of one slot whose record says `warming` by a process that is
 * gone (a pid above Linux's largest): what a `wt pool fill` killed during the warm commands leaves.
 */
async function slotLeftWarming(): Promise<{ path: string }> {
  repo = setUp({ pool: { size: 1 } });
  await wtJson(repo.main, ["pool", "fill", "--json"]);
  const recordFile = path.join(repo.main, ".git", "wt", "pool", "1.json");
  const record = JSON.parse(readFileSync(recordFile, "utf8")) as { path: string };
  writeFileSync(recordFile, JSON.stringify({ ...record, state: "warming", pid: 2 ** 22 + 1 }));
  return record;
}

describe("work after wt's checks, second review", () => {
  it("a full-pool release refuses (exit 5) a late file also with status.showUntrackedFiles=no", async () => {
    repo = setUp({ pool: { size: 1 } });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--pool", "--json"]);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    gitSync(repo.main, "config", "status.showUntrackedFiles", "no");
    const late = path.join(made.path, "agent-note.txt");
    const PATH = gitOnPath(repo.root, `*"worktree remove"*) [ -e ${late} ] || echo note > ${late};;`);
    const run = await runWt(repo.main, ["release", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(5);
    expect(readFileSync(late, "utf8")).toBe("note\n");
  });

  it("a full-pool release of a tree with submodules asks git status inside them, whatever submodule.<name>.ignore says", async () => {
    repo = setUp({ pool: { size: 1 } });
    addLibSubmodule(repo);
    gitSync(repo.main, "config", "-f", ".gitmodules", "submodule.lib.ignore", "all");
    repo.commitAll("lib");
    gitSync(repo.main, "push", "-q", "origin", "main");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<CreateResult>(repo.main, ["create", "101", "--pool", "--json"]);
    gitFile(made.path, "submodule", "update", "--init", "-q");
    expect(existsSync(path.join(made.path, "lib", "lib.txt"))).toBe(true);
    const late = path.join(made.path, "lib", "new.txt");
    // Once the checks are over (the branch deleted), right before wt asks git status again,
    // an agent writes into the submodule.
    const armed = path.join(repo.root, "armed");
    const PATH = gitOnPath(
      repo.root,
      `*"update-ref --no-deref -d"*) : > ${armed};;
*"status --porcelain"*) [ -e ${armed} ] && [ ! -e ${late} ] && echo new > ${late};;`,
    );
    const run = await runWt(repo.main, ["release", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(5);
    expect(readFileSync(late, "utf8")).toBe("new\n");
  });

  it("a slot whose git worktree add stopped before HEAD (all zeros) is removed by drain, not an exit 6 for ever", async () => {
    const record = await slotLeftWarming();
    writeFileSync(path.join(repo.main, ".git", "worktrees", path.basename(record.path), "HEAD"), `${"0".repeat(40)}\n`);
    const drained = await runWt(repo.main, ["pool", "drain", "--json"]);
    expect(drained.code, drained.stderr).toBe(0);
    expect(existsSync(record.path)).toBe(false);
  });

  it("a warming slot switched to an orphan branch (no commit yet, files staged) is damaged, never removed", async () => {
    const record = await slotLeftWarming();
    gitSync(record.path, "switch", "-q", "--orphan", "fresh-start");
    writeFileSync(path.join(record.path, "idea.md"), "a new start\n");
    gitSync(record.path, "add", "idea.md");
    const status = await wtJson<{ slots: { state: string }[] }>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots.map((x) => x.state)).toEqual(["damaged"]);
    await wtJson(repo.main, ["pool", "drain", "--json"]);
    await runWt(repo.main, ["pool", "fill", "--json"]);
    expect(readFileSync(path.join(record.path, "idea.md"), "utf8")).toBe("a new start\n");
  });

  it("a claim's undo leaves the tree at the id's folder when a postCreate hook changed files git can switch over", async () => {
    const run = await stopAtHook(
      ["create", "101", "--pool"],
      "echo y > notes.txt && echo z >> wt.config.json",
      "SIGTERM",
    );
    expect(run.code, run.stderr).toBe(130);
    const at = /the claimed worktree stays at (\S+) \(branch/.exec(run.stderr)?.[1] as string;
    expect(at, run.stderr).toBeTruthy();
    expect(readFileSync(path.join(at, "notes.txt"), "utf8")).toBe("y\n");
    expect(readFileSync(path.join(at, "wt.config.json"), "utf8")).toMatch(/z\n$/);
    const status = await wtJson<{ slots: unknown[] }>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots).toEqual([]);
  });

  it("a rolled-back claim with nothing changed still goes back into the pool, its branch deleted", async () => {
    const run = await stopAtHook(["create", "101", "--pool"], "true");
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).not.toMatch(/stays at/);
    const status = await wtJson<{ slots: { state: string }[] }>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots.map((x) => x.state)).toEqual(["idle"]);
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
  });
});

describe("a claim interrupted while it copies an include", () => {
  it("puts the slot back without the part copied so far: the next claim gets the whole copy", async () => {
    repo = makeRepo({ origin: true });
    for (let p = 0; p < 600; p++) {
      const dir = path.join(repo.main, "node_modules", `pkg${p}`, "lib");
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 20; f++) writeFileSync(path.join(dir, `m${f}.js`), "module.exports = 1;\n");
    }
    repo.write(".gitignore", "node_modules/\n");
    repo.write(".worktreeinclude", "node_modules/\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 44400 }, pool: { size: 1 } }));
    repo.commitAll("setup");
    gitSync(repo.main, "push", "-q", "origin", "main");
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const copied = path.join(repo.root, "app-worktrees", "issue-101", "node_modules");
    const run = startWt(repo.main, ["create", "101", "--pool"]);
    await waitUntil(() => existsSync(copied), "the copy", run);
    run.child.kill("SIGINT");
    expect((await run.exit).code, run.stderr()).toBe(130);
    const status = await wtJson<{ slots: { path: string; state: string }[] }>(repo.main, ["pool", "status", "--json"]);
    expect(status.slots.map((x) => x.state)).toEqual(["idle"]);
    expect(existsSync(path.join(status.slots[0]?.path as string, "node_modules"))).toBe(false);
    const made = await wtJson<CreateResult & { warnings: string[] }>(repo.main, ["create", "102", "--pool", "--json"]);
    expect(made.warnings.join("\n")).not.toMatch(/not bringing/);
    const count = (dir: string) => readdirSync(dir, { recursive: true }).length;
    expect(count(path.join(made.path, "node_modules"))).toBe(count(path.join(repo.main, "node_modules")));
  });
});

describe("deleteBranchAt and branchHolder (real git)", () => {
  const at = (cwd: string) => ({ cwd, env: { ...process.env, ...GIT_ENV } });

  it("deletes only at the expected commit; reports moved, gone and checked out; a quoted name's section goes", async () => {
    repo = makeRepo();
    const main = repo.main;
    const head = gitSync(main, "rev-parse", "HEAD");
    const info = { commonDir: path.join(main, ".git"), mainPath: main, bare: false };
    gitSync(main, "commit", "-q", "--allow-empty", "-m", "two");
    const two = gitSync(main, "rev-parse", "HEAD");
    gitSync(main, "branch", "moving", head);
    expect(await deleteBranchAt(at(main), info, "moving", two)).toEqual({ deleted: false, why: "moved", now: head });
    expect(branchExists(main, "moving")).toBe(true);
    expect(await deleteBranchAt(at(main), info, "never-made", head)).toEqual({ deleted: false, why: "gone" });
    expect(await deleteBranchAt(at(main), info, "main", two)).toEqual({
      deleted: false,
      why: "checked-out",
      where: main,
    });
    const quoted = 'say"hi';
    gitSync(main, "branch", quoted, head);
    gitSync(main, "config", `branch.${quoted}.description`, "quoted");
    expect(await deleteBranchAt(at(main), info, quoted, head)).toEqual({ deleted: true });
    expect(branchExists(main, quoted)).toBe(false);
    expect(gitOk(main, "config", `branch.${quoted}.description`)).toBe(false);
    // A header written by hand with an escape git reads as the letter, and GIT_CONFIG set to
    // another file: the repository's own section still goes, as with git branch -D.
    gitSync(main, "branch", "escaped", head);
    writeFileSync(path.join(info.commonDir, "config"), '[branch "e\\scaped"]\n\tdescription = esc\n', { flag: "a" });
    expect(gitSync(main, "config", "branch.escaped.description")).toBe("esc");
    const elsewhere = path.join(repo.root, "other-config");
    writeFileSync(elsewhere, "");
    const withConfig = { cwd: main, env: { ...at(main).env, GIT_CONFIG: elsewhere } };
    expect(await deleteBranchAt(withConfig, info, "escaped", head)).toEqual({ deleted: true });
    expect(gitOk(main, "config", "branch.escaped.description")).toBe(false);
  });

  it("names the worktree whose rebase or bisect holds the branch while its HEAD is detached", () => {
    repo = makeRepo();
    const main = repo.main;
    const info = { commonDir: path.join(main, ".git"), mainPath: main, bare: false };
    gitSync(main, "commit", "-q", "--allow-empty", "-m", "two");
    gitSync(main, "branch", "topic");
    const rebasing = path.join(repo.root, "rebasing");
    gitSync(main, "worktree", "add", "-q", "--detach", rebasing);
    expect(branchHolder(info, "topic").where).toBeNull();
    // An interactive rebase of topic that stops at `break`: HEAD is detached, topic is held.
    const r = spawnSync("git", ["rebase", "-q", "-i", "HEAD~1", "topic"], {
      cwd: rebasing,
      env: { ...process.env, ...GIT_ENV, GIT_SEQUENCE_EDITOR: "sh -c 'echo break > \"$1\"' --" },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(gitOk(rebasing, "symbolic-ref", "-q", "HEAD")).toBe(false);
    expect(branchHolder(info, "topic").where).toBe(rebasing);
    // Aborted, the rebase puts topic back in HEAD: checked out there.
    gitSync(rebasing, "rebase", "--abort");
    expect(branchHolder(info, "topic").where).toBe(rebasing);
    gitSync(rebasing, "switch", "-q", "--detach");
    expect(branchHolder(info, "topic").where).toBeNull();
    // A bisect started on topic, which then detaches HEAD.
    gitSync(rebasing, "switch", "-q", "topic");
    for (const n of [3, 4, 5]) gitSync(rebasing, "commit", "-q", "--allow-empty", "-m", `c${n}`);
    gitSync(rebasing, "bisect", "start", "HEAD", "HEAD~4");
    expect(gitOk(rebasing, "symbolic-ref", "-q", "HEAD")).toBe(false);
    expect(branchHolder(info, "topic").where).toBe(rebasing);
    expect(branchHolder(info, "main")).toEqual({ where: main, headsKnown: true });
    // A HEAD file that does not say where HEAD is (reftable's placeholder): git's list decides.
    const admin = path.join(info.commonDir, "worktrees", path.basename(rebasing));
    gitSync(rebasing, "bisect", "reset");
    gitSync(rebasing, "switch", "-q", "--detach");
    writeFileSync(path.join(admin, "HEAD"), "ref: refs/heads/.invalid\n");
    expect(branchHolder(info, "topic")).toEqual({ where: null, headsKnown: false });
  });
});
