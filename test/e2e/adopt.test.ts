import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AdoptResult } from "../../src/core/adopt.js";
import {
  branchExists,
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  WT_BIN,
  type WtRun,
  wtEnv,
  wtJson,
} from "../helpers/repo.js";

/**
 * `wt adopt <path>` on real worktrees made without wt: plain `git worktree add`, Codex's
 * detached `$CODEX_WORKTREE_PATH/…/<repo>` (given relative and through a link), Cursor's setup
 * run inside the worktree with `$PWD`. Port base 50200 (200 slots): this file's own.
 */

let repo: TestRepo;
afterEach(() => repo?.remove());

const BASE = 50200;

/** A repository with an ignored `.env` that `.worktreeinclude` brings, and a SQLite database per worktree. */
function setup(extra: Record<string, unknown> = {}): void {
  repo = makeRepo();
  repo.write(".gitignore", ".env\ndata/\n");
  repo.write(".worktreeinclude", ".env\n");
  repo.write(".env", "SECRET=main\n");
  repo.write(
    "wt.config.json",
    JSON.stringify({ ports: { PORT: BASE }, portSlots: 200, databases: [{ path: "data/{name}.db" }], ...extra }),
  );
  repo.commitAll("config");
}

const recordFile = (id: string) => path.join(repo.main, ".git", "wt", "worktrees", `${id.toLowerCase()}.json`);
const excludeText = () => readFileSync(path.join(repo.main, ".git", "info", "exclude"), "utf8");

/** `git worktree add` by hand, as a user or an agent would. */
function addByHand(rel: string, ...how: string[]): string {
  const folder = path.join(repo.root, rel);
  mkdirSync(path.dirname(folder), { recursive: true });
  repo.git("worktree", "add", "-q", ...how, folder);
  return folder;
}

/** Runs `script` with sh in `cwd`, `wt` being the built binary: how Codex and Cursor run setup scripts. */
function sh(cwd: string, script: string, env: Record<string, string> = {}): Promise<WtRun> {
  return new Promise((resolve) => {
    execFile(
      "sh",
      ["-c", `wt() { "${process.execPath}" "${WT_BIN}" "$@"; }\n${script}`],
      { cwd, env: wtEnv(env) },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, signal: null, stdout, stderr });
      },
    );
  });
}

async function refused(cwd: string, args: string[]): Promise<ErrorJson["error"] & { exit: number | null }> {
  const run = await runWt(cwd, [...args, "--json"]);
  return { ...json<ErrorJson>(run).error, exit: run.code };
}

describe("wt adopt: a worktree made without wt becomes a managed one", () => {
  it("plain git worktree add: slot, ports, env file, include, database, exclude entries; checkout and branch untouched", async () => {
    setup();
    const folder = addByHand("elsewhere/feat-x", "-b", "feat-x");
    const head = gitSync(folder, "rev-parse", "HEAD").trim();
    const doc = await wtJson<AdoptResult>(repo.main, ["adopt", folder, "--json"]);
    expect(doc).toMatchObject({
      id: "feat-x",
      idFrom: "folder",
      branch: "feat-x",
      path: folder,
      base: "main",
      head,
      adopted: true,
      included: [{ path: ".env", mode: "copy" }],
      kept: [],
      databases: [{ engine: "sqlite", path: path.join(folder, "data", "feat-x.db"), env: "DATABASE_PATH" }],
    });
    const port = BASE + doc.slot;
    expect(doc.ports).toEqual({ PORT: port });
    const env = readFileSync(path.join(folder, ".env.local"), "utf8");
    expect(env).toContain(`PORT=${port}`);
    expect(env).toContain(`WT_PATH=${folder}`);
    expect(statSync(path.join(folder, ".env.local")).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(folder, ".env"), "utf8")).toBe("SECRET=main\n");
    expect(existsSync(path.join(folder, "data", "feat-x.db"))).toBe(true);
    // wt's files never show in the worktree's git status; the checkout is where it was.
    expect(gitSync(folder, "status", "--porcelain")).toBe("");
    expect(gitSync(folder, "rev-parse", "HEAD").trim()).toBe(head);
    expect(gitSync(folder, "branch", "--show-current").trim()).toBe("feat-x");
    expect(excludeText()).toContain("# wt:begin feat-x ");
    const record = JSON.parse(readFileSync(recordFile("feat-x"), "utf8"));
    expect(record).toMatchObject({ createdBranch: false, adopted: true, state: "ready", path: folder });

    const status = await wtJson<{ worktrees: { id: string | null; managed: boolean; state: string; ports: object }[] }>(
      repo.main,
      ["status", "--json"],
    );
    expect(status.worktrees.find((w) => w.id === "feat-x")).toMatchObject({
      managed: true,
      state: "ok",
      ports: { PORT: port },
    });
    const env2 = await runWt(folder, ["env", "--format", "json"]);
    expect(JSON.parse(env2.stdout)).toMatchObject({ WT_ID: "feat-x", PORT: String(port) });
  });

  it("cleanup of an adopted worktree removes it but never deletes the branch wt did not create (even with no commit of its own)", async () => {
    setup();
    const folder = addByHand("feat-y", "-b", "feat-y");
    await wtJson(repo.main, ["adopt", folder, "--json"]);
    const run = await runWt(repo.main, ["cleanup", "feat-y", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<{ removed: { id: string; branchDeleted: boolean; branchKept: string | null }[] }>(run);
    expect(doc.removed).toEqual([
      expect.objectContaining({ id: "feat-y", branchDeleted: false, branchKept: "adopted: wt did not create it" }),
    ]);
    expect(branchExists(repo.main, "feat-y")).toBe(true);
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(recordFile("feat-y"))).toBe(false);
    expect(excludeText()).not.toContain("# wt:begin feat-y ");
    // --delete-branch does not reach a branch wt did not create (the contract's "never").
    const other = addByHand("feat-z", "-b", "feat-z");
    await wtJson(repo.main, ["adopt", other, "--json"]);
    const forced = await runWt(repo.main, ["cleanup", "feat-z", "--delete-branch", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(json<{ removed: { branchDeleted: boolean; branchKept: string | null }[] }>(forced).removed).toEqual([
      expect.objectContaining({ branchDeleted: false, branchKept: "adopted: wt did not create it" }),
    ]);
    expect(branchExists(repo.main, "feat-z")).toBe(true);
  });

  it("the id comes from the branch through the branch and name templates (feature/issue-123 -> 123, slot 123)", async () => {
    setup();
    const folder = addByHand("somewhere-else", "-b", "feature/issue-123");
    const doc = await wtJson<AdoptResult>(repo.main, ["adopt", folder, "--json"]);
    expect(doc).toMatchObject({
      id: "123",
      idFrom: "branch",
      name: "issue-123",
      slot: 123,
      ports: { PORT: BASE + 123 },
    });
    const byFlag = addByHand("other", "-b", "other-branch");
    expect(await wtJson<AdoptResult>(repo.main, ["adopt", byFlag, "--id", "task-7", "--json"])).toMatchObject({
      id: "task-7",
      idFrom: "flag",
    });
  });

  it("an included path the folder already has is never overwritten: reported as kept", async () => {
    setup();
    const folder = addByHand("mine", "-b", "mine");
    writeFileSync(path.join(folder, ".env"), "SECRET=the-users-own\n");
    const run = await runWt(repo.main, ["adopt", folder, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<AdoptResult>(run);
    expect(doc.kept).toEqual([".env"]);
    expect(doc.included).toEqual([]);
    expect(doc.warnings.join("\n")).toContain("not bringing .env");
    expect(readFileSync(path.join(folder, ".env"), "utf8")).toBe("SECRET=the-users-own\n");
    // Not wt's: cleanup's "wt's own files" and info/exclude do not claim it.
    expect(JSON.parse(readFileSync(recordFile("mine"), "utf8")).included).toEqual([]);
  });

  it("--dry-run lists the steps and writes nothing; --verbose names the same steps as they run", async () => {
    setup();
    const folder = addByHand("dry", "-b", "dry");
    const doc = await wtJson<AdoptResult>(repo.main, ["adopt", folder, "--dry-run", "--json"]);
    expect(doc.dryRun).toBe(true);
    expect(doc.adopted).toBe(false);
    expect(doc.plan?.join("\n")).toMatch(/record worktree dry[\s\S]*copy \.env[\s\S]*write \.env\.local[\s\S]*sqlite/);
    expect(existsSync(recordFile("dry"))).toBe(false);
    expect(existsSync(path.join(folder, ".env.local"))).toBe(false);
    expect(existsSync(path.join(folder, ".env"))).toBe(false);
    const real = await runWt(repo.main, ["--verbose", "adopt", folder]);
    expect(real.code, real.stderr).toBe(0);
    const named = real.stderr
      .split("\n")
      .filter((l) => l.startsWith("  · "))
      .map((l) => l.slice(4));
    expect(named).toEqual(doc.plan);
  });
});

describe("wt adopt: refusals change nothing", () => {
  it("the main worktree, a folder git does not list, another repository's worktree, a missing path: exit 3", async () => {
    setup();
    const main = await refused(repo.main, ["adopt", "."]);
    expect(main).toMatchObject({ exit: 3, code: "conflict" });
    expect(main.message).toContain("main worktree");
    const plain = path.join(repo.root, "plain");
    mkdirSync(plain);
    const notListed = await refused(repo.main, ["adopt", plain]);
    expect(notListed).toMatchObject({ exit: 3 });
    expect(notListed.message).toContain("git does not list");
    const other = makeRepo({ name: "other" });
    try {
      const theirs = path.join(other.root, "theirs");
      other.git("worktree", "add", "-q", "-b", "theirs", theirs);
      const foreign = await refused(repo.main, ["adopt", theirs]);
      expect(foreign).toMatchObject({ exit: 3 });
      expect(foreign.message).toContain(repo.main);
      expect(existsSync(path.join(theirs, ".env.local"))).toBe(false);
      expect(existsSync(path.join(other.main, ".git", "wt"))).toBe(false);
    } finally {
      other.remove();
    }
    expect((await refused(repo.main, ["adopt", path.join(repo.root, "nope")])).exit).toBe(3);
    expect(existsSync(path.join(repo.main, ".git", "wt", "worktrees"))).toBe(false);
  });

  it("already managed (created or adopted), an id taken (by --id or derived), an invalid id", async () => {
    setup();
    await wtJson(repo.main, ["create", "101", "--no-fetch", "--json"]);
    const created = path.join(repo.root, "app-worktrees", "issue-101");
    const again = await refused(repo.main, ["adopt", created]);
    expect(again).toMatchObject({ exit: 3 });
    expect(again.message).toContain("already managed by wt as worktree 101");
    const folder = addByHand("x/issue-101", "-b", "x-101");
    const derived = await refused(repo.main, ["adopt", folder]);
    expect(derived).toMatchObject({ exit: 3 });
    expect(derived.message).toContain("id 101 (from the folder's name) is already worktree 101's");
    expect(derived.hint).toContain("--id");
    expect((await refused(repo.main, ["adopt", folder, "--id", "101"])).exit).toBe(3);
    expect((await refused(repo.main, ["adopt", folder, "--id", "../x"])).exit).toBe(2);
    expect(existsSync(path.join(folder, ".env.local"))).toBe(false);
    expect(existsSync(path.join(folder, ".env"))).toBe(false);
  });

  it("an idle slot of wt's pool: refused (claim it with wt create --pool)", async () => {
    setup({ pool: { size: 1 } });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const status = await wtJson<{ slots: { path: string; state: string }[] }>(repo.main, ["pool", "status", "--json"]);
    const slot = status.slots[0]?.path as string;
    const err = await refused(repo.main, ["adopt", slot]);
    expect(err).toMatchObject({ exit: 3 });
    expect(err.hint).toContain("--pool");
    expect(existsSync(path.join(slot, ".env.local"))).toBe(false);
  });

  it("an env file the folder already has (not wt's): refused, the file, the record and info/exclude untouched", async () => {
    setup();
    const folder = addByHand("has-env", "-b", "has-env");
    writeFileSync(path.join(folder, ".env.local"), "MINE=1\n");
    const err = await refused(repo.main, ["adopt", folder]);
    expect(err).toMatchObject({ exit: 3, code: "conflict" });
    expect(err.message).toContain(".env.local already exists");
    expect(err.hint).toContain("envFile");
    expect(readFileSync(path.join(folder, ".env.local"), "utf8")).toBe("MINE=1\n");
    expect(existsSync(recordFile("has-env"))).toBe(false);
    expect(existsSync(path.join(folder, ".env"))).toBe(false);
    expect(excludeText()).not.toContain("wt:begin has-env");
  });

  it("a failing databases[].init rolls back what the adoption wrote (record, env file, copy, exclude block), nothing of the user's", async () => {
    setup({ databases: [{ path: "data/{name}.db", init: "exit 7" }] });
    const folder = addByHand("fails", "-b", "fails");
    // A repository command (databases[].init) needs trust first: refused before anything is written.
    expect(await refused(repo.main, ["adopt", folder])).toMatchObject({ exit: 2, code: "untrusted" });
    expect(existsSync(recordFile("fails"))).toBe(false);
    trustRepo(repo.main);
    writeFileSync(path.join(folder, "notes.txt"), "mine\n");
    const run = await runWt(repo.main, ["adopt", folder, "--json"]);
    expect(run.code).toBe(6);
    expect(existsSync(recordFile("fails"))).toBe(false);
    expect(existsSync(path.join(folder, ".env.local"))).toBe(false);
    expect(existsSync(path.join(folder, ".env"))).toBe(false);
    expect(existsSync(path.join(folder, "data", "fails.db"))).toBe(false);
    expect(excludeText()).not.toContain("wt:begin fails");
    expect(readFileSync(path.join(folder, "notes.txt"), "utf8")).toBe("mine\n");
    expect(gitSync(folder, "status", "--porcelain")).toBe("?? notes.txt");
    expect(existsSync(path.join(folder, "data"))).toBe(false);
  });
});

describe("wt adopt: agents' setup scripts", () => {
  it("Codex: a detached worktree at $CODEX_WORKTREE_PATH, relative, through a link, from outside the repository; the id is the parent's name", async () => {
    setup();
    const real = addByHand("codex/worktrees/a1b2/app", "--detach");
    symlinkSync(path.join(repo.root, "codex", "worktrees"), path.join(repo.root, "codex-link"));
    // Run from outside any repository: the worktree's own repository is used.
    const run = await sh(repo.root, 'wt adopt "$CODEX_WORKTREE_PATH" --json', {
      CODEX_WORKTREE_PATH: "codex-link/a1b2/app",
    });
    expect(run.code, run.stderr).toBe(0);
    const doc = json<AdoptResult>(run);
    expect(doc).toMatchObject({ id: "a1b2", branch: null, path: real, adopted: true });
    expect(readFileSync(path.join(real, ".env.local"), "utf8")).toContain(`PORT=${BASE + doc.slot}`);
    expect(gitSync(real, "status", "--porcelain")).toBe("");
    const gone = await runWt(repo.main, ["cleanup", "a1b2", "--json"]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(json<{ removed: { branchDeleted: boolean }[] }>(gone).removed[0]?.branchDeleted).toBe(false);
  });

  it('Cursor: the setup runs `wt adopt "$PWD"` inside the worktree (also from a subfolder)', async () => {
    setup();
    const folder = addByHand("cursor/app/k3j", "-b", "cursor-k3j");
    const run = await sh(folder, 'wt adopt "$PWD" --json');
    expect(run.code, run.stderr).toBe(0);
    expect(json<AdoptResult>(run)).toMatchObject({ id: "k3j", branch: "cursor-k3j", path: folder });
    const second = addByHand("cursor/app/z9", "-b", "cursor-z9");
    mkdirSync(path.join(second, "src"));
    const sub = await sh(path.join(second, "src"), 'wt adopt "$PWD" -q');
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout).toBe(`${second}\n`);
    expect(existsSync(path.join(second, ".env.local"))).toBe(true);
  });
});
