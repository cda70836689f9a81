import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, DoctorResult } from "../../src/index.js";
import {
  type ErrorJson,
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

// An adversarial run found ways `wt release` (and a claim's undo) lost work: deletes through a
// folder the agent swapped for a symlink into the main worktree, submodule commits removed with
// a tree, copies the agent edited deleted, a merge in progress put back into the pool. A
// release never resets work away: each is refused (exit 5) or left alone. Ports 462xx.

let repo: TestRepo;
afterEach(() => repo?.remove());

type Claim = CreateResult & { pool: { hit: boolean; reason: string | null } };

function setUp(config: object = {}, files: Record<string, string> = {}): TestRepo {
  const r = makeRepo({ files: { "package-lock.json": "{}\n", "src/app.js": "one\n", ...files } });
  r.write(".gitignore", "node_modules/\n.env\ndata\ncache/\n");
  r.write(".env", "SECRET=1\n");
  r.write(".worktreeinclude", ".env\n");
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 46200 }, pool: { size: 1 }, ...config }));
  r.commitAll("setup");
  trustRepo(r.main);
  return r;
}

async function claim(r: TestRepo, id: string): Promise<Claim> {
  const made = await wtJson<Claim>(r.main, ["create", id, "--pool", "--json"]);
  expect(made.pool.hit).toBe(true);
  return made;
}

/**
 * A repository whose base tracks `config.local`, and worktree 1 claimed from its pool whose
 * branch stopped tracking it (ignored now, still on disk): switching back to the base would
 * overwrite it.
 */
async function claimThatStopsTrackingConfigLocal(): Promise<Claim> {
  repo = setUp({}, { "config.local": "from the base\n" });
  await wtJson(repo.main, ["pool", "fill", "--json"]);
  const made = await claim(repo, "1");
  gitSync(made.path, "rm", "-q", "--cached", "config.local");
  writeFileSync(path.join(made.path, ".gitignore"), "node_modules/\n.env\ndata\ncache/\nconfig.local\n");
  gitSync(made.path, "commit", "-q", "-am", "config.local is local now");
  return made;
}

describe("wt release never loses work", () => {
  it("never deletes through a folder the agent swapped for a symlink into the main worktree (release, then a failed claim's undo)", async () => {
    repo = setUp({ envFile: "data/.env.local" });
    mkdirSync(path.join(repo.main, "data"));
    writeFileSync(path.join(repo.main, "data", ".env.local"), "MAIN'S OWN\n");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    expect(readFileSync(path.join(made.path, "data", ".env.local"), "utf8")).toContain("PORT=");
    // The agent shares the main worktree's data folder (ignored, so git status stays clean).
    rmSync(path.join(made.path, "data"), { recursive: true });
    symlinkSync(path.join(repo.main, "data"), path.join(made.path, "data"));
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<{ slot: string | null; warnings: string[] }>(run);
    expect(doc.warnings.join("\n")).toContain("not deleting");
    expect(readFileSync(path.join(repo.main, "data", ".env.local"), "utf8")).toBe("MAIN'S OWN\n");
    // The link went back into the pool with the slot: the next claim refuses to write through
    // it (exit 3) and its undo deletes nothing through it either.
    const again = await runWt(repo.main, ["create", "2", "--pool", "--json"]);
    expect(again.code, again.stderr).toBe(3);
    expect(readFileSync(path.join(repo.main, "data", ".env.local"), "utf8")).toBe("MAIN'S OWN\n");
    expect(existsSync(path.join(doc.slot as string, "data"))).toBe(true);
  });

  it("refuses (exit 5) a copy the agent edited, and a file added inside a copied folder; both stay", async () => {
    repo = setUp();
    repo.write(".worktreeinclude", ".env\ncache/\n");
    mkdirSync(path.join(repo.main, "cache"));
    writeFileSync(path.join(repo.main, "cache", "a.bin"), "cache\n");
    repo.commitAll("include cache");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    writeFileSync(path.join(made.path, ".env"), "SECRET=edited by the agent\n");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual([".env"]);
    expect(readFileSync(path.join(made.path, ".env"), "utf8")).toContain("edited by the agent");

    writeFileSync(path.join(made.path, ".env"), "SECRET=1\n");
    writeFileSync(path.join(made.path, "cache", "agent-note.txt"), "keep me\n");
    const added = await runWt(repo.main, ["release", "1", "--json"]);
    expect(added.code, added.stderr).toBe(5);
    expect(json<ErrorJson>(added).error.message).toContain("cache/agent-note.txt");
    expect(readFileSync(path.join(made.path, "cache", "agent-note.txt"), "utf8")).toBe("keep me\n");
    rmSync(path.join(made.path, "cache", "agent-note.txt"));
    expect((await runWt(repo.main, ["release", "1", "--json"])).code).toBe(0);
  });

  it("refuses (exit 5) a merge in progress that git status does not show, and the slot is not poisoned", async () => {
    repo = setUp();
    gitSync(repo.main, "switch", "-q", "-c", "other");
    repo.write("other.txt", "other\n");
    repo.commitAll("other");
    gitSync(repo.main, "switch", "-q", "main");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    gitSync(made.path, "merge", "-q", "-s", "ours", "--no-commit", "other");
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error).toMatchObject({ code: "in-progress" });
    expect(json<ErrorJson>(run).error.message).toContain("merge in progress");
    expect(existsSync(path.join(made.path, "src/app.js"))).toBe(true);
    gitSync(made.path, "merge", "--abort");
    expect((await runWt(repo.main, ["release", "1", "--json"])).code).toBe(0);
    await claim(repo, "2");
  });

  it("refuses (exit 5) submodule commits no remote holds, also when the pool is full (the tree would be removed)", async () => {
    repo = setUp();
    addLibSubmodule(repo);
    repo.commitAll("lib");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    await wtJson(repo.main, ["pool", "fill", "--json"]); // full again: a release would remove the tree
    gitFile(made.path, "submodule", "update", "--init", "-q");
    const lib = path.join(made.path, "lib");
    gitSync(lib, "switch", "-q", "-c", "wip");
    writeFileSync(path.join(lib, "lib.txt"), "work only here\n");
    gitSync(lib, "commit", "-q", "-am", "submodule work");
    const work = gitSync(lib, "rev-parse", "HEAD");
    gitSync(lib, "switch", "-q", "--detach", "HEAD~1");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.message).toContain("submodule work");
    expect(json<ErrorJson>(run).error.hint).not.toContain("--force");
    expect(gitSync(lib, "cat-file", "-t", work)).toBe("commit");
  });

  it("removes a tree with initialised (clean) submodules instead of a half release: git cannot move it", async () => {
    repo = setUp();
    addLibSubmodule(repo);
    repo.commitAll("lib");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    gitFile(made.path, "submodule", "update", "--init", "-q");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<{ slot: string | null; warnings: string[] }>(run);
    expect(doc.slot).toBeNull();
    expect(doc.warnings.join("\n")).toContain("initialised submodules");
    expect(existsSync(made.path)).toBe(false);
    expect(existsSync(path.join(repo.main, ".git", "wt", "worktrees", "1.json"))).toBe(false);
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).not.toContain(made.path);
  });

  it("a git repository of its own inside an ignored folder refuses cleanup (exit 5, protected) and a removing release", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    await wtJson(repo.main, ["pool", "fill", "--json"]); // full again: the release would remove the tree
    const notes = path.join(made.path, "cache", "notes");
    mkdirSync(notes, { recursive: true });
    gitSync(notes, "init", "-q", "-b", "main");
    writeFileSync(path.join(notes, "n.md"), "only here\n");
    gitSync(notes, "add", "n.md");
    gitSync(notes, "commit", "-q", "-m", "notes");
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    const release = await runWt(repo.main, ["release", "1", "--json"]);
    expect(release.code, release.stderr).toBe(5);
    expect(json<ErrorJson>(release).error).toMatchObject({ code: "protected", files: ["cache/notes"] });
    expect(json<ErrorJson>(release).error.hint).not.toContain("--force");
    const cleanup = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(cleanup.code, cleanup.stderr).toBe(5);
    expect(json<ErrorJson>(cleanup).error.message).toContain("cache/notes");
    expect(readFileSync(path.join(notes, "n.md"), "utf8")).toBe("only here\n");
    expect((await runWt(repo.main, ["cleanup", "1", "--force", "--json"])).code).toBe(0);
    expect(existsSync(made.path)).toBe(false);
  });

  it("a slot whose warm commands initialised submodules is not claimed (git cannot move it): a cold create, with a warning", async () => {
    repo = setUp({ pool: { size: 1, warm: ["git -c protocol.file.allow=always submodule update --init -q"] } });
    addLibSubmodule(repo);
    repo.commitAll("lib");
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<Claim>(repo.main, ["create", "1", "--pool", "--json"]);
    expect(made.pool).toEqual({ hit: false, reason: "stale" });
    expect(made.warnings.join("\n")).toContain("initialised submodules");
    expect(existsSync(path.join(made.path, "src/app.js"))).toBe(true);
  });

  it("keeps an integrated branch when the worktree's detached HEAD has commits only it holds (a commit and its revert)", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    writeFileSync(path.join(made.path, "src/app.js"), "two\n");
    gitSync(made.path, "commit", "-q", "-am", "A");
    const a = gitSync(made.path, "rev-parse", "HEAD");
    gitSync(made.path, "revert", "--no-edit", "HEAD");
    gitSync(made.path, "switch", "-q", "--detach", "HEAD~1"); // HEAD at A, held by the branch alone
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const row = json<{ removed: { branchDeleted: boolean; branchKept: string | null }[] }>(run).removed[0];
    expect(row).toMatchObject({ branchDeleted: false });
    expect(row?.branchKept).toContain("detached HEAD");
    expect(gitSync(repo.main, "branch", "--contains", a)).toContain(made.branch);
  });

  it("refuses (exit 5) to release or clean up a worktree whose own ref (refs/worktree/*) alone holds a commit: git worktree remove deletes it", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    writeFileSync(path.join(made.path, "src/app.js"), "kept only by the ref\n");
    gitSync(made.path, "commit", "-q", "-am", "only in refs/worktree/keep");
    const kept = gitSync(made.path, "rev-parse", "HEAD");
    gitSync(made.path, "update-ref", "refs/worktree/keep", "HEAD");
    gitSync(made.path, "reset", "-q", "--hard", "HEAD~1");
    for (const verb of [
      ["release", "1"],
      ["cleanup", "1"],
    ]) {
      const run = await runWt(repo.main, [...verb, "--json"]);
      expect(run.code, run.stderr).toBe(5);
      const err = json<ErrorJson>(run).error;
      expect(err.code).toBe("unreachable-commits");
      expect(err.commits).toEqual([kept]);
      expect(err.message).toContain("refs/worktree/keep");
    }
    expect(gitSync(made.path, "rev-parse", "refs/worktree/keep")).toBe(kept);
    gitSync(made.path, "branch", "saved", "refs/worktree/keep");
    expect((await runWt(repo.main, ["release", "1", "--json"])).code).toBe(0);
    expect(gitSync(repo.main, "rev-parse", "saved")).toBe(kept);
  });

  it("refuses (exit 5) to overwrite an ignored file the base tracks and the branch stopped tracking (git switch would, silently)", async () => {
    const made = await claimThatStopsTrackingConfigLocal();
    writeFileSync(path.join(made.path, "config.local"), "THE AGENT'S OWN\n");
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual(["config.local"]);
    expect(readFileSync(path.join(made.path, "config.local"), "utf8")).toBe("THE AGENT'S OWN\n");
    expect(readFileSync(path.join(made.path, ".env"), "utf8")).toBe("SECRET=1\n");
    rmSync(path.join(made.path, "config.local"));
    expect((await runWt(repo.main, ["release", "1", "--json"])).code).toBe(0);
  });

  it("a copy it cannot delete (chattr +i): exit 3 naming EPERM, the release undone (link and info/exclude back), and it goes once fixed", async (ctx) => {
    repo = setUp({ include: { symlink: ["node_modules"] } });
    mkdirSync(path.join(repo.main, "node_modules"));
    writeFileSync(path.join(repo.main, ".worktreeinclude"), ".env\nnode_modules\n");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    const copy = path.join(made.path, ".env");
    if (spawnSync("chattr", ["+i", copy]).status !== 0) ctx.skip();
    try {
      const run = await runWt(repo.main, ["release", "1", "--json"]);
      expect(run.code, run.stderr).toBe(3);
      expect(json<ErrorJson>(run).error.message).toContain("EPERM");
      // Undone: the worktree is as it was, with nothing of wt's showing in git status.
      expect(readlinkSync(path.join(made.path, "node_modules"))).toBe(path.join(repo.main, "node_modules"));
      expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    } finally {
      spawnSync("chattr", ["-i", copy]);
    }
    expect((await runWt(repo.main, ["release", "1", "--json"])).code).toBe(0);
  });

  it("a file the branch tracks where the base has a folder (docs -> docs/a.md) is no file in the way: the release goes, git replaces it", async () => {
    repo = setUp({}, { "docs/a.md": "from the base\n" });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    gitSync(made.path, "rm", "-q", "-r", "docs");
    writeFileSync(path.join(made.path, "docs"), "a file now\n");
    gitSync(made.path, "add", "docs");
    gitSync(made.path, "commit", "-q", "-m", "docs is a file");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const slot = json<{ slot: string }>(run).slot;
    expect(readFileSync(path.join(slot, "docs", "a.md"), "utf8")).toBe("from the base\n");
  });

  it("with --reap, a refusal of the plan (a file the base would overwrite) comes before any process is stopped", async () => {
    const made = await claimThatStopsTrackingConfigLocal();
    const sleeper = spawn("sh", ["-c", "exec sleep 60"], { cwd: made.path, stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const run = await runWt(repo.main, ["release", "1", "--reap", "--json"]);
      expect(run.code, run.stderr).toBe(5);
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("a copied entry that is a link to a folder of the main worktree is copied as that folder, and an edit inside it refuses the release", async () => {
    repo = setUp();
    mkdirSync(path.join(repo.main, "data", "fixtures"), { recursive: true });
    writeFileSync(path.join(repo.main, "data", "fixtures", "x.json"), "{}\n");
    symlinkSync(path.join(repo.main, "data", "fixtures"), path.join(repo.main, "fixtures"));
    writeFileSync(path.join(repo.main, ".gitignore"), "node_modules/\n.env\ndata\ncache/\nfixtures\n");
    writeFileSync(path.join(repo.main, ".worktreeinclude"), ".env\nfixtures\n");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    const inside = path.join(made.path, "fixtures", "x.json");
    writeFileSync(inside, '{"edited":true}\n');
    expect(readFileSync(path.join(repo.main, "data", "fixtures", "x.json"), "utf8")).toBe("{}\n");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(readFileSync(inside, "utf8")).toBe('{"edited":true}\n');
  });

  it("refuses (exit 5) a sparse checkout: the next claimer would get the slot sparse", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    gitSync(made.path, "sparse-checkout", "set", "src");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error).toMatchObject({ code: "dirty" });
    expect(json<ErrorJson>(run).error.message).toContain("sparse checkout");
    gitSync(made.path, "sparse-checkout", "disable");
    expect((await runWt(repo.main, ["release", "1", "--json"])).code).toBe(0);
    const next = await claim(repo, "2");
    expect(existsSync(path.join(next.path, "package-lock.json"))).toBe(true);
  });
});

describe("a commit made while a release checks the worktree", () => {
  it("stops (exit 4, nothing changed) when the commit lands while git status runs, then a release keeps the branch with it", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    // The agent's commit lands 1 s into the release's git status of the worktree (once), and
    // the status then sees a clean tree: HEAD is no longer where git's worktree list saw it.
    const marker = path.join(repo.root, "committed");
    const PATH = gitOnPath(
      repo.root,
      `*"status --porcelain=v2 -z --untracked-files=all"*) if [ ! -e ${marker} ]; then : > ${marker}; sleep 1; echo work > work.txt; "$GIT" add work.txt; "$GIT" -c user.name=agent -c user.email=agent@example.com commit -q -m "agent work"; fi;;`,
    );
    const run = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(existsSync(marker)).toBe(true);
    expect(run.code, run.stderr).toBe(4);
    expect(gitSync(repo.main, "log", "-1", "--format=%s", made.branch)).toBe("agent work");
    expect(gitSync(made.path, "symbolic-ref", "--short", "HEAD")).toBe(made.branch);
    const again = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(again.code, again.stderr).toBe(0);
    const out = json<{ branchDeleted: boolean; branchKept: string | null }>(again);
    expect(out.branchDeleted).toBe(false);
    expect(out.branchKept).toMatch(/not integrated/);
    expect(gitSync(repo.main, "log", "-1", "--format=%s", made.branch)).toBe("agent work");
  });

  it("stops (exit 4, nothing changed) when the commit lands after the checks: HEAD is detached only where they saw it", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    // Right before the release detaches HEAD (the checks passed: the branch is at the base and
    // would be deleted), the agent commits.
    const PATH = gitOnPath(
      repo.root,
      `*"update-ref --no-deref -m wt release: detach HEAD"*) (cd ${made.path} && echo work > work.txt && "$GIT" add work.txt && "$GIT" -c user.name=agent -c user.email=agent@example.com commit -q -m "agent work");;`,
    );
    const run = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(4);
    expect(json<ErrorJson>(run).error.message).toMatch(/changed while it was being released/);
    expect(gitSync(repo.main, "log", "-1", "--format=%s", made.branch)).toBe("agent work");
    expect(gitSync(made.path, "symbolic-ref", "--short", "HEAD")).toBe(made.branch);
    expect(existsSync(path.join(made.path, ".env")), "the copy wt brought is still there").toBe(true);
    // Once nothing works in it, the release goes and keeps the branch with the commit.
    const again = json<{ branchDeleted: boolean }>(await runWt(repo.main, ["release", "1", "--json"]));
    expect(again.branchDeleted).toBe(false);
    expect(gitSync(repo.main, "log", "-1", "--format=%s", made.branch)).toBe("agent work");
  });

  it("a commit made between the re-check and git switch: exit 4, HEAD switched back to it (never left on no branch), and the next release refuses it", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    writeFileSync(path.join(made.path, "mine.txt"), "mine\n");
    gitSync(made.path, "add", "mine.txt");
    gitSync(made.path, "commit", "-q", "-m", "own commit");
    const PATH = gitOnPath(
      repo.root,
      `*"switch --detach"*) [ -e late.txt ] || { echo late > late.txt; "$GIT" add late.txt; "$GIT" -c user.name=agent -c user.email=agent@example.com commit -q -m "late commit"; };;`,
    );
    const run = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(4);
    expect(gitSync(made.path, "log", "-1", "--format=%s", "HEAD")).toBe("late commit");
    expect(readFileSync(path.join(made.path, "late.txt"), "utf8")).toBe("late\n");
    expect(gitSync(repo.main, "log", "-1", "--format=%s", made.branch)).toBe("own commit");
    // The late commit is on the detached HEAD only: a release now refuses rather than drop it.
    const again = await runWt(repo.main, ["release", "1", "--json"]);
    expect(again.code, again.stderr).toBe(5);
  });

  it("a commit made at git switch with no reflog kept, or right after it (before wt reads HEAD back): exit 4, HEAD on the commit", async () => {
    repo = setUp({ pool: { size: 2 } });
    // No reflog from the start: the slots git makes have none of their own (git-config(1)).
    gitSync(repo.main, "config", "core.logAllRefUpdates", "false");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const commitLate = `[ -e late.txt ] || { echo late > late.txt; "$GIT" add late.txt; "$GIT" -c user.name=agent -c user.email=agent@example.com commit -q -m "late commit"; }`;
    const cases = [
      { id: "1", arm: `*"switch --detach"*) ${commitLate};;` },
      { id: "2", arm: `*"rev-parse HEAD HEAD@{1}"*) ${commitLate};;` },
    ];
    for (const c of cases) {
      const made = await claim(repo, c.id);
      writeFileSync(path.join(made.path, "mine.txt"), "mine\n");
      gitSync(made.path, "add", "mine.txt");
      gitSync(made.path, "commit", "-q", "-m", "own commit");
      const PATH = gitOnPath(path.join(repo.root, `bin-${c.id}`), c.arm);
      const run = await runWt(repo.main, ["release", c.id, "--json"], { PATH });
      expect(run.code, `${c.arm}: ${run.stderr}`).toBe(4);
      expect(gitSync(made.path, "log", "-1", "--format=%s", "HEAD"), c.arm).toBe("late commit");
      expect(readFileSync(path.join(made.path, "late.txt"), "utf8")).toBe("late\n");
      expect((await runWt(repo.main, ["release", c.id, "--json"])).code, "a detached commit is refused").toBe(5);
    }
  });

  it("a step failing after the branch was deleted leaves HEAD detached, not on the deleted branch, and the release goes once fixed", async () => {
    repo = setUp({ pool: { size: 2 } });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    const PATH = gitOnPath(repo.root, `*"worktree move"*) exit 1;;`);
    const failed = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(failed.code, failed.stderr).toBe(6);
    expect(spawnSync("git", ["-C", made.path, "symbolic-ref", "-q", "HEAD"]).status, "HEAD is detached").toBe(1);
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    const again = await runWt(repo.main, ["release", "1", "--json"]);
    expect(again.code, again.stderr).toBe(0);
  });
});

describe("a release of a worktree a stopped cleanup locked", () => {
  it("refuses (exit 4, locked) with nothing changed: git cannot move a locked worktree back into the pool", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    const admin = gitSync(made.path, "rev-parse", "--path-format=absolute", "--git-dir");
    // As a cleanup stopped between its lock and its move into wt's trash leaves it.
    writeFileSync(path.join(admin, "locked"), "wt cleanup moved it to wt's trash (pid 999999)\n");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(4);
    expect(json<ErrorJson>(run).error.code).toBe("locked");
    expect(existsSync(path.join(made.path, "src", "app.js"))).toBe(true);
    expect(gitSync(made.path, "branch", "--show-current")).toBe(made.branch);
  });
});

describe("a release stopped halfway", () => {
  it("killed right after git worktree move: wt doctor names it, --fix finishes the release, and the slot is claimed again", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    await claim(repo, "1");
    const PATH = gitOnPath(repo.root, `*"worktree move"*) "$GIT" "$@"; kill -9 $PPID; exit 1;;`);
    const killed = await runWt(repo.main, ["release", "1", "--json"], { PATH });
    expect(killed.code, killed.stderr).toBeNull();
    const healthy = await runWt(repo.main, ["doctor", "--json"]);
    const doc = json<DoctorResult>(healthy);
    const found = doc.checks.find((c) => c.check === "release-unfinished");
    expect(found, JSON.stringify(doc)).toMatchObject({ id: "1", severity: "error" });
    // The pool's folder is wt's, not a stray one to move aside.
    expect(doc.checks.map((c) => c.check)).not.toContain("orphan-folder");
    const fixed = json<DoctorResult>(await runWt(repo.main, ["doctor", "--fix", "--json"]));
    // (The machine's port registry, shared by the test run, may add stale-slot fixes of its own.)
    expect(fixed.checks.find((c) => c.check === "release-unfinished")?.fix?.applied).toBe(true);
    expect(fixed.summary.errors).toBe(0);
    const after = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    expect(after.checks.filter((c) => c.severity === "error")).toEqual([]);
    await claim(repo, "2");
  });
});

describe("wt pool drain and fill never delete or overwrite work left in a slot", () => {
  type PoolDoc = { removed: string[]; warnings: string[] };
  const nestedRepo = (folder: string) => {
    mkdirSync(folder, { recursive: true });
    gitSync(folder, "init", "-q");
    writeFileSync(path.join(folder, "f"), "x\n");
    gitSync(folder, "add", "f");
    gitSync(folder, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "nested");
  };

  it("a protected file and a repository of its own a claimer left (kept by its release) stop drain; what the warm commands made does not", async () => {
    repo = setUp({
      pool: { size: 1, warm: ["mkdir -p cache/tool && echo W=1 > cache/.env.warm && git init -q cache/tool"] },
    });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    nestedRepo(path.join(made.path, "data", "nested"));
    writeFileSync(path.join(made.path, "data", ".env.secret"), "MINE\n");
    const released = await wtJson<{ slot: string }>(repo.main, ["release", "1", "--json"]);
    const drained = await wtJson<PoolDoc>(repo.main, ["pool", "drain", "--json"]);
    expect(drained.removed).toEqual([]);
    expect(drained.warnings.join("\n")).toContain("data/.env.secret");
    expect(drained.warnings.join("\n")).toContain("data/nested");
    expect(readFileSync(path.join(released.slot, "data", ".env.secret"), "utf8")).toBe("MINE\n");
    // Once the claimer's files are gone, the warm state (cache/.env.warm, cache/tool's repository) is no reason to keep it.
    rmSync(path.join(released.slot, "data"), { recursive: true });
    const again = await wtJson<PoolDoc>(repo.main, ["pool", "drain", "--json"]);
    expect(again.removed).toEqual([released.slot]);
  });

  it("an idle slot whose own ref (refs/worktree/*) alone holds a commit is left by drain", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const slot = json<{ slots: { path: string }[] }>(await runWt(repo.main, ["pool", "status", "--json"])).slots[0]
      ?.path as string;
    const base = gitSync(slot, "rev-parse", "HEAD");
    writeFileSync(path.join(slot, "w.txt"), "work\n");
    gitSync(slot, "add", "w.txt");
    gitSync(slot, "commit", "-q", "-m", "work in the slot");
    const work = gitSync(slot, "rev-parse", "HEAD");
    gitSync(slot, "update-ref", "refs/worktree/keep", "HEAD");
    gitSync(slot, "switch", "-q", "--detach", base);
    const drained = await wtJson<PoolDoc>(repo.main, ["pool", "drain", "--json"]);
    expect(drained.removed).toEqual([]);
    expect(drained.warnings.join("\n")).toContain("refs/worktree/keep");
    expect(gitSync(slot, "rev-parse", "refs/worktree/keep")).toBe(work);
  });

  it("fill does not move a slot to a base that now tracks a file the slot has on disk (git switch would overwrite it)", async () => {
    repo = setUp();
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await claim(repo, "1");
    mkdirSync(path.join(made.path, "cache"));
    writeFileSync(path.join(made.path, "cache", "notes.md"), "precious\n");
    const released = await wtJson<{ slot: string }>(repo.main, ["release", "1", "--json"]);
    mkdirSync(path.join(repo.main, "cache"));
    writeFileSync(path.join(repo.main, "cache", "notes.md"), "tracked now\n");
    gitSync(repo.main, "add", "-f", "cache/notes.md");
    gitSync(repo.main, "commit", "-q", "-m", "track cache/notes.md");
    const filled = await wtJson<PoolDoc>(repo.main, ["pool", "fill", "--json"]);
    expect(filled.warnings.join("\n")).toContain("cache/notes.md");
    expect(readFileSync(path.join(released.slot, "cache", "notes.md"), "utf8")).toBe("precious\n");
  });
});
