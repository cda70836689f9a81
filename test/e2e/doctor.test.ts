import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DoctorCheck, DoctorResult } from "../../src/core/doctor.js";
import { json, makeRepo, runWt, type TestRepo, worktreePaths, wtJson } from "../helpers/repo.js";

/**
 * `wt doctor` on real repositories broken by hand, row by row (issue 14): its diagnosis, its
 * `--fix` where one exists, and that no existing folder and no user lock is ever removed.
 * Port base 45500: this file's own.
 */

let repo: TestRepo;
let server: Server | null = null;
afterEach(async () => {
  if (server) await new Promise<void>((r) => server?.close(() => r()));
  server = null;
  repo?.remove();
});

async function setup(...ids: string[]): Promise<void> {
  repo = makeRepo();
  repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45500 } }));
  repo.commitAll("config");
  for (const id of ids) await wtJson(repo.main, ["create", id, "--no-fetch", "--json"]);
}

const folderOf = (id: string) => path.join(repo.root, "app-worktrees", `issue-${id}`);
const recordFile = (id: string) => path.join(repo.main, ".git", "wt", "worktrees", `${id}.json`);
const excludeText = () => readFileSync(path.join(repo.main, ".git", "info", "exclude"), "utf8");

async function doctor(...args: string[]): Promise<{ code: number | null; doc: DoctorResult }> {
  const run = await runWt(repo.main, ["doctor", ...args, "--json"]);
  return { code: run.code, doc: json<DoctorResult>(run) };
}

function only(doc: DoctorResult, check: string): DoctorCheck {
  const found = doc.checks.filter((c) => c.check === check);
  expect(found, JSON.stringify(doc, null, 2)).toHaveLength(1);
  return found[0] as DoctorCheck;
}

describe("wt doctor: record, folder and git's list held against each other", () => {
  it("a healthy repository: no findings, exit 0", async () => {
    await setup("101");
    const { code, doc } = await doctor();
    expect(doc).toEqual({ checks: [], summary: { errors: 0, warnings: 0, fixed: 0 }, dryRun: false });
    expect(code).toBe(0);
  });

  it("a filled pool with a claimed slot: its slots are neither unmanaged worktrees nor a stray folder", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45500 }, pool: { size: 2 } }));
    repo.commitAll("config");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    await wtJson(repo.main, ["create", "101", "--pool", "--no-fetch", "--json"]);
    const { code, doc } = await doctor();
    expect(doc.checks).toEqual([]);
    expect(code).toBe(0);
  });

  it("a claimed worktree deleted by hand and pruned is a stale record, never taken for a move into an idle slot", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45500 }, pool: { size: 2 } }));
    repo.commitAll("config");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await wtJson<{ path: string }>(repo.main, ["create", "101", "--pool", "--no-fetch", "--json"]);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    rmSync(made.path, { recursive: true, force: true });
    repo.git("worktree", "prune");
    const { doc } = await doctor();
    expect(doc.checks.map((c) => [c.check, c.id])).toEqual([["stale-record", "101"]]);
  });

  it(".git/worktrees/<name> deleted: unregistered-folder, exit 3; --fix keeps the folder and its work", async () => {
    await setup("101");
    writeFileSync(path.join(folderOf("101"), "work.txt"), "unsaved work\n");
    rmSync(path.join(repo.main, ".git", "worktrees", "issue-101"), { recursive: true });
    const { code, doc } = await doctor();
    expect(only(doc, "unregistered-folder")).toMatchObject({
      severity: "error",
      id: "101",
      path: folderOf("101"),
      fix: null,
    });
    expect(only(doc, "unregistered-folder").hint).toContain("wt cleanup 101");
    expect(code).toBe(3);
    const fixed = await doctor("--fix");
    expect(fixed.code).toBe(3);
    expect(readFileSync(path.join(folderOf("101"), "work.txt"), "utf8")).toBe("unsaved work\n");
    expect(existsSync(recordFile("101"))).toBe(true);
  });

  it("wt's record deleted: unmanaged (info, exit 0); its exclude block is kept while that worktree is there", async () => {
    await setup("101");
    rmSync(recordFile("101"));
    const { code, doc } = await doctor("--fix");
    expect(only(doc, "unmanaged")).toMatchObject({ severity: "info", id: null, path: folderOf("101"), fix: null });
    expect(only(doc, "exclude-stale")).toMatchObject({ severity: "warning", id: "101", fix: null });
    expect(code).toBe(0);
    expect(excludeText()).toContain("# wt:begin 101 ");
    expect(existsSync(folderOf("101"))).toBe(true);
  });

  it("`git worktree move` by hand: moved (error) naming the new place, not also unmanaged; --fix follows the move and keeps both the folder and the branch", async () => {
    await setup("101");
    const moved = path.join(repo.root, "elsewhere");
    writeFileSync(path.join(folderOf("101"), "work.txt"), "unsaved work\n");
    repo.git("worktree", "move", folderOf("101"), moved);
    const { code, doc } = await doctor();
    const m = only(doc, "moved");
    expect(m).toMatchObject({ severity: "error", id: "101", path: folderOf("101"), fix: { applied: false } });
    expect(m.message).toContain(moved);
    expect(m.fix?.commands.join("\n")).toContain(`record worktree 101 at '${moved}'`);
    expect(doc.checks.some((c) => c.check === "unmanaged")).toBe(false);
    expect(code).toBe(3);
    expect(JSON.parse(readFileSync(recordFile("101"), "utf8")).path).toBe(folderOf("101"));

    const fixed = await doctor("--fix");
    expect(only(fixed.doc, "moved").fix).toMatchObject({ applied: true, error: null });
    expect(fixed.code).toBe(0);
    expect(JSON.parse(readFileSync(recordFile("101"), "utf8")).path).toBe(moved);
    expect(readFileSync(path.join(moved, ".env.local"), "utf8")).toContain(`WT_PATH=${moved}`);
    expect(readFileSync(path.join(moved, "work.txt"), "utf8")).toBe("unsaved work\n");
    expect(repo.git("branch", "--list", "feature/issue-101")).toContain("feature/issue-101");
    expect((await doctor()).doc.checks).toEqual([]);
    const status = await wtJson<{ worktrees: { id: string | null; path: string; managed: boolean }[] }>(repo.main, [
      "status",
      "--json",
    ]);
    expect(status.worktrees.find((w) => w.id === "101")).toMatchObject({ path: moved, managed: true });
  });

  it("a claimed pool slot moved by hand (its admin dir named after the slot) is followed as moved", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 45500 }, pool: { size: 1 } }));
    repo.commitAll("config");
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    await wtJson(repo.main, ["create", "101", "--pool", "--no-fetch", "--json"]);
    const moved = path.join(repo.root, "elsewhere");
    repo.git("worktree", "move", folderOf("101"), moved);
    const fixed = await doctor("--fix");
    expect(only(fixed.doc, "moved").fix).toMatchObject({ applied: true, error: null });
    expect(JSON.parse(readFileSync(recordFile("101"), "utf8")).path).toBe(moved);
  });

  it("a detached worktree moved with mv, then tied back with git worktree repair, is followed as moved (its admin dir says which)", async () => {
    await setup("101");
    repo.git("-C", folderOf("101"), "switch", "-q", "--detach");
    const moved = path.join(repo.root, "moved-101");
    renameSync(folderOf("101"), moved);
    repo.git("worktree", "repair", moved);
    const fixed = await doctor("--fix");
    expect(only(fixed.doc, "moved").fix).toMatchObject({ applied: true, error: null });
    expect(JSON.parse(readFileSync(recordFile("101"), "utf8")).path).toBe(moved);
  });

  it("a worktree the user added afresh on the record's branch (the old one gone and pruned) is not taken for a move: its env file is never rewritten", async () => {
    await setup("101");
    rmSync(folderOf("101"), { recursive: true, force: true });
    repo.git("worktree", "prune");
    const mine = path.join(repo.root, "mywork");
    repo.git("worktree", "add", "-q", mine, "feature/issue-101");
    writeFileSync(path.join(mine, ".env.local"), "MY_OWN_SECRET=abc\n");
    const fixed = await doctor("--fix");
    expect(fixed.doc.checks.map((c) => c.check)).not.toContain("moved");
    expect(readFileSync(path.join(mine, ".env.local"), "utf8")).toBe("MY_OWN_SECRET=abc\n");
    const record = existsSync(recordFile("101")) ? JSON.parse(readFileSync(recordFile("101"), "utf8")) : null;
    expect(record?.path).not.toBe(mine);
    // And no cleanup of 101 reaches the user's worktree.
    await runWt(repo.main, ["cleanup", "101", "--json"]);
    expect(readFileSync(path.join(mine, ".env.local"), "utf8")).toBe("MY_OWN_SECRET=abc\n");
  });

  it("a stray folder in the worktrees folder: orphan-folder; --fix never deletes it", async () => {
    await setup("101");
    const stray = path.join(repo.root, "app-worktrees", "issue-777");
    mkdirSync(stray);
    writeFileSync(path.join(stray, "notes.txt"), "mine\n");
    const { doc } = await doctor("--fix");
    expect(only(doc, "orphan-folder")).toMatchObject({ severity: "warning", path: stray, fix: null });
    expect(readFileSync(path.join(stray, "notes.txt"), "utf8")).toBe("mine\n");
  });

  it("the folder deleted by hand (git still lists it): folder-missing; --fix removes that registration, the record and its block, keeps the branch", async () => {
    await setup("101", "102");
    rmSync(folderOf("101"), { recursive: true });
    const dry = await doctor("--fix", "--dry-run");
    const f = only(dry.doc, "folder-missing");
    expect(f).toMatchObject({ severity: "error", id: "101", fix: { applied: false, error: null } });
    expect(f.fix?.commands.join("\n")).toMatch(/worktree remove .*issue-101[\s\S]*rm .*101\.json[\s\S]*wt:begin 101/);
    expect(dry.code).toBe(3);
    expect(worktreePaths(repo.main)).toContain(folderOf("101"));
    expect(existsSync(recordFile("101"))).toBe(true);

    const { code, doc } = await doctor("--fix");
    expect(only(doc, "folder-missing").fix).toMatchObject({ applied: true, error: null });
    expect(doc.summary).toEqual({ errors: 0, warnings: 0, fixed: 1 });
    expect(code).toBe(0);
    expect(worktreePaths(repo.main)).not.toContain(folderOf("101"));
    expect(existsSync(recordFile("101"))).toBe(false);
    expect(excludeText()).not.toContain("# wt:begin 101 ");
    expect(repo.git("branch", "--list", "feature/issue-101")).toContain("feature/issue-101");
    expect(existsSync(folderOf("102"))).toBe(true);
    expect(existsSync(recordFile("102"))).toBe(true);
    expect((await doctor()).doc.checks).toEqual([]);
    // The slot is free again: the next create of 101 gets its own ports back.
    const again = await wtJson<{ slot: number }>(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(again.slot).toBe(101);
  });

  it("folder-missing with a lock the user set: no fix, the lock and the registration stay", async () => {
    await setup("101");
    repo.git("worktree", "lock", "--reason", "my own lock", folderOf("101"));
    rmSync(folderOf("101"), { recursive: true });
    const { code, doc } = await doctor("--fix");
    const f = only(doc, "folder-missing");
    expect(f.fix).toBeNull();
    expect(f.message).toContain("my own lock");
    expect(f.hint).toContain("worktree unlock");
    expect(code).toBe(3);
    expect(repo.git("worktree", "list", "--porcelain")).toContain("locked my own lock");
    expect(existsSync(recordFile("101"))).toBe(true);
  });

  it("a stale record (folder and registration gone): --dry-run shows the fix and changes nothing; --fix drops record and exclude block", async () => {
    await setup("101", "102");
    rmSync(folderOf("101"), { recursive: true });
    repo.git("worktree", "prune");
    const dry = await doctor("--fix", "--dry-run");
    const d = only(dry.doc, "stale-record");
    expect(d).toMatchObject({ severity: "error", id: "101", fix: { applied: false, error: null } });
    expect(d.fix?.commands.join("\n")).toMatch(/rm .*101\.json[\s\S]*wt:begin 101/);
    expect(dry.doc.dryRun).toBe(true);
    expect(dry.code).toBe(3);
    expect(existsSync(recordFile("101"))).toBe(true);

    const { code, doc } = await doctor("--fix");
    expect(only(doc, "stale-record").fix).toMatchObject({ applied: true, error: null });
    expect(doc.summary).toEqual({ errors: 0, warnings: 0, fixed: 1 });
    expect(code).toBe(0);
    expect(existsSync(recordFile("101"))).toBe(false);
    expect(excludeText()).not.toContain("# wt:begin 101 ");
    expect(excludeText()).toContain("# wt:begin 102 ");
    expect(existsSync(folderOf("102"))).toBe(true);
    expect((await doctor()).doc.checks).toEqual([]);
  });

  it("a prunable git entry (no record, no folder): --fix removes that one registration; a user-locked one is never unlocked", async () => {
    await setup("101", "102");
    for (const id of ["101", "102"]) {
      rmSync(recordFile(id));
      rmSync(folderOf(id), { recursive: true });
    }
    repo.git("worktree", "lock", "--reason", "my own lock", folderOf("102"));
    const { doc } = await doctor("--fix");
    const prunable = doc.checks.filter((c) => c.check === "git-prunable");
    expect(prunable).toHaveLength(2);
    const p101 = prunable.find((c) => c.path === folderOf("101"));
    const p102 = prunable.find((c) => c.path === folderOf("102"));
    expect(p101?.fix).toMatchObject({ applied: true, error: null });
    expect(p102?.fix).toBeNull();
    expect(p102?.message).toContain("my own lock");
    expect(worktreePaths(repo.main)).not.toContain(folderOf("101"));
    expect(worktreePaths(repo.main)).toContain(folderOf("102"));
    const list = repo.git("worktree", "list", "--porcelain");
    expect(list).toContain("locked my own lock");
  });

  it("a slot collision (two records edited to one slot): an error on each, exit 3", async () => {
    await setup("101", "102");
    const r102 = JSON.parse(readFileSync(recordFile("102"), "utf8"));
    writeFileSync(recordFile("102"), JSON.stringify({ ...r102, slot: 101, ports: { PORT: 45601 } }));
    const { code, doc } = await doctor();
    const hits = doc.checks.filter((c) => c.check === "slot-collision");
    expect(hits.map((c) => c.id).sort()).toEqual(["101", "102"]);
    expect(hits.every((c) => c.severity === "error")).toBe(true);
    expect(hits.find((c) => c.id === "101")?.message).toContain("102");
    expect(code).toBe(3);
  });

  it("a wrong-mode env file: env-file-mode warning; --fix restores 0600; a deleted one is written again", async () => {
    await setup("101", "102");
    const env101 = path.join(folderOf("101"), ".env.local");
    const env102 = path.join(folderOf("102"), ".env.local");
    chmodSync(env101, 0o644);
    rmSync(env102);
    const dry = await doctor("--fix", "--dry-run");
    expect(only(dry.doc, "env-file-mode").fix).toMatchObject({ commands: [`chmod 600 '${env101}'`], applied: false });
    expect(statSync(env101).mode & 0o777).toBe(0o644);
    const { code, doc } = await doctor("--fix");
    expect(only(doc, "env-file-mode")).toMatchObject({ severity: "warning", id: "101", fix: { applied: true } });
    expect(only(doc, "env-file-missing")).toMatchObject({ id: "102", fix: { applied: true } });
    expect(code).toBe(0);
    expect(statSync(env101).mode & 0o777).toBe(0o600);
    expect(statSync(env102).mode & 0o777).toBe(0o600);
    expect(readFileSync(env102, "utf8")).toContain("PORT=45602");
  });

  it("a port held by a process that is not the worktree's: port-foreign names it; a user's git lock is reported, never lifted", async () => {
    await setup("101");
    server = createServer();
    await new Promise<void>((r) => server?.listen(45601, r));
    repo.git("worktree", "lock", "--reason", "keep", folderOf("101"));
    const { code, doc } = await doctor("--fix");
    const p = only(doc, "port-foreign");
    expect(p.severity).toBe("warning");
    expect(p.message).toContain(`PORT=45601 is held by pid ${process.pid}`);
    expect(only(doc, "locked")).toMatchObject({ severity: "info", fix: null });
    expect(code).toBe(0);
    expect(repo.git("worktree", "list", "--porcelain")).toContain("locked keep");
  });

  it("an unknown id is exit 3; the human report ends with the summary", async () => {
    await setup("101");
    const unknown = await runWt(repo.main, ["doctor", "999"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("999");
    rmSync(folderOf("101"), { recursive: true });
    const human = await runWt(repo.main, ["doctor"]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/folder-missing \(id 101 .*\n.*--fix would run: git -C .* worktree remove /);
    expect(human.stdout).toContain("1 error(s), 0 warning(s), 0 fixed");
  });
});
