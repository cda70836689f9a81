import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult, StatusResult } from "../../src/index.js";
import {
  branchExists,
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  worktreePaths,
  wtJson,
} from "../helpers/repo.js";

let repo: TestRepo;
afterEach(() => repo?.remove());

const create = (r: TestRepo, id: string) => wtJson<CreateResult>(r.main, ["create", id, "--json"]);

function commitIn(worktree: string, file: string, content = `${file}\n`): string {
  writeFileSync(path.join(worktree, file), content);
  gitSync(worktree, "add", "--", file);
  gitSync(worktree, "commit", "-q", "-m", `add ${file}`);
  return gitSync(worktree, "rev-parse", "HEAD");
}

/** Exit code of `wt path <id>`: 0 while the record exists, 3 once it is gone. */
async function pathCode(r: TestRepo, id: string): Promise<number | null> {
  return (await runWt(r.main, ["path", id])).code;
}

function excludeText(r: TestRepo): string {
  const file = path.join(r.main, ".git", "info", "exclude");
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** The worktree, its branch and its record are all still there. */
async function expectIntact(r: TestRepo, id: string, folder: string, branch: string): Promise<void> {
  expect(existsSync(folder), "folder").toBe(true);
  expect(worktreePaths(r.main), "git worktree list").toContain(folder);
  expect(branchExists(r.main, branch), "branch").toBe(true);
  expect(await pathCode(r, id), "record").toBe(0);
}

/** The worktree, its registration and its record are gone. */
async function expectGone(r: TestRepo, id: string, folder: string): Promise<void> {
  expect(existsSync(folder), "folder").toBe(false);
  expect(worktreePaths(r.main), "git worktree list").not.toContain(folder);
  expect(await pathCode(r, id), "record").toBe(3);
}

describe("wt cleanup refuses to lose uncommitted work", () => {
  it("a modified tracked file: exit 5 naming it; worktree, change and branch stay; --force removes", async () => {
    repo = makeRepo({ files: { "src/app.ts": "export const a = 1;\n" } });
    const made = await create(repo, "101");
    const file = path.join(made.path, "src", "app.ts");
    writeFileSync(file, "export const a = 2;\n");

    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(5);
    // Listed with `git status --short` letters.
    expect(run.stderr).toContain("\n   M src/app.ts");
    expect(run.stdout).toBe("");
    await expectIntact(repo, "101", made.path, "feature/issue-101");
    expect(readFileSync(file, "utf8")).toBe("export const a = 2;\n");

    const forced = await runWt(repo.main, ["cleanup", "101", "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(json<CleanupResult>(forced).removed.map((r) => r.id)).toEqual(["101"]);
    await expectGone(repo, "101", made.path);
  });

  it("a staged new file: exit 5 naming it", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    writeFileSync(path.join(made.path, "staged.txt"), "staged\n");
    gitSync(made.path, "add", "staged.txt");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("staged.txt");
    await expectIntact(repo, "101", made.path, "feature/issue-101");
    expect(gitSync(made.path, "diff", "--cached", "--name-only")).toBe("staged.txt");
  });

  it("an untracked file git does not ignore (even deep in a new folder): exit 5 naming it", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    mkdirSync(path.join(made.path, "notes", "deep"), { recursive: true });
    writeFileSync(path.join(made.path, "notes", "deep", "todo.md"), "keep me\n");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("notes/deep/todo.md");
    await expectIntact(repo, "101", made.path, "feature/issue-101");
    expect(readFileSync(path.join(made.path, "notes", "deep", "todo.md"), "utf8")).toBe("keep me\n");
  });

  it("--json: stdout is exactly one error document", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    writeFileSync(path.join(made.path, "README.md"), "changed\n");
    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(run.code).toBe(5);
    const doc = json<ErrorJson>(run);
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(typeof doc.error.code).toBe("string");
    expect(doc.error.code).not.toBe("");
    expect(doc.error.message).toContain("README.md");
    expect(typeof doc.error.hint).toBe("string");
    expect(doc.error.hint).toContain("--force");
    await expectIntact(repo, "101", made.path, "feature/issue-101");
  });

  it("an incomplete worktree (record left in the creating state) holding the user's changes is still refused", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    // A create killed after `git worktree add` leaves its record in the "creating" state;
    // the user then works in the folder anyway.
    const file = path.join(repo.main, ".git", "wt", "worktrees", "101.json");
    const record = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, state: "creating" }, null, 2));
    writeFileSync(path.join(made.path, "README.md"), "edited by the user\n");
    writeFileSync(path.join(made.path, "notes.txt"), "the user's notes\n");

    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain("notes.txt");
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("the user's notes\n");
    expect(readFileSync(path.join(made.path, "README.md"), "utf8")).toBe("edited by the user\n");
  });

  it("lists dirty paths with spaces, quotes and unicode exactly, in a folder with odd characters", async () => {
    repo = makeRepo({ parent: "dir with space 'q' ü" });
    const made = await create(repo, "101");
    writeFileSync(path.join(made.path, 'naïve "file" name.txt'), "new\n");
    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(run.code).toBe(5);
    expect(json<ErrorJson>(run).error.message).toContain('naïve "file" name.txt');
    expect(run.stderr).toContain('naïve "file" name.txt');
    rmSync(path.join(made.path, 'naïve "file" name.txt'));
    const clean = await runWt(repo.main, ["cleanup", "101"]);
    expect(clean.code, clean.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("naming two ids of which one is dirty removes neither", async () => {
    repo = makeRepo();
    const a = await create(repo, "101");
    const b = await create(repo, "102");
    writeFileSync(path.join(b.path, "wip.txt"), "wip\n");
    const run = await runWt(repo.main, ["cleanup", "101", "102"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("wip.txt");
    await expectIntact(repo, "101", a.path, "feature/issue-101");
    await expectIntact(repo, "102", b.path, "feature/issue-102");
  });
});

describe("wt cleanup and what wt made itself", () => {
  it("env file, included .env copy and node_modules symlink are not changes; the main worktree is untouched", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": ".env\nnode_modules/\n",
        ".worktreeinclude": ".env\nnode_modules/\n",
        "wt.config.json": JSON.stringify({ include: { symlink: ["node_modules"] } }),
      },
    });
    repo.write(".env", "SECRET=1\n");
    repo.write("node_modules/pkg/index.js", "module.exports = 1;\n");
    repo.write("node_modules/pkg/package.json", '{"name":"pkg"}\n');
    const excludeFile = path.join(repo.main, ".git", "info", "exclude");
    writeFileSync(excludeFile, `${readFileSync(excludeFile, "utf8")}# my own line\n*.mine\n`);

    const made = await create(repo, "101");
    expect(made.included.map((i) => [i.path, i.mode]).sort()).toEqual([
      [".env", "copy"],
      ["node_modules", "symlink"],
    ]);
    expect(lstatSync(path.join(made.path, "node_modules")).isSymbolicLink()).toBe(true);
    expect(lstatSync(path.join(made.path, ".env")).isFile()).toBe(true);
    expect(existsSync(made.envFile)).toBe(true);
    // None of them shows in the worktree's git status.
    expect(gitSync(made.path, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(excludeText(repo)).toContain("wt:begin 101");

    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed.map((r) => r.id)).toEqual(["101"]);
    await expectGone(repo, "101", made.path);

    // The symlink was removed, not followed: the main worktree's files are all there.
    expect(readFileSync(path.join(repo.main, "node_modules", "pkg", "index.js"), "utf8")).toBe("module.exports = 1;\n");
    expect(readFileSync(path.join(repo.main, "node_modules", "pkg", "package.json"), "utf8")).toBe('{"name":"pkg"}\n');
    expect(readFileSync(path.join(repo.main, ".env"), "utf8")).toBe("SECRET=1\n");
    expect(repo.git("status", "--porcelain")).toBe("");

    // info/exclude: wt's block for 101 is gone, the user's own lines are kept.
    const exclude = excludeText(repo);
    expect(exclude).not.toContain("wt:begin 101");
    expect(exclude).not.toContain("wt:end 101");
    expect(exclude).toContain("# my own line\n*.mine\n");
  });

  it("removing one worktree's exclude block leaves the other worktree's block alone", async () => {
    repo = makeRepo();
    const a = await create(repo, "101");
    const b = await create(repo, "102");
    expect((await runWt(repo.main, ["cleanup", "101"])).code).toBe(0);
    const exclude = excludeText(repo);
    expect(exclude).not.toContain("wt:begin 101");
    expect(exclude).toContain("wt:begin 102");
    // 102's env file is still hidden from git status, so 102 is still clean.
    expect(gitSync(b.path, "status", "--porcelain")).toBe("");
    expect(existsSync(a.path)).toBe(false);
    const run = await runWt(repo.main, ["cleanup", "102"]);
    expect(run.code, run.stderr).toBe(0);
  });

  it("ignored files the user made in the worktree (build output) do not block cleanup", async () => {
    repo = makeRepo({ files: { ".gitignore": "build/\n*.log\n" } });
    const made = await create(repo, "101");
    mkdirSync(path.join(made.path, "build", "assets"), { recursive: true });
    writeFileSync(path.join(made.path, "build", "assets", "app.js"), "x\n");
    writeFileSync(path.join(made.path, "server.log"), "log\n");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("a folder deleted by hand: exit 0, registration and record gone", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    rmSync(made.path, { recursive: true, force: true });
    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed).toEqual([
      expect.objectContaining({ id: "101", path: made.path, branchDeleted: true }),
    ]);
    await expectGone(repo, "101", made.path);
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
    expect(excludeText(repo)).not.toContain("wt:begin 101");
  });

  it("a folder deleted by hand and already pruned by git: exit 0, record gone", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    rmSync(made.path, { recursive: true, force: true });
    repo.git("worktree", "prune");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("--force on a dirty worktree still only unlinks node_modules: the main worktree's files stay", async () => {
    repo = makeRepo({
      files: {
        ".gitignore": "node_modules/\n",
        ".worktreeinclude": "node_modules/\n",
        "wt.config.json": JSON.stringify({ include: { symlink: ["node_modules"] } }),
      },
    });
    repo.write("node_modules/pkg/index.js", "module.exports = 1;\n");
    const made = await create(repo, "101");
    // Written through the link: it lands in the main worktree and must survive.
    writeFileSync(path.join(made.path, "node_modules", "pkg", "added.js"), "x\n");
    writeFileSync(path.join(made.path, "wip.txt"), "wip\n");
    expect((await runWt(repo.main, ["cleanup", "101"])).code).toBe(5);
    const forced = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
    expect(readFileSync(path.join(repo.main, "node_modules", "pkg", "index.js"), "utf8")).toBe("module.exports = 1;\n");
    expect(readFileSync(path.join(repo.main, "node_modules", "pkg", "added.js"), "utf8")).toBe("x\n");
  });

  it("database files wt made are not changes, and cleanup deletes them (also outside the worktree)", async () => {
    repo = makeRepo();
    const dbDir = path.join(repo.root, "dbs");
    repo.write(
      "wt.config.json",
      JSON.stringify({
        databases: [
          { engine: "sqlite", path: "data/agent-{name}.db" },
          { engine: "sqlite", path: path.join(dbDir, "shared-{name}.db"), env: "SHARED_DB" },
        ],
      }),
    );
    repo.commitAll("config");
    const made = await create(repo, "101");
    const inside = path.join(made.path, "data", "agent-issue-101.db");
    const outside = path.join(dbDir, "shared-issue-101.db");
    expect(existsSync(inside)).toBe(true);
    expect(existsSync(outside)).toBe(true);
    writeFileSync(`${outside}-journal`, "stale");
    expect(gitSync(made.path, "status", "--porcelain", "--untracked-files=all")).toBe("");

    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(`${outside}-journal`)).toBe(false);
  });

  it("works from inside the worktree it removes and from another linked worktree's subfolder", async () => {
    repo = makeRepo({ files: { "src/x.txt": "x\n" } });
    const a = await create(repo, "101");
    const b = await create(repo, "102");
    const self = await runWt(path.join(a.path, "src"), ["cleanup", "101", "--json"]);
    expect(self.code, self.stderr).toBe(0);
    expect(json<CleanupResult>(self).removed[0]?.path).toBe(a.path);
    await expectGone(repo, "101", a.path);
    const c = await create(repo, "103");
    const other = await runWt(path.join(b.path, "src"), ["cleanup", "103"]);
    expect(other.code, other.stderr).toBe(0);
    await expectGone(repo, "103", c.path);
    await expectIntact(repo, "102", b.path, "feature/issue-102");
  });

  it("naming the same id twice removes it once", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    const run = await runWt(repo.main, ["cleanup", "101", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed.map((r) => r.id)).toEqual(["101"]);
    await expectGone(repo, "101", made.path);
  });

  it("a merge in progress with a conflict is exit 5", async () => {
    repo = makeRepo({ files: { "a.txt": "base\n" } });
    const made = await create(repo, "101");
    repo.git("checkout", "-q", "-b", "other");
    repo.write("a.txt", "other\n");
    repo.commitAll("other");
    repo.git("checkout", "-q", "main");
    writeFileSync(path.join(made.path, "a.txt"), "mine\n");
    gitSync(made.path, "commit", "-q", "-am", "mine");
    expect(() => gitSync(made.path, "merge", "other")).toThrow();
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("a.txt");
    await expectIntact(repo, "101", made.path, "feature/issue-101");
  });
});

describe("wt cleanup never touches what wt did not make", () => {
  it("an unmanaged worktree is shown as unmanaged; --all leaves it; cleanup <its name> is exit 3", async () => {
    repo = makeRepo();
    const plain = path.join(repo.root, "plain");
    repo.git("worktree", "add", "-q", plain, "-b", "plain");
    writeFileSync(path.join(plain, "untracked-in-plain.txt"), "mine\n");
    const made = await create(repo, "101");

    const st = await runWt(repo.main, ["status", "--json"]);
    expect(st.code).toBe(0);
    const rows = json<StatusResult>(st).worktrees;
    expect(rows.find((r) => r.path === plain)).toMatchObject({ id: null, managed: false, state: "unmanaged" });

    const all = await runWt(repo.main, ["cleanup", "--all", "--json"]);
    expect(all.code, all.stderr).toBe(0);
    const doc = json<CleanupResult>(all);
    expect(doc.removed.map((r) => r.id)).toEqual(["101"]);
    expect(doc.removed.map((r) => r.path)).not.toContain(plain);
    expect(existsSync(made.path)).toBe(false);
    expect(existsSync(path.join(plain, "untracked-in-plain.txt"))).toBe(true);
    expect(worktreePaths(repo.main)).toContain(plain);
    expect(branchExists(repo.main, "plain")).toBe(true);

    const byName = await runWt(repo.main, ["cleanup", "plain"]);
    expect(byName.code).toBe(3);
    expect(existsSync(plain)).toBe(true);
    expect(worktreePaths(repo.main)).toContain(plain);
  });

  it("--all does not prune the registration of an unmanaged worktree whose folder is gone", async () => {
    repo = makeRepo();
    const plain = path.join(repo.root, "plain");
    repo.git("worktree", "add", "-q", plain, "-b", "plain");
    rmSync(plain, { recursive: true, force: true });
    const made = await create(repo, "101");
    const run = await runWt(repo.main, ["cleanup", "--all", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed.map((r) => r.id)).toEqual(["101"]);
    expect(existsSync(made.path)).toBe(false);
    expect(worktreePaths(repo.main)).toContain(plain);
  });

  it("unknown id is exit 3; no ids and no --merged/--all is exit 2; an invalid id is exit 2 before anything is touched", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");

    const unknown = await runWt(repo.main, ["cleanup", "999", "--json"]);
    expect(unknown.code).toBe(3);
    expect(json<ErrorJson>(unknown).error.message).toContain("999");

    const none = await runWt(repo.main, ["cleanup"]);
    expect(none.code).toBe(2);

    const noneJson = await runWt(repo.main, ["cleanup", "--json"]);
    expect(noneJson.code).toBe(2);
    expect(Object.keys(json(noneJson))).toEqual(["error"]);

    for (const bad of ["../x", "a b", "-x", ".hidden", `a${"b".repeat(64)}`, "x;rm -rf ~"]) {
      const run = await runWt(repo.main, ["cleanup", "101", "--", bad]);
      expect(run.code, bad).toBe(2);
    }
    // An unknown id next to a valid one removes nothing either.
    expect((await runWt(repo.main, ["cleanup", "101", "999"])).code).toBe(3);
    await expectIntact(repo, "101", made.path, "feature/issue-101");

    // Contradictory flags.
    expect((await runWt(repo.main, ["cleanup", "101", "--keep-branch", "--delete-branch"])).code).toBe(2);
    expect((await runWt(repo.main, ["cleanup", "101", "--all"])).code).toBe(2);
    await expectIntact(repo, "101", made.path, "feature/issue-101");
  });

  it("ids are case-insensitive", async () => {
    repo = makeRepo();
    const made = await create(repo, "Auth-Fix");
    const run = await runWt(repo.main, ["cleanup", "auth-fix", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed.map((r) => r.id)).toEqual(["Auth-Fix"]);
    expect(existsSync(made.path)).toBe(false);
  });
});

describe("wt cleanup and branches", () => {
  it("--keep-branch keeps a merged branch", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "101");
    const run = await runWt(repo.main, ["cleanup", "101", "--keep-branch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CleanupResult>(run).removed[0];
    expect(r).toMatchObject({ id: "101", branch: "feature/issue-101", branchDeleted: false });
    expect(typeof r?.branchKept).toBe("string");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
    await expectGone(repo, "101", made.path);
  });

  it("the folder of worktrees wt made goes with the last one; one the user made, or trees/ in the main worktree, stays", async () => {
    repo = makeRepo();
    const a = await create(repo, "101");
    const b = await create(repo, "102");
    const folder = path.dirname(a.path);
    expect((await runWt(repo.main, ["cleanup", "101"])).code).toBe(0);
    expect(existsSync(folder)).toBe(true);
    expect(existsSync(b.path)).toBe(true);
    expect((await runWt(repo.main, ["cleanup", "102"])).code).toBe(0);
    expect(existsSync(folder)).toBe(false);

    repo.write("wt.config.json", JSON.stringify({ worktreeDir: "trees/{id}" }));
    repo.commitAll("trees");
    const t = await create(repo, "7");
    expect((await runWt(repo.main, ["cleanup", "7"])).code).toBe(0);
    expect(existsSync(t.path)).toBe(false);
    expect(existsSync(path.join(repo.main, "trees"))).toBe(true);

    const mine = path.join(repo.root, "my-worktrees");
    mkdirSync(mine);
    repo.write("wt.config.json", JSON.stringify({ worktreeDir: `${mine}/{name}` }));
    repo.commitAll("the user's own folder");
    await create(repo, "8");
    expect((await runWt(repo.main, ["cleanup", "8"])).code).toBe(0);
    expect(existsSync(mine)).toBe(true);
  });

  it("the human report of a kept unmerged branch says how to delete it", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "101");
    commitIn(made.path, "work.txt");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("branch feature/issue-101 kept: not merged into origin/main (1 commit(s) only on");
    expect(run.stdout).toContain("merge it, or delete it with: git branch -D -- 'feature/issue-101'");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
  });

  it("without flags a merged branch is deleted and an unmerged one kept", async () => {
    repo = makeRepo({ origin: true });
    await create(repo, "101");
    const b = await create(repo, "102");
    const sha = commitIn(b.path, "work.txt");
    const run = await runWt(repo.main, ["cleanup", "101", "102", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CleanupResult>(run);
    expect(doc.removed.find((r) => r.id === "101")).toMatchObject({ branchDeleted: true, branchKept: null });
    expect(doc.removed.find((r) => r.id === "102")?.branchKept).toMatch(/not merged/);
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-102")).toBe(sha);
  });

  it("--delete-branch deletes an unmerged branch", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "102");
    commitIn(made.path, "work.txt");
    const run = await runWt(repo.main, ["cleanup", "102", "--delete-branch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed[0]).toMatchObject({ id: "102", branchDeleted: true, branchKept: null });
    expect(branchExists(repo.main, "feature/issue-102")).toBe(false);
    await expectGone(repo, "102", made.path);
  });

  it("a branch that existed before wt create is checked out as is and not deleted", async () => {
    repo = makeRepo({ origin: true });
    repo.git("branch", "feature/issue-101");
    const made = await create(repo, "101");
    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(json<CleanupResult>(run).removed[0]?.branchDeleted).toBe(false);
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
    expect(existsSync(made.path)).toBe(false);
  });

  it("a merged branch checked out in another worktree is kept and reported, not a half-done cleanup", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    // The linked worktree moves to another branch; the main worktree checks the feature branch out.
    gitSync(made.path, "switch", "-q", "-c", "scratch");
    repo.git("switch", "-q", "feature/issue-101");
    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    // `git branch -d` never deletes a branch checked out in a worktree: the branch is kept and
    // the rest of the cleanup completes.
    expect(run.code, run.stderr).toBe(0);
    const r = json<CleanupResult>(run).removed[0];
    expect(r).toMatchObject({ id: "101", branchDeleted: false });
    expect(typeof r?.branchKept).toBe("string");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
    await expectGone(repo, "101", made.path);
  });

  it("--merged removes only worktrees whose branch is merged", async () => {
    repo = makeRepo({ origin: true });
    const withCommit = await create(repo, "101");
    const empty = await create(repo, "102");
    const sha = commitIn(withCommit.path, "work.txt");
    const run = await runWt(repo.main, ["cleanup", "--merged", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CleanupResult>(run);
    expect(doc.removed.map((r) => r.id)).toEqual(["102"]);
    expect(doc.removed[0]?.branchDeleted).toBe(true);
    await expectGone(repo, "102", empty.path);
    await expectIntact(repo, "101", withCommit.path, "feature/issue-101");
    expect(gitSync(withCommit.path, "rev-parse", "HEAD")).toBe(sha);

    // Once 101 is merged into main and pushed, --merged takes it too.
    repo.git("merge", "-q", "--no-ff", "-m", "merge 101", "feature/issue-101");
    repo.git("push", "-q", "origin", "main");
    const again = await runWt(repo.main, ["cleanup", "--merged", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(json<CleanupResult>(again).removed).toEqual([expect.objectContaining({ id: "101", branchDeleted: true })]);
    await expectGone(repo, "101", withCommit.path);
  });

  it("--all removes every clean managed worktree and reports the dirty ones under skipped", async () => {
    repo = makeRepo({ origin: true });
    const clean = await create(repo, "101");
    const dirty = await create(repo, "102");
    const committed = await create(repo, "103");
    writeFileSync(path.join(dirty.path, "wip.txt"), "wip\n");
    const sha = commitIn(committed.path, "done.txt");

    const run = await runWt(repo.main, ["cleanup", "--all", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CleanupResult>(run);
    expect(doc.removed.map((r) => r.id).sort()).toEqual(["101", "103"]);
    expect(doc.skipped).toHaveLength(1);
    expect(doc.skipped[0]?.id).toBe("102");
    expect(doc.skipped[0]?.reason).toMatch(/uncommitted|wip\.txt/);
    expect(doc.removed.find((r) => r.id === "103")?.branchKept).toMatch(/not merged/);

    await expectGone(repo, "101", clean.path);
    await expectGone(repo, "103", committed.path);
    await expectIntact(repo, "102", dirty.path, "feature/issue-102");
    expect(readFileSync(path.join(dirty.path, "wip.txt"), "utf8")).toBe("wip\n");
    expect(repo.git("rev-parse", "refs/heads/feature/issue-103")).toBe(sha);
  });
});

describe("wt cleanup: locks, detached HEAD, dry run, slots", () => {
  it("a locked worktree is exit 4 naming the reason; --force removes it", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    repo.git("worktree", "lock", "--reason", "on usb", made.path);
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("on usb");
    await expectIntact(repo, "101", made.path, "feature/issue-101");

    const json4 = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(json4.code).toBe(4);
    expect(json<ErrorJson>(json4).error.message).toContain("on usb");

    const forced = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("a locked worktree whose folder is gone (the USB stick is unplugged) is exit 4, not forgotten", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    repo.git("worktree", "lock", "--reason", "on usb", made.path);
    rmSync(made.path, { recursive: true, force: true });
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("on usb");
    expect(worktreePaths(repo.main)).toContain(made.path);
    expect(branchExists(repo.main, "feature/issue-101")).toBe(true);
    // Not forgotten: wt still knows the id; its folder is gone, which `wt path` reports as exit 3
    // naming the folder (issue 13), not as an unknown id.
    const known = await runWt(repo.main, ["path", "101"]);
    expect(known.code).toBe(3);
    expect(known.stderr).toMatch(/folder of worktree 101 is gone/);
    const forced = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("--all skips a locked worktree and removes the rest", async () => {
    repo = makeRepo();
    const locked = await create(repo, "101");
    const free = await create(repo, "102");
    repo.git("worktree", "lock", "--reason", "on usb", locked.path);
    const run = await runWt(repo.main, ["cleanup", "--all", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CleanupResult>(run);
    expect(doc.removed.map((r) => r.id)).toEqual(["102"]);
    expect(doc.skipped.map((s) => s.id)).toEqual(["101"]);
    await expectIntact(repo, "101", locked.path, "feature/issue-101");
    await expectGone(repo, "102", free.path);
  });

  it("a detached HEAD holding a commit no branch has: exit 5 with the SHA; --force removes", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    gitSync(made.path, "checkout", "-q", "--detach");
    const sha = commitIn(made.path, "orphan.txt");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(sha);
    await expectIntact(repo, "101", made.path, "feature/issue-101");
    expect(gitSync(made.path, "rev-parse", "HEAD")).toBe(sha);

    const forced = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("a detached HEAD on a commit a branch still holds is clean", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    gitSync(made.path, "checkout", "-q", "--detach");
    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(0);
    await expectGone(repo, "101", made.path);
  });

  it("--dry-run prints a plan and changes nothing", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    const excludeBefore = excludeText(repo);
    const envBefore = readFileSync(made.envFile, "utf8");

    const run = await runWt(repo.main, ["cleanup", "101", "--dry-run"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("101");
    expect(run.stdout).toContain(made.path);
    expect(run.stdout).toMatch(/dry run|plan/i);

    const asJson = await runWt(repo.main, ["cleanup", "101", "--dry-run", "--json"]);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(json<CleanupResult>(asJson).removed.map((r) => r.id)).toEqual(["101"]);

    await expectIntact(repo, "101", made.path, "feature/issue-101");
    expect(readFileSync(made.envFile, "utf8")).toBe(envBefore);
    expect(excludeText(repo)).toBe(excludeBefore);
    const st = await runWt(repo.main, ["status", "101", "--json"]);
    expect(json<StatusResult>(st).worktrees[0]?.state).toBe("ok");
  });

  it("--dry-run still refuses a dirty worktree", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    writeFileSync(path.join(made.path, "wip.txt"), "wip\n");
    const run = await runWt(repo.main, ["cleanup", "101", "--dry-run"]);
    expect(run.code).toBe(5);
    await expectIntact(repo, "101", made.path, "feature/issue-101");
  });

  it("the slot is released: create 101, cleanup, create 101 again gets slot 101", async () => {
    repo = makeRepo();
    const first = await create(repo, "101");
    expect(first.slot).toBe(101);
    expect(first.ports).toEqual({ PORT: 3101 });
    expect((await runWt(repo.main, ["cleanup", "101"])).code).toBe(0);
    const second = await create(repo, "101");
    expect(second.slot).toBe(101);
    expect(second.ports).toEqual({ PORT: 3101 });
    expect(second.path).toBe(first.path);
  });

  it("a released slot goes to another id that prefers it", async () => {
    repo = makeRepo();
    // 1101 mod 1000 = 101: while 101 holds the slot, 1101 moves on; after cleanup it gets 101.
    const a = await create(repo, "101");
    const b = await create(repo, "1101");
    expect(a.slot).toBe(101);
    expect(b.slot).not.toBe(101);
    expect(await runWt(repo.main, ["cleanup", "101", "1101"]).then((r) => r.code)).toBe(0);
    const c = await create(repo, "1101");
    expect(c.slot).toBe(101);
    expect(c.ports).toEqual({ PORT: 3101 });
  });
});

describe("wt cleanup of a worktree moved by hand", () => {
  it("refuses with exit 3 naming where it went, and leaves it and its excludes alone", async () => {
    repo = makeRepo();
    expect((await runWt(repo.main, ["create", "102"])).code).toBe(0);
    const moved = path.join(repo.root, "moved-102");
    repo.git("worktree", "move", path.join(repo.root, "app-worktrees", "issue-102"), moved);
    const excludeBefore = readFileSync(path.join(repo.main, ".git", "info", "exclude"), "utf8");
    const run = await runWt(repo.main, ["cleanup", "102"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(moved);
    expect(existsSync(path.join(moved, ".env.local"))).toBe(true);
    expect(readFileSync(path.join(repo.main, ".git", "info", "exclude"), "utf8")).toBe(excludeBefore);
    expect(gitSync(moved, "status", "--porcelain")).toBe("");
    expect(repo.git("branch", "--list", "feature/issue-102")).not.toBe("");
  });
});

describe("wt cleanup lists copies the user edited since wt made them", () => {
  /** A repository whose .worktreeinclude copies an ignored `.env`, `config.local.json` and `dist/`. */
  function repoWithCopies(): TestRepo {
    const r = makeRepo({ origin: true });
    r.write(".gitignore", ".env\nconfig.local.json\ndist/\n");
    r.write(".worktreeinclude", ".env\nconfig.local.json\ndist/\n");
    r.commitAll("include copies");
    r.git("push", "-q", "origin", "main");
    r.write(".env", "API_KEY=main\n");
    r.write("config.local.json", "{}\n");
    mkdirSync(path.join(r.main, "dist", "sub"), { recursive: true });
    for (let i = 0; i < 15; i++) r.write(`dist/sub/f${i}.js`, `${i}\n`);
    r.write("dist/index.js", "main\n");
    r.write("dist/gone.js", "main\n");
    return r;
  }

  it("an edited copied file and changes inside a copied folder are in the plan and warned about; untouched copies are not", async () => {
    repo = repoWithCopies();
    const made = await create(repo, "101");
    // Exactly the contract's shape: no fingerprint or copy time from the record.
    expect(made.included).toEqual([
      { path: ".env", mode: "copy" },
      { path: "config.local.json", mode: "copy" },
      { path: "dist", mode: "copy" },
    ]);
    writeFileSync(path.join(made.path, ".env"), "API_KEY=rotated in the worktree\n");
    writeFileSync(path.join(made.path, "dist", "index.js"), "edited\n");
    writeFileSync(path.join(made.path, "dist", "new.js"), "added\n");
    rmSync(path.join(made.path, "dist", "gone.js"));

    const plan = await runWt(repo.main, ["cleanup", "101", "--dry-run", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = json<CleanupResult>(plan).removed[0];
    // (A file removed from a copied folder is not noticed: only files still there have times.)
    expect(planned?.editedCopies).toEqual([".env", "dist/index.js", "dist/new.js"]);
    expect(planned?.plan).toContain(
      "delete .env: copied by wt and EDITED since (ignored by git, so not an uncommitted change)",
    );
    expect(planned?.plan?.join("\n")).not.toMatch(/config\.local\.json|dist\/sub/);
    expect(existsSync(path.join(made.path, "dist", "new.js"))).toBe(true);

    const run = await runWt(repo.main, ["cleanup", "101"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("101: .env was copied by wt and edited since; it goes with the worktree");
    expect(run.stderr).toContain("101: dist/new.js was copied by wt and edited since");
    expect(run.stderr).not.toContain("config.local.json");
  });

  it("many changes inside one copied folder are counted after the first ten", async () => {
    repo = repoWithCopies();
    const made = await create(repo, "101");
    for (let i = 0; i < 15; i++) writeFileSync(path.join(made.path, "dist", "sub", `f${i}.js`), "rebuilt\n");
    const plan = json<CleanupResult>(await runWt(repo.main, ["cleanup", "101", "--dry-run", "--json"])).removed[0];
    expect(plan?.editedCopies).toHaveLength(11);
    expect(plan?.editedCopies?.[0]).toBe("dist/sub/f0.js");
    expect(plan?.editedCopies?.[10]).toBe("dist/ (and 5 more changed files)");
  });

  it("never walks through links inside a copied folder, and wt's own files there are not edits", async () => {
    repo = makeRepo({ origin: true });
    const elsewhere = path.join(repo.root, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, "far.txt"), "far\n");
    repo.write(".gitignore", "data/\n");
    repo.write(".worktreeinclude", "data/\n");
    repo.write(
      "wt.config.json",
      JSON.stringify({ envFile: "data/.env.local", databases: [{ path: "data/{name}.db" }] }),
    );
    repo.commitAll("copied data/ that wt also writes into");
    repo.write("data/seed.csv", "a,b\n");
    // A link loop and a link out of the worktree, both kept verbatim by the copy.
    symlinkSync(".", path.join(repo.main, "data", "loop"));
    symlinkSync(elsewhere, path.join(repo.main, "data", "out"));
    const made = await create(repo, "101");
    expect(lstatSync(path.join(made.path, "data", "loop")).isSymbolicLink()).toBe(true);
    // Changed after the copy, but outside the worktree: not the worktree's to report.
    writeFileSync(path.join(elsewhere, "far.txt"), "changed\n");

    const plan = json<CleanupResult>(await runWt(repo.main, ["cleanup", "101", "--dry-run", "--json"])).removed[0];
    expect(plan?.editedCopies).toBeUndefined();
    writeFileSync(path.join(made.path, "data", "seed.csv"), "a,b\n1,2\n");
    const again = json<CleanupResult>(await runWt(repo.main, ["cleanup", "101", "--dry-run", "--json"])).removed[0];
    expect(again?.editedCopies).toEqual(["data/seed.csv"]);
    expect((await runWt(repo.main, ["cleanup", "101"])).code).toBe(0);
    expect(readFileSync(path.join(elsewhere, "far.txt"), "utf8")).toBe("changed\n");
  });
});
