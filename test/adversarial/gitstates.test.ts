import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult, StatusResult, StatusRow } from "../../src/index.js";
import { filesUnder, footprint as footprintOf } from "../helpers/footprint.js";
import {
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  type WtRun,
  worktreePaths,
  worktreesDir,
  wtJson,
} from "../helpers/repo.js";

/**
 * Adversarial tests: odd git states (locked, prunable, detached with unreachable commits,
 * initialised submodules, bare repositories, failing git hooks, a too-old git), with the built
 * binary on real repositories.
 */

/**
 * What a refused run must leave as it was: see helpers/footprint.ts, here with each branch's
 * commit, the worktrees' lock, prunable and HEAD lines, and what lies beside the main worktree.
 */
const footprint = (r: TestRepo) =>
  footprintOf(r.main, { branchHeads: true, worktreeDetails: true, exactExclude: true, beside: true });

function ok(run: WtRun): WtRun {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  return run;
}

const create = (r: TestRepo, id: string, ...extra: string[]) =>
  wtJson<CreateResult>(r.main, ["create", id, "--json", ...extra]);

const status = (cwd: string) => wtJson<StatusResult>(cwd, ["status", "--json"]);

function rowAt(st: StatusResult, folder: string): StatusRow {
  const found = st.worktrees.find((w) => w.path === folder);
  if (!found) throw new Error(`no row at ${folder} in ${JSON.stringify(st, null, 2)}`);
  return found;
}

let repo: TestRepo | undefined;
const extra: string[] = [];
afterEach(() => {
  repo?.remove();
  repo = undefined;
  for (const d of extra.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("locked worktree", () => {
  it("status shows locked with the reason; cleanup is exit 4 naming it; --force removes it", async () => {
    repo = makeRepo();
    const wt = await create(repo, "101");
    gitSync(repo.main, "worktree", "lock", "--reason", "on usb stick", wt.path);

    const st = await status(repo.main);
    const row = rowAt(st, wt.path);
    expect(row.state).toBe("locked");
    expect(row.reason).toBe("on usb stick");
    const human = ok(await runWt(repo.main, ["status"]));
    expect(human.stdout).toMatch(/\blocked\b/);
    expect(human.stdout).toContain("on usb stick");

    const before = footprint(repo);
    const refused = await runWt(repo.main, ["cleanup", "101"]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toContain("on usb stick");
    expect(footprint(repo)).toEqual(before);
    expect(existsSync(wt.path)).toBe(true);

    const jsonRefused = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(jsonRefused.code).toBe(4);
    expect(json<ErrorJson>(jsonRefused).error.message).toContain("on usb stick");

    ok(await runWt(repo.main, ["cleanup", "101", "--force"]));
    expect(existsSync(wt.path)).toBe(false);
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
    expect(filesUnder(path.join(repo.main, ".git", "wt", "worktrees"))).toEqual([]);
  });
});

describe("prunable and missing worktrees", () => {
  it("an unmanaged worktree whose folder was deleted shows as prunable", async () => {
    repo = makeRepo();
    const folder = path.join(repo.root, "unmanaged");
    gitSync(repo.main, "worktree", "add", "-q", "-b", "unmanaged", folder);
    rmSync(folder, { recursive: true, force: true });
    const row = rowAt(await status(repo.main), folder);
    expect(row.state).toBe("prunable");
    expect(row.managed).toBe(false);
    // And cleanup never touches it: it is not wt's.
    const before = footprint(repo);
    const all = ok(await runWt(repo.main, ["cleanup", "--all", "--json"]));
    expect(json<CleanupResult>(all).removed).toEqual([]);
    expect(footprint(repo)).toEqual(before);
  });

  it("a managed worktree whose folder was deleted shows missing; cleanup exits 0 and forgets it", async () => {
    repo = makeRepo();
    const wt = await create(repo, "101");
    rmSync(wt.path, { recursive: true, force: true });
    const row = rowAt(await status(repo.main), wt.path);
    expect(row.state).toBe("missing");
    expect(row.managed).toBe(true);
    ok(await runWt(repo.main, ["cleanup", "101"]));
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
    expect(filesUnder(path.join(repo.main, ".git", "wt", "worktrees"))).toEqual([]);
    expect(readFileSync(path.join(repo.main, ".git", "info", "exclude"), "utf8")).not.toContain("wt:begin");
  });
});

describe("detached HEAD", () => {
  it("with commits no branch holds: cleanup is exit 5 listing both; --force removes it", async () => {
    repo = makeRepo();
    const wt = await create(repo, "101");
    gitSync(wt.path, "checkout", "-q", "--detach");
    gitSync(wt.path, "commit", "-q", "--allow-empty", "-m", "lost one");
    const first = gitSync(wt.path, "rev-parse", "HEAD");
    gitSync(wt.path, "commit", "-q", "--allow-empty", "-m", "lost two");
    const second = gitSync(wt.path, "rev-parse", "HEAD");

    const before = footprint(repo);
    const refused = await runWt(repo.main, ["cleanup", "101"]);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toContain(first);
    expect(refused.stderr).toContain(second);
    const jsonRefused = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(jsonRefused.code).toBe(5);
    const err = json<ErrorJson>(jsonRefused).error;
    expect(err.message).toContain(first);
    expect(err.message).toContain(second);
    expect([...(err.commits ?? [])].sort()).toEqual([first, second].sort());
    expect(footprint(repo)).toEqual(before);
    expect(gitSync(wt.path, "rev-parse", "HEAD")).toBe(second);

    ok(await runWt(repo.main, ["cleanup", "101", "--force"]));
    expect(existsSync(wt.path)).toBe(false);
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
  });

  it("at a commit a branch holds: cleanup exits 0", async () => {
    repo = makeRepo();
    const wt = await create(repo, "101");
    gitSync(wt.path, "checkout", "-q", "--detach");
    ok(await runWt(repo.main, ["cleanup", "101"]));
    expect(existsSync(wt.path)).toBe(false);
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
  });
});

describe("work in odd states inside a managed worktree", () => {
  it("an unresolved merge conflict: cleanup is exit 5 listing the file, nothing removed", async () => {
    repo = makeRepo({ files: { "shared.txt": "base\n" } });
    const wt = await create(repo, "101");
    writeFileSync(path.join(wt.path, "shared.txt"), "branch side\n");
    gitSync(wt.path, "commit", "-q", "-am", "branch side");
    repo.write("shared.txt", "main side\n");
    repo.commitAll("main side");
    expect(() => gitSync(wt.path, "merge", "-q", "main")).toThrow();
    const before = footprint(repo);
    const refused = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(refused.code, refused.stderr).toBe(5);
    expect(json<ErrorJson>(refused).error.files).toContain("shared.txt");
    expect(refused.stderr).toContain("shared.txt");
    expect(footprint(repo)).toEqual(before);
    expect(existsSync(path.join(wt.path, ".git"))).toBe(true);
  });

  it("the branch renamed inside the worktree: cleanup keeps the renamed branch and its commit", async () => {
    repo = makeRepo();
    const wt = await create(repo, "101");
    writeFileSync(path.join(wt.path, "work.txt"), "work\n");
    gitSync(wt.path, "add", "work.txt");
    gitSync(wt.path, "commit", "-q", "-m", "work");
    const tip = gitSync(wt.path, "rev-parse", "HEAD");
    gitSync(wt.path, "branch", "-m", wt.branch, "renamed-by-user");
    const run = await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(wt.path)).toBe(false);
    expect(gitSync(repo.main, "rev-parse", "refs/heads/renamed-by-user")).toBe(tip);
  });

  it("the worktree folder swapped for a symlink to the main worktree: cleanup --force deletes nothing in main", async () => {
    repo = makeRepo({ files: { ".gitignore": "local.txt\n" } });
    repo.write("local.txt", "ignored but precious\n");
    const wt = await create(repo, "101");
    rmSync(wt.path, { recursive: true, force: true });
    symlinkSync(repo.main, wt.path);
    const mainStatus = gitSync(repo.main, "status", "--porcelain", "--ignored", "--untracked-files=all");
    const run = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(readFileSync(path.join(repo.main, "README.md"), "utf8")).toBe("# test repo\n");
    expect(readFileSync(path.join(repo.main, "local.txt"), "utf8")).toBe("ignored but precious\n");
    expect(gitSync(repo.main, "status", "--porcelain", "--ignored", "--untracked-files=all")).toBe(mainStatus);
    expect(gitSync(repo.main, "rev-parse", "--is-inside-work-tree")).toBe("true");
  });
});

describe("initialised submodules", () => {
  let sub: TestRepo | undefined;
  afterEach(() => {
    sub?.remove();
    sub = undefined;
  });

  function repoWithSubmodule(): TestRepo {
    sub = makeRepo({ name: "subsrc", files: { "lib.txt": "library\n" } });
    const r = makeRepo();
    gitSync(r.main, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.main, "sub");
    gitSync(r.main, "commit", "-q", "-m", "add submodule");
    return r;
  }

  function initSubmodule(worktree: string): void {
    gitSync(worktree, "-c", "protocol.file.allow=always", "submodule", "update", "--init", "-q");
    expect(readFileSync(path.join(worktree, "sub", "lib.txt"), "utf8")).toBe("library\n");
  }

  it("a clean initialised submodule: cleanup exits 0 and the folder is gone", async () => {
    repo = repoWithSubmodule();
    const wt = await create(repo, "101");
    initSubmodule(wt.path);
    ok(await runWt(repo.main, ["cleanup", "101"]));
    expect(existsSync(wt.path)).toBe(false);
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
    expect(filesUnder(path.join(repo.main, ".git", "wt", "worktrees"))).toEqual([]);
  });

  it("a modified file inside the submodule: cleanup is exit 5 and nothing is removed", async () => {
    repo = repoWithSubmodule();
    const wt = await create(repo, "101");
    initSubmodule(wt.path);
    writeFileSync(path.join(wt.path, "sub", "lib.txt"), "edited in the submodule\n");
    const before = footprint(repo);
    const refused = await runWt(repo.main, ["cleanup", "101"]);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/\bsub\b/);
    expect(footprint(repo)).toEqual(before);
    expect(readFileSync(path.join(wt.path, "sub", "lib.txt"), "utf8")).toBe("edited in the submodule\n");
  });
});

describe("bare repository with linked worktrees", () => {
  it("create from the bare dir, status from the worktree, cleanup from the bare dir", async () => {
    repo = makeRepo();
    const bare = path.join(repo.root, "proj.git");
    gitSync(repo.root, "clone", "-q", "--bare", repo.main, bare);
    const created = await wtJson<CreateResult>(bare, ["create", "101", "--no-fetch", "--json"]);
    const expected = path.join(repo.root, "proj-worktrees", "issue-101");
    expect(created.path).toBe(expected);
    expect(existsSync(path.join(expected, "README.md"))).toBe(true);
    expect(worktreePaths(bare)).toContain(expected);

    const st = await status(expected);
    const row = rowAt(st, expected);
    expect(row.managed).toBe(true);
    expect(row.id).toBe("101");
    expect(row.state).toBe("ok");

    ok(await runWt(bare, ["cleanup", "101"]));
    expect(existsSync(expected)).toBe(false);
    expect(worktreePaths(bare)).toEqual([bare]);
    expect(filesUnder(path.join(bare, "wt", "worktrees"))).toEqual([]);
  });
});

describe("a failing git hook", () => {
  it("post-checkout exiting 1: create is exit 6 with the hook's stderr, everything rolled back", async () => {
    repo = makeRepo();
    const hook = path.join(repo.main, ".git", "hooks", "post-checkout");
    writeFileSync(hook, '#!/bin/sh\necho "post-checkout hook says no" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const before = footprint(repo);
    const run = await runWt(repo.main, ["create", "101"]);
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(6);
    expect(run.stderr).toContain("post-checkout hook says no");
    expect(existsSync(path.join(worktreesDir(repo.main), "issue-101"))).toBe(false);
    expect(gitSync(repo.main, "branch", "--list", "feature/issue-101")).toBe("");
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
    // Rolled back exactly: also the `<repo>-worktrees` folder `git worktree add` made for it.
    expect(footprint(repo)).toEqual(before);
  });
});

describe("git older than the minimum", () => {
  it("a fake git 2.30.1 first on PATH: exit 2 naming the version and the minimum, nothing created", async () => {
    repo = makeRepo();
    const realGit = execFileSync("/bin/sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    const fakeDir = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-fakegit-")));
    extra.push(fakeDir);
    const fake = path.join(fakeDir, "git");
    writeFileSync(
      fake,
      [
        "#!/bin/sh",
        'if [ "$1" = "version" ] || [ "$1" = "--version" ]; then echo "git version 2.30.1"; exit 0; fi',
        // Like git before 2.36, no `worktree list -z`: `wt status` asks the version only then.
        'case " $* " in *" worktree list "*" -z "*) echo "error: unknown switch `z\'" >&2; exit 129;; esac',
        `exec ${realGit} "$@"`,
        "",
      ].join("\n"),
    );
    chmodSync(fake, 0o755);
    const env = { PATH: `${fakeDir}${path.delimiter}${process.env.PATH ?? ""}` };
    // The fake really is the git wt finds, and it passes everything else through.
    expect(execFileSync("git", ["--version"], { env: { ...process.env, ...env }, encoding: "utf8" })).toBe(
      "git version 2.30.1\n",
    );

    const st = await runWt(repo.main, ["status"], env);
    expect(st.code, st.stderr).toBe(2);
    expect(st.stderr).toContain("2.30.1");
    expect(st.stderr).toContain("2.36");

    const before = footprint(repo);
    const cr = await runWt(repo.main, ["create", "101"], env);
    expect(cr.code, cr.stderr).toBe(2);
    expect(cr.stderr).toContain("2.30.1");
    expect(footprint(repo)).toEqual(before);
  });
});
