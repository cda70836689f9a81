import { mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult, StatusRow } from "../../src/index.js";
import { type ErrorJson, gitSync, json, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

let repo: TestRepo;
let server: Server | null = null;
afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = null;
  repo?.remove();
});

const status = (cwd: string, ...ids: string[]) => wtJson<StatusResult>(cwd, ["status", ...ids, "--json"]);

const create = (r: TestRepo, id: string) => wtJson<CreateResult>(r.main, ["create", id, "--json"]);

function row(st: StatusResult, id: string): StatusRow {
  const found = st.worktrees.find((r) => r.id === id);
  if (!found) throw new Error(`no row with id ${id} in ${JSON.stringify(st, null, 2)}`);
  return found;
}

function rowAt(st: StatusResult, folder: string): StatusRow {
  const found = st.worktrees.find((r) => r.path === folder);
  if (!found) throw new Error(`no row at ${folder} in ${JSON.stringify(st, null, 2)}`);
  return found;
}

describe("wt status", () => {
  it("with no linked worktrees lists only the main worktree", async () => {
    repo = makeRepo({ origin: true });
    const main = realpathSync(repo.main);
    const st = await status(repo.main);
    expect(st.main).toBe(main);
    expect(st.worktrees).toHaveLength(1);
    expect(st.worktrees[0]).toMatchObject({
      id: null,
      path: main,
      branch: "main",
      head: repo.git("rev-parse", "HEAD"),
      managed: false,
      state: "ok",
      dirty: false,
      changes: 0,
      ports: {},
    });
    const human = await runWt(repo.main, ["status"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(main);
  });

  it("a managed worktree's row has every contract field with the right values", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "101");
    const folder = path.join(repo.root, "app-worktrees", "issue-101");
    expect(made.path).toBe(folder);
    const r = row(await status(repo.main), "101");
    for (const key of [
      "id",
      "name",
      "branch",
      "path",
      "head",
      "managed",
      "state",
      "dirty",
      "changes",
      "ahead",
      "behind",
      "ports",
      "listening",
      "databases",
    ]) {
      expect(r, key).toHaveProperty(key);
    }
    expect(r).toMatchObject({
      id: "101",
      name: "issue-101",
      branch: "feature/issue-101",
      path: folder,
      head: gitSync(folder, "rev-parse", "HEAD"),
      managed: true,
      state: "ok",
      dirty: false,
      changes: 0,
      ahead: 0,
      behind: 0,
      ports: made.ports,
      listening: { PORT: false },
      databases: [],
    });
    // The default zero-config port (assuming nothing else on the machine holds 3101).
    expect(made.ports).toEqual({ PORT: 3101 });
  });

  it("listening turns true while something listens on the worktree's port", async () => {
    // A port of its own: listening on the default 3101 would push a parallel test file's
    // `wt create 101` to slot 102.
    repo = makeRepo({ files: { "wt.config.json": JSON.stringify({ ports: { PORT: 26000 } }) } });
    const made = await create(repo, "101");
    const port = made.ports.PORT as number;
    const s = createServer();
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, resolve);
    });
    const r = row(await status(repo.main), "101");
    expect(r.listening).toEqual({ PORT: true });
    // The recorded port does not move while it is busy.
    expect(r.ports).toEqual(made.ports);
  });

  it("ahead and behind count against the base (origin/main)", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "101");
    writeFileSync(path.join(made.path, "a.txt"), "a\n");
    gitSync(made.path, "add", "a.txt");
    gitSync(made.path, "commit", "-q", "-m", "a");
    writeFileSync(path.join(made.path, "b.txt"), "b\n");
    gitSync(made.path, "add", "b.txt");
    gitSync(made.path, "commit", "-q", "-m", "b");
    repo.write("main.txt", "main\n");
    repo.commitAll("on main");
    repo.git("push", "-q", "origin", "main");
    expect(row(await status(repo.main), "101")).toMatchObject({ ahead: 2, behind: 1 });
  });

  it("shows the branch checked out now, not the one wt made, and null for a detached HEAD", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "101");
    gitSync(made.path, "switch", "-q", "-c", "other-branch");
    writeFileSync(path.join(made.path, "o.txt"), "o\n");
    gitSync(made.path, "add", "o.txt");
    gitSync(made.path, "commit", "-q", "-m", "o");
    expect(row(await status(repo.main), "101")).toMatchObject({ branch: "other-branch", ahead: 1, behind: 0 });
    gitSync(made.path, "switch", "-q", "--detach", "HEAD");
    expect(row(await status(repo.main), "101")).toMatchObject({ branch: null, ahead: 1, behind: 0 });
  });

  it("state missing: the folder was deleted by hand", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    rmSync(made.path, { recursive: true, force: true });
    const run = await runWt(repo.main, ["status", "--json"]);
    expect(run.code).toBe(0);
    const r = row(json<StatusResult>(run), "101");
    expect(r.state).toBe("missing");
    expect(r.managed).toBe(true);
    expect(r.path).toBe(made.path);
    // Unknown, not 0: a folder moved with mv looks the same and may hold anything.
    expect(r).toMatchObject({ changes: null, dirty: null });

    // Still missing (not silently dropped) once git has pruned its registration.
    repo.git("worktree", "prune");
    expect(row(await status(repo.main), "101")).toMatchObject({ state: "missing", managed: true });
  });

  it("state locked: git worktree lock", async () => {
    repo = makeRepo();
    const made = await create(repo, "101");
    repo.git("worktree", "lock", "--reason", "on usb", made.path);
    const r = row(await status(repo.main), "101");
    expect(r.state).toBe("locked");
    expect(r.managed).toBe(true);
    const human = await runWt(repo.main, ["status"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("locked");
    expect(human.stdout).toContain("on usb");
  });

  it("state unmanaged: a plain git worktree add, and prunable once its folder is deleted", async () => {
    repo = makeRepo();
    const plain = path.join(repo.root, "plain");
    repo.git("worktree", "add", "-q", plain, "-b", "plain");
    let r = rowAt(await status(repo.main), plain);
    expect(r).toMatchObject({ id: null, managed: false, state: "unmanaged", branch: "plain", ports: {} });

    rmSync(plain, { recursive: true, force: true });
    r = rowAt(await status(repo.main), plain);
    expect(r).toMatchObject({ id: null, managed: false, state: "prunable" });
  });

  it("state incomplete: a record left in the creating state", async () => {
    repo = makeRepo();
    await create(repo, "101");
    const file = path.join(repo.main, ".git", "wt", "worktrees", "101.json");
    const record = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(record.state).toBe("ready");
    writeFileSync(file, JSON.stringify({ ...record, state: "creating" }, null, 2));
    const r = row(await status(repo.main), "101");
    expect(r.state).toBe("incomplete");
    expect(r.managed).toBe(true);
  });

  it("status <id> shows only that worktree; an unknown id is exit 3, an invalid one exit 2", async () => {
    repo = makeRepo();
    await create(repo, "101");
    await create(repo, "102");
    const st = await status(repo.main, "101");
    expect(st.worktrees.map((r) => r.id)).toEqual(["101"]);
    // Case-insensitive ids: "AUTH" finds "auth".
    await create(repo, "auth");
    expect((await status(repo.main, "AUTH")).worktrees.map((r) => r.id)).toEqual(["auth"]);

    const nope = await runWt(repo.main, ["status", "nope", "--json"]);
    expect(nope.code).toBe(3);
    const doc = json<ErrorJson>(nope);
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(doc.error.message).toContain("nope");

    const bad = await runWt(repo.main, ["status", "../x"]);
    expect(bad.code).toBe(2);
  });

  it("counts changes: two modified files and one untracked file give changes 3, dirty true", async () => {
    repo = makeRepo({ files: { "a.txt": "a\n", "b.txt": "b\n" } });
    const made = await create(repo, "101");
    writeFileSync(path.join(made.path, "a.txt"), "a changed\n");
    writeFileSync(path.join(made.path, "b.txt"), "b changed\n");
    writeFileSync(path.join(made.path, "new.txt"), "new\n");
    const r = row(await status(repo.main), "101");
    expect(r.dirty).toBe(true);
    expect(r.changes).toBe(3);
    // wt's own env file is not a change, and the main worktree stays clean.
    expect(rowAt(await status(repo.main), realpathSync(repo.main))).toMatchObject({ dirty: false, changes: 0 });
  });

  it("ignored files are not changes", async () => {
    repo = makeRepo({ files: { ".gitignore": "build/\n*.log\n" } });
    const made = await create(repo, "101");
    mkdirSync(path.join(made.path, "build"));
    writeFileSync(path.join(made.path, "build", "out.js"), "x\n");
    writeFileSync(path.join(made.path, "debug.log"), "x\n");
    expect(row(await status(repo.main), "101")).toMatchObject({ dirty: false, changes: 0 });
  });

  it("the human table shows the id, branch and PORT=3101", async () => {
    repo = makeRepo({ origin: true });
    const made = await create(repo, "101");
    const run = await runWt(repo.main, ["status"]);
    expect(run.code, run.stderr).toBe(0);
    const line = run.stdout.split("\n").find((l) => l.includes("feature/issue-101"));
    expect(line).toBeDefined();
    // A `*` column marks the worktree the command ran in (here the main one), issue 13.
    expect(line).toMatch(/^ +101\s/);
    expect(line).toContain(`PORT=${made.ports.PORT}`);
    expect(made.ports.PORT).toBe(3101);
    expect(line).toContain(made.path);
    // NO_COLOR: no escape sequences.
    expect(run.stdout).not.toContain("\u001b[");
  });

  it("gives the same answer from a linked worktree and from subfolders", async () => {
    repo = makeRepo({ origin: true, files: { "src/deep/x.txt": "x\n" } });
    const made = await create(repo, "101");
    const main = realpathSync(repo.main);
    const fromMain = await status(repo.main);
    expect(fromMain.main).toBe(main);
    for (const cwd of [path.join(repo.main, "src", "deep"), made.path, path.join(made.path, "src", "deep")]) {
      const st = await status(cwd);
      expect(st.main, cwd).toBe(main);
      expect(
        st.worktrees.map((r) => [r.id, r.path, r.state]),
        cwd,
      ).toEqual(fromMain.worktrees.map((r) => [r.id, r.path, r.state]));
    }
    // Through a symlink to the folder holding the repository: main is still the real path.
    const link = path.join(repo.root, "link");
    symlinkSync(repo.root, link);
    const viaLink = await status(path.join(link, "app", "src"));
    expect(viaLink.main).toBe(main);
    expect(viaLink.worktrees.map((r) => [r.id, r.path, r.state])).toEqual(
      fromMain.worktrees.map((r) => [r.id, r.path, r.state]),
    );
    // -C works as well.
    const viaC = await runWt(repo.root, ["-C", made.path, "status", "--json"]);
    expect(viaC.code, viaC.stderr).toBe(0);
    expect(json<StatusResult>(viaC).main).toBe(main);
  });

  it("exits 0 whatever the rows say, even when a worktree's .git file is broken", async () => {
    repo = makeRepo();
    const a = await create(repo, "101");
    await create(repo, "102");
    writeFileSync(path.join(a.path, ".git"), "gitdir: /nonexistent/nowhere\n");
    const run = await runWt(repo.main, ["status", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const st = json<StatusResult>(run);
    expect(row(st, "102").state).toBe("ok");
    expect(row(st, "101").managed).toBe(true);
  });

  it("paths with spaces, quotes and unicode are reported exactly", async () => {
    repo = makeRepo({ parent: "dir with space 'q' ü", files: { "a b.txt": "x\n" } });
    const made = await create(repo, "101");
    const folder = path.join(repo.root, "dir with space 'q' ü", "app-worktrees", "issue-101");
    expect(made.path).toBe(folder);
    writeFileSync(path.join(folder, "a b.txt"), "changed\n");
    writeFileSync(path.join(folder, 'naïve "file".txt'), "new\n");
    const st = await status(repo.main);
    expect(st.main).toBe(realpathSync(repo.main));
    expect(row(st, "101")).toMatchObject({ path: folder, state: "ok", changes: 2, dirty: true });
    const fromInside = await status(folder);
    expect(fromInside.main).toBe(st.main);
  });

  it("outside a repository is exit 2", async () => {
    repo = makeRepo();
    const outside = path.join(repo.root, "not-a-repo");
    mkdirSync(outside);
    const run = await runWt(outside, ["status", "--json"], { GIT_CEILING_DIRECTORIES: repo.root });
    expect(run.code).toBe(2);
    expect(Object.keys(json(run))).toEqual(["error"]);
    // -C naming a folder that does not exist, inside the repository: not "the repository above".
    await create(repo, "101");
    for (const args of [["status"], ["path", "101"], ["env", "101"], ["create", "102"], ["cleanup", "101"]]) {
      const missing = await runWt(repo.main, ["-C", "no/such/folder", ...args]);
      expect(missing.code, args.join(" ")).toBe(2);
      // Said as it is, not as git's "spawn ENOENT" (which reads like git is missing).
      expect(missing.stderr).toContain(`no such folder: ${path.join(repo.main, "no", "such", "folder")}`);
    }
  });

  it("each of many worktrees gets its own counts (statuses run in groups)", async () => {
    repo = makeRepo({ files: { "a.txt": "a\n" } });
    const made: CreateResult[] = [];
    for (let i = 1; i <= 9; i++) made.push(await create(repo, String(200 + i)));
    for (const [k, m] of made.entries()) {
      for (let j = 0; j < k; j++) writeFileSync(path.join(m.path, `new-${j}.txt`), "x\n");
    }
    writeFileSync(path.join(repo.main, "a.txt"), "main changed\n");
    const st = await status(repo.main);
    expect(made.map((m) => row(st, m.id).changes)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rowAt(st, realpathSync(repo.main)).changes).toBe(1);
    // Asking for some ids gives the same counts.
    const some = await status(repo.main, "209", "202");
    expect(some.worktrees.map((r) => [r.id, r.changes])).toEqual([
      ["209", 8],
      ["202", 1],
    ]);
  });

  it("ahead/behind of many diverged worktrees, each its own (rev-lists run in groups)", async () => {
    repo = makeRepo({ files: { "a.txt": "a\n" } });
    const made: CreateResult[] = [];
    for (let i = 1; i <= 6; i++) made.push(await create(repo, String(300 + i)));
    for (const [k, m] of made.entries()) {
      for (let j = 0; j <= k; j++) {
        writeFileSync(path.join(m.path, `c${j}.txt`), `${j}\n`);
        gitSync(m.path, "add", `c${j}.txt`);
        gitSync(m.path, "commit", "-q", "-m", `c${j}`);
      }
    }
    // The base (main) moves on by two commits after the worktrees were made.
    for (const n of [1, 2]) {
      writeFileSync(path.join(repo.main, `m${n}.txt`), "m\n");
      gitSync(repo.main, "add", `m${n}.txt`);
      gitSync(repo.main, "commit", "-q", "-m", `m${n}`);
    }
    const st = await status(repo.main);
    expect(made.map((m) => [row(st, m.id).ahead, row(st, m.id).behind])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 2],
      [6, 2],
    ]);
    expect(made.map((m) => row(st, m.id).base)).toEqual(made.map(() => "main"));
    // The main worktree is its own base: 0/0.
    expect(rowAt(st, realpathSync(repo.main))).toMatchObject({ ahead: 0, behind: 0 });
  });
});
