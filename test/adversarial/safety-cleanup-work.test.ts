import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import {
  type ErrorJson,
  GIT_ENV,
  gitOk,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  WT_BIN,
  worktreePaths,
  wtEnv,
  wtJson,
} from "../helpers/repo.js";
import { addLibSubmodule, gitFile } from "../helpers/submodule.js";

// Issue 9, items 1, 5, 6 and 13: work that `git status` does not show must not go unseen.

let repo: TestRepo;
afterEach(() => repo?.remove());

/** Ports of this file only (CONTRACT: tests never use well-known ports). */
const PORTS = { PORT: 47300 };

function configure(r: TestRepo, extra: object = {}): void {
  r.write("wt.config.json", JSON.stringify({ ports: PORTS, portSlots: 100, ...extra }));
  r.commitAll("wt config");
  trustRepo(r.main);
}

const create = (r: TestRepo, id: string) => wtJson<CreateResult>(r.main, ["create", id, "--json"]);
const dryRun = async (r: TestRepo, id: string) =>
  (await wtJson<CleanupResult>(r.main, ["cleanup", id, "--dry-run", "--json"])).removed[0];

describe("item 1: work in a worktree's submodule", () => {
  /** A repository with submodule `lib` whose origin is a local bare repository, and worktree 1 with it initialised. */
  async function repoWithSubmodule(): Promise<{ wt: string; lib: string; libOrigin: string }> {
    repo = makeRepo();
    const libOrigin = addLibSubmodule(repo);
    configure(repo);
    const made = await create(repo, "1");
    gitFile(made.path, "submodule", "update", "--init", "-q");
    return { wt: made.path, lib: path.join(made.path, "lib"), libOrigin };
  }

  it("a commit that lives only in the submodule refuses (exit 5, naming it); once pushed, cleanup goes", async () => {
    const { wt, lib } = await repoWithSubmodule();
    gitSync(lib, "checkout", "-q", "-b", "topic");
    writeFileSync(path.join(lib, "new.txt"), "only here\n");
    gitSync(lib, "add", "new.txt");
    gitSync(lib, "commit", "-q", "-m", "only in the worktree's submodule");
    const commit = gitSync(lib, "rev-parse", "HEAD");
    gitSync(wt, "add", "lib");
    gitSync(wt, "commit", "-q", "-m", "bump lib");
    // Its git dir goes with the worktree: nothing else holds the commit.
    expect(gitSync(lib, "rev-parse", "--absolute-git-dir")).toContain(path.join(".git", "worktrees"));

    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const err = json<ErrorJson>(run).error;
    expect(err.code).toBe("unreachable-commits");
    expect(err.message).toContain(
      `lib: 1 commit(s) on no remote-tracking ref of the submodule: ${commit.slice(0, 12)}`,
    );
    expect(err.submodules).toEqual([{ path: "lib", changes: [], commits: [commit] }]);
    expect(gitOk(lib, "cat-file", "-e", commit)).toBe(true);
    expect(worktreePaths(repo.main)).toContain(wt);

    // --merged/--all skip it, saying why.
    const all = await wtJson<CleanupResult>(repo.main, ["cleanup", "--all", "--json"]);
    expect(all.removed).toEqual([]);
    expect(all.skipped).toMatchObject([{ id: "1", code: "unreachable-commits" }]);

    gitSync(lib, "push", "-q", "origin", "topic");
    const done = await runWt(repo.main, ["cleanup", "1"]);
    expect(done.code, done.stderr).toBe(0);
    expect(existsSync(wt)).toBe(false);
  });

  it("a dirty submodule refuses even when .gitmodules hides it from git status (ignore = all)", async () => {
    const { wt, lib } = await repoWithSubmodule();
    gitSync(wt, "config", "-f", ".gitmodules", "submodule.lib.ignore", "all");
    gitSync(wt, "commit", "-q", "-am", "ignore lib in status");
    writeFileSync(path.join(lib, "lib.txt"), "edited in the submodule\n");
    writeFileSync(path.join(lib, "draft.txt"), "untracked in the submodule\n");
    expect(gitSync(wt, "status", "--porcelain")).toBe("");

    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const err = json<ErrorJson>(run).error;
    expect(err.code).toBe("dirty");
    expect(err.message).toMatch(/lib: uncommitted changes: .*M lib\.txt, \?\? draft\.txt/);
    expect(readFileSync(path.join(lib, "draft.txt"), "utf8")).toBe("untracked in the submodule\n");

    const forced = await runWt(repo.main, ["cleanup", "1", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(wt)).toBe(false);
  });

  it("an edit inside a submodule that git status cannot show (a marked file) refuses too", async () => {
    const { wt, lib } = await repoWithSubmodule();
    gitSync(lib, "update-index", "--skip-worktree", "lib.txt");
    writeFileSync(path.join(lib, "lib.txt"), "edited where git status does not look\n");
    expect(gitSync(lib, "status", "--porcelain")).toBe("");
    expect(gitSync(wt, "status", "--porcelain")).toBe("");

    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const err = json<ErrorJson>(run).error;
    expect(err.code).toBe("dirty");
    expect(err.message).toContain("lib: uncommitted changes:  M lib.txt (marked skip-worktree)");
    expect(readFileSync(path.join(lib, "lib.txt"), "utf8")).toBe("edited where git status does not look\n");
    expect(existsSync(wt)).toBe(true);
  });
});

describe("item 5: a file moved into a copied folder keeps its old mtime", () => {
  function repoWithFixtures(): TestRepo {
    const r = makeRepo();
    r.write(".gitignore", "fixtures/\n");
    r.write(".worktreeinclude", "fixtures/\n");
    configure(r);
    for (let i = 0; i < 5; i++) r.write(`fixtures/f${i}.json`, `{"n":${i}}\n`);
    return r;
  }

  /** A file outside the worktree, with an mtime from 2001 (as `mv`, `tar x`, `cp -p` keep). */
  function oldFile(name: string, content: string): string {
    const file = path.join(repo.root, name);
    writeFileSync(file, content);
    const old = new Date("2001-01-01T00:00:00Z");
    utimesSync(file, old, old);
    return file;
  }

  it("a new path and a same-size replacement are listed by --dry-run and in the cleanup's summary", async () => {
    repo = repoWithFixtures();
    const made = await create(repo, "1");
    renameSync(oldFile("dataset.csv", "a,b\n1,2\n"), path.join(made.path, "fixtures", "dataset.csv"));
    // Replaces a copied file by another inode of the very same size, with an old mtime.
    renameSync(oldFile("f1.json", '{"n":9}\n'), path.join(made.path, "fixtures", "f1.json"));

    const plan = await dryRun(repo, "1");
    expect(plan?.editedCopies).toEqual(["fixtures/dataset.csv", "fixtures/f1.json"]);
    expect(plan?.plan?.join("\n")).toContain("delete fixtures/dataset.csv: copied by wt and EDITED since");

    const run = await runWt(repo.main, ["cleanup", "1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("deleted copies edited since wt made them: fixtures/dataset.csv, fixtures/f1.json");
    expect(run.stderr).toContain("1: fixtures/dataset.csv was copied by wt and edited since");
  });

  it("a record without a copy manifest (older wt) falls back to comparing times", async () => {
    repo = repoWithFixtures();
    const made = await create(repo, "1");
    const manifest = path.join(repo.main, ".git", "wt", "copies", "1.json");
    expect(existsSync(manifest)).toBe(true);
    rmSync(manifest);
    renameSync(oldFile("dataset.csv", "a,b\n"), path.join(made.path, "fixtures", "dataset.csv"));
    writeFileSync(path.join(made.path, "fixtures", "fresh.json"), "{}\n");
    expect((await dryRun(repo, "1"))?.editedCopies).toEqual(["fixtures/fresh.json"]);
    expect((await runWt(repo.main, ["cleanup", "1"])).code).toBe(0);
  });

  it("the manifest goes with the record: cleanup and a rolled-back create leave none", async () => {
    repo = repoWithFixtures();
    await create(repo, "1");
    const copies = path.join(repo.main, ".git", "wt", "copies");
    expect(existsSync(path.join(copies, "1.json"))).toBe(true);
    expect((await runWt(repo.main, ["cleanup", "1"])).code).toBe(0);
    expect(existsSync(path.join(copies, "1.json"))).toBe(false);

    // A database init that fails after the copies: the create rolls back, manifest included.
    configure(repo, { databases: [{ path: "data/{name}.db", init: "exit 3" }] });
    const failed = await runWt(repo.main, ["create", "2"]);
    expect(failed.code, failed.stderr).toBe(6);
    expect(existsSync(path.join(repo.main, ".git", "wt", "worktrees", "2.json"))).toBe(false);
    expect(existsSync(path.join(copies, "2.json"))).toBe(false);
  });

  it("stays fast for a copied folder of 30,000 files", { timeout: 240_000 }, async () => {
    repo = makeRepo();
    repo.write(".gitignore", "big/\n");
    repo.write(".worktreeinclude", "big/\n");
    configure(repo);
    for (let d = 0; d < 100; d++) {
      mkdirSync(path.join(repo.main, "big", `d${d}`), { recursive: true });
      for (let f = 0; f < 300; f++) writeFileSync(path.join(repo.main, "big", `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
    }
    const made = await create(repo, "1");
    const manifest = JSON.parse(readFileSync(path.join(repo.main, ".git", "wt", "copies", "1.json"), "utf8"));
    expect(manifest.folders.big).toHaveLength(30_000);
    renameSync(oldFile("moved.bin", "x"), path.join(made.path, "big", "d42", "moved.bin"));
    const started = Date.now();
    const plan = await dryRun(repo, "1");
    const ms = Date.now() - started;
    expect(plan?.editedCopies).toEqual(["big/d42/moved.bin"]);
    // A whole `wt cleanup --dry-run` (node start, git, the walk) on a machine shared by six
    // test runs; the walk itself is ~0.1 s of it.
    expect(ms).toBeLessThan(20_000);
    console.log(`cleanup --dry-run of a 30,000-file copied folder: ${ms} ms`);
  });
});

describe("item 6: ignored files the user made in a worktree", () => {
  it("are listed, collapsed by folder, by --dry-run, --json and the summary; wt's own files are not", async () => {
    repo = makeRepo();
    repo.write(".gitignore", "notes/\n*.log\n.env\n");
    repo.write(".worktreeinclude", ".env\n");
    configure(repo);
    repo.write(".env", "FROM_MAIN=1\n");
    const made = await create(repo, "1");
    mkdirSync(path.join(made.path, "notes", "deep"), { recursive: true });
    for (let i = 0; i < 10; i++) writeFileSync(path.join(made.path, "notes", `n${i}.md`), `${i}\n`);
    for (let i = 0; i < 2; i++) writeFileSync(path.join(made.path, "notes", "deep", `d${i}.md`), `${i}\n`);
    writeFileSync(path.join(made.path, "debug.log"), "log\n");
    mkdirSync(path.join(made.path, "logs"));
    for (let i = 0; i < 5; i++) writeFileSync(path.join(made.path, "logs", `l${i}.log`), "log\n");

    const plan = await dryRun(repo, "1");
    // .env (brought by wt) and .env.local (wt's env file) are wt's own, not listed.
    expect(plan?.ignoredRemoved).toEqual([
      { path: "debug.log", files: 1 },
      { path: "logs/", files: 5 },
      { path: "notes/", files: 12 },
    ]);
    expect(plan?.plan).toContain("delete notes/ (12 files): ignored by git, not made by wt");
    expect(existsSync(path.join(made.path, "notes", "n0.md"))).toBe(true);

    const run = await runWt(repo.main, ["cleanup", "1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "deleted ignored files wt did not make: debug.log, logs/ (5 files), notes/ (12 files)",
    );
  });

  it("an ignored .env.production the user made refuses (exit 5, default cleanup.protect) unless --force", async () => {
    repo = makeRepo();
    repo.write(".gitignore", ".env*\nconfig/\n");
    configure(repo);
    const made = await create(repo, "1");
    writeFileSync(path.join(made.path, ".env.production"), "SECRET=1\n");
    mkdirSync(path.join(made.path, "config"));
    writeFileSync(path.join(made.path, "config", ".env.staging"), "SECRET=2\n");

    for (const args of [
      ["cleanup", "1", "--json"],
      ["cleanup", "1", "--dry-run", "--json"],
    ]) {
      const run = await runWt(repo.main, args);
      expect(run.code, run.stderr).toBe(5);
      const err = json<ErrorJson>(run).error;
      expect(err.code).toBe("protected");
      expect(err.files).toEqual([".env.production", "config/.env.staging"]);
      expect(err.hint).toContain("--force");
    }
    const all = await wtJson<CleanupResult>(repo.main, ["cleanup", "--all", "--json"]);
    expect(all.skipped).toMatchObject([{ id: "1", code: "protected" }]);
    expect(readFileSync(path.join(made.path, ".env.production"), "utf8")).toBe("SECRET=1\n");

    const forced = await wtJson<CleanupResult>(repo.main, ["cleanup", "1", "--force", "--json"]);
    expect(forced.removed[0]?.ignoredRemoved).toEqual([
      { path: ".env.production", files: 1 },
      { path: "config/", files: 1 },
    ]);
    expect(existsSync(made.path)).toBe(false);
  });

  it("cleanup.protect takes gitignore patterns; [] protects nothing; a new file in a copied folder counts", async () => {
    repo = makeRepo();
    repo.write(".gitignore", "secrets/\n.env*\nfixtures/\n");
    repo.write(".worktreeinclude", "fixtures/\n");
    repo.write("fixtures/a.json", "{}\n");
    configure(repo, { cleanup: { protect: ["secrets/", "*.pem"] } });
    const made = await create(repo, "1");
    writeFileSync(path.join(made.path, ".env.production"), "not protected by this config\n");
    writeFileSync(path.join(made.path, "fixtures", "server.pem"), "key\n");
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual(["fixtures/server.pem"]);

    rmSync(path.join(made.path, "fixtures", "server.pem"));
    mkdirSync(path.join(made.path, "secrets"));
    writeFileSync(path.join(made.path, "secrets", "token"), "t\n");
    expect(json<ErrorJson>(await runWt(repo.main, ["cleanup", "1", "--json"])).error.files).toEqual(["secrets/token"]);

    repo.write("wt.config.json", JSON.stringify({ ports: PORTS, portSlots: 100, cleanup: { protect: [] } }));
    const done = await wtJson<CleanupResult>(repo.main, ["cleanup", "1", "--json"]);
    expect(done.removed[0]?.ignoredRemoved).toEqual([
      { path: ".env.production", files: 1 },
      { path: "secrets/", files: 1 },
    ]);
  });

  it("a wrong cleanup.protect is exit 2 naming the key", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: PORTS, cleanup: { protect: ".env*" } }));
    const run = await runWt(repo.main, ["cleanup", "--all"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cleanup.protect");
    repo.write("wt.config.json", JSON.stringify({ ports: PORTS, cleanup: { protct: [] } }));
    expect((await runWt(repo.main, ["cleanup", "--all"])).stderr).toContain('unknown key "cleanup.protct"');
  });
});

describe("item 13: a worktree whose create is still running its postCreate hooks", () => {
  it("is exit 4 by id and skipped (code in-progress) by --all and --merged; the create then finishes", async () => {
    repo = makeRepo();
    const started = path.join(repo.root, "hook-started");
    configure(repo, { hooks: { postCreate: [`touch '${started}'`, "sleep 5"] } });
    const child = spawn(process.execPath, [WT_BIN, "create", "1", "--json"], {
      cwd: repo.main,
      env: wtEnv({ ...GIT_ENV, WT_TRUST: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    for (let i = 0; i < 300 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(started), "the postCreate hook started").toBe(true);

    const byId = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(byId.code, byId.stderr).toBe(4);
    expect(json<ErrorJson>(byId).error.code).toBe("in-progress");
    for (const mode of ["--all", "--merged"]) {
      const doc = await wtJson<CleanupResult>(repo.main, ["cleanup", mode, "--json"]);
      expect(doc.removed, mode).toEqual([]);
      expect(doc.skipped, mode).toMatchObject([{ id: "1", code: "in-progress" }]);
    }

    expect(await exited).toBe(0);
    const made = JSON.parse(out) as CreateResult;
    expect(existsSync(made.path)).toBe(true);
    expect((await runWt(repo.main, ["cleanup", "1"])).code).toBe(0);
  });

  it("a record left hooks-pending by a process that is gone is cleaned up as before", async () => {
    repo = makeRepo();
    configure(repo);
    const made = await create(repo, "1");
    const file = path.join(repo.main, ".git", "wt", "worktrees", "1.json");
    const record = JSON.parse(readFileSync(file, "utf8"));
    // A pid above the kernel's pid_max (2^22) never belongs to a live process.
    writeFileSync(file, JSON.stringify({ ...record, state: "hooks-pending", pid: 2 ** 22 + 1 }));
    expect(statSync(file).isFile()).toBe(true);
    const run = await runWt(repo.main, ["cleanup", "1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(made.path)).toBe(false);
  });
});

describe("a worktree whose folder is gone (moved with mv) while git still keeps its HEAD and index", () => {
  it("cleanup refuses (exit 5) a detached commit or staged changes only its admin dir holds; doctor --fix offers no fix; once repaired, nothing was lost", async () => {
    repo = makeRepo();
    configure(repo);
    const made = await create(repo, "1");
    gitSync(made.path, "switch", "-q", "--detach");
    writeFileSync(path.join(made.path, "b.txt"), "detached work\n");
    gitSync(made.path, "add", "b.txt");
    gitSync(made.path, "commit", "-q", "-m", "detached b");
    const commit = gitSync(made.path, "rev-parse", "HEAD");
    const moved = path.join(repo.root, "moved-1");
    renameSync(made.path, moved);

    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const err = json<ErrorJson>(run).error;
    expect(err.code).toBe("unreachable-commits");
    expect(err.commits).toEqual([commit]);
    expect(err.hint).toContain("git worktree repair");
    const doctor = await runWt(repo.main, ["doctor", "--fix", "--json"]);
    const row = json<{ checks: { check: string; fix: unknown; message: string }[] }>(doctor).checks.find(
      (f) => f.check === "folder-missing",
    );
    expect(row?.fix).toBeNull();
    expect(row?.message).toContain("1 commit(s) no branch holds");

    // Staged changes only (the commit saved on a branch): still refused, code dirty.
    gitSync(moved, "worktree", "repair");
    gitSync(moved, "branch", "saved");
    writeFileSync(path.join(moved, "c.txt"), "staged\n");
    gitSync(moved, "add", "c.txt");
    renameSync(moved, made.path);
    gitSync(repo.main, "worktree", "repair", made.path);
    renameSync(made.path, moved);
    const staged = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(staged.code, staged.stderr).toBe(5);
    expect(json<ErrorJson>(staged).error).toMatchObject({ code: "dirty", staged: true });

    // Tied back: the worktree is whole, its index and commit there.
    gitSync(moved, "worktree", "repair");
    expect(gitSync(moved, "diff", "--cached", "--name-only")).toBe("c.txt");
    expect(gitSync(repo.main, "rev-parse", "saved")).toBe(commit);
  });

  it("a folder deleted by hand on its branch, nothing staged: cleanup goes as before (exit 0)", async () => {
    repo = makeRepo();
    configure(repo);
    const made = await create(repo, "1");
    rmSync(made.path, { recursive: true, force: true });
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(worktreePaths(repo.main)).not.toContain(made.path);
  });
});

describe("a folder git no longer lists (moved away, pruned, moved back)", () => {
  it("cleanup leaves the folder and everything in it, its database included (a warning says so)", async () => {
    repo = makeRepo();
    configure(repo, { databases: [{ path: "data/app.duckdb" }] });
    const made = await create(repo, "1");
    const db = path.join(made.path, "data", "app.duckdb");
    expect(existsSync(db)).toBe(true);
    writeFileSync(path.join(made.path, "notes.txt"), "not committed\n");
    const away = path.join(repo.root, "away");
    renameSync(made.path, away);
    gitSync(repo.main, "worktree", "prune");
    renameSync(away, made.path);
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<{ warnings: string[] }>(run);
    expect(doc.warnings.join("\n")).toContain("left in place");
    expect(existsSync(db)).toBe(true);
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("not committed\n");
  });
});
