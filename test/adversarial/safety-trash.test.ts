import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, DoctorResult, StatusResult } from "../../src/index.js";
import { type ErrorJson, gitOnPath, gitSync, json, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

// `wt cleanup` renames a worktree folder into <git-common-dir>/wt/trash before
// `git worktree remove`, and deletes it in the background. A cleanup killed between the two
// left a folder git still listed, which an agent could still write to; the next cleanup
// deleted it with the rest of the trash, unseen (an adversarial run's finding). Ports 468xx.

let repo: TestRepo;
afterEach(() => repo?.remove());

type Cleaned = { removed: { id: string }[]; warnings: string[] };

function setUp(): TestRepo {
  const r = makeRepo({ files: { "src/app.js": "one\n" } });
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 46800 } }));
  r.commitAll("setup");
  return r;
}

/** A PATH whose `git` kills its parent (wt) when asked to `worktree remove`, which it never runs. */
const killingGit = (r: TestRepo) => gitOnPath(r.root, `*"worktree remove"*) kill -9 $PPID; exit 1;;`);

const trash = (r: TestRepo) => path.join(r.main, ".git", "wt", "trash");

/**
 * Worktree 1 (and 2, unless `second` is false) made, then `wt cleanup 1` killed between its
 * move into the trash and `git worktree remove`, and an agent's notes written into the entry.
 */
async function stoppedCleanup({ second = true, env = {} }: { second?: boolean; env?: Record<string, string> } = {}) {
  const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"], env);
  if (second) await wtJson(repo.main, ["create", "2", "--json"], env);
  const killed = await runWt(repo.main, ["cleanup", "1", "--json"], { PATH: killingGit(repo) });
  expect(killed.code, killed.stderr).toBeNull();
  const left = path.join(trash(repo), readdirSync(trash(repo))[0] as string);
  writeFileSync(path.join(left, "notes.txt"), "an agent's notes\n");
  return { made, left };
}

describe("what a stopped cleanup left in the trash", () => {
  it("a worktree git still lists is put back and checked again: its new file refuses the cleanup (exit 5) and stays", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    const killed = await runWt(repo.main, ["cleanup", "1", "--json"], { PATH: killingGit(repo) });
    expect(killed.code, killed.stderr).toBeNull();
    const [left] = readdirSync(trash(repo));
    expect(left).toMatch(/^issue-1-\d+-\d+$/);
    expect(existsSync(made.path)).toBe(false);
    // An agent still in the folder writes on.
    writeFileSync(path.join(trash(repo), left as string, "notes.txt"), "an agent's notes\n");
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual(["notes.txt"]);
    expect(run.stderr).toContain(`put ${made.path} back from wt's trash`);
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(gitSync(made.path, "rev-parse", "--show-toplevel")).toBe(made.path);
    // Back at its path, wt's lock and mark are gone with it.
    const admin = path.join(repo.main, ".git", "worktrees", "issue-1");
    expect(readdirSync(admin).filter((f) => f === "locked" || f === "wt-trashed")).toEqual([]);
    // Once the notes are moved away, the cleanup goes through.
    execFileSync("mv", [path.join(made.path, "notes.txt"), repo.root]);
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "1", "--json"]);
    expect(gone.removed.map((r) => r.id)).toEqual(["1"]);
  });

  it("wt doctor names the folder in the trash and --fix puts it back, its new file with it", async () => {
    repo = setUp();
    const { made, left } = await stoppedCleanup({ second: false });
    const doc = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    const found = doc.checks.find((c) => c.check === "folder-missing");
    expect(found?.message).toContain(`in wt's trash (${left})`);
    await runWt(repo.main, ["doctor", "--fix", "--json"]);
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(existsSync(left)).toBe(false);
    const again = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    expect(again.checks.filter((c) => c.id === "1").map((c) => c.check)).toEqual([]);
  });

  it("wt status names the trash entry of a worktree a stopped cleanup left there, and how to get it back", async () => {
    repo = setUp();
    const { left } = await stoppedCleanup({ second: false });
    const doc = json<StatusResult>(await runWt(repo.main, ["status", "1", "--json"]));
    const row = doc.worktrees[0];
    expect(row?.state).toBe("missing");
    expect(row?.reason).toContain(`it is in wt's trash (${left})`);
    expect(row?.reason).toContain("`wt doctor --fix` or the next `wt cleanup 1` puts it back");
    // Only the stopped cleanup's folder: one deleted by hand is just gone.
    const other = await wtJson<CreateResult>(repo.main, ["create", "3", "--json"]);
    rmSync(other.path, { recursive: true, force: true });
    const gone = json<StatusResult>(await runWt(repo.main, ["status", "3", "--json"])).worktrees[0];
    expect(gone?.state).toBe("missing");
    expect(gone?.reason).not.toContain("trash");
  });

  it("a worktree git still lists whose path is taken again stays in the trash (a warning), never deleted; doctor --fix puts it back once the path is free", async () => {
    repo = setUp();
    const { made, left } = await stoppedCleanup();
    // Something made the folder again at the old path (an editor reopening it, say).
    mkdirSync(made.path);
    writeFileSync(path.join(made.path, "scratch.txt"), "not the worktree\n");
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "2", "--json"]);
    expect(gone.removed.map((r) => r.id)).toEqual(["2"]);
    expect(gone.warnings.join("\n"), JSON.stringify(gone.warnings)).toContain(`left ${left} in wt's trash`);
    expect(readFileSync(path.join(left, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(readFileSync(path.join(made.path, "scratch.txt"), "utf8")).toBe("not the worktree\n");
    const doc = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    const told = doc.checks.find((c) => c.id === "1");
    expect(told?.message).toContain(`the worktree is in wt's trash (${left})`);
    expect(told?.fix).toBeNull();
    // As the warning says: with what is there moved aside, doctor --fix puts the worktree back.
    execFileSync("mv", [made.path, path.join(repo.root, "scratch")]);
    await runWt(repo.main, ["doctor", "--fix", "--json"]);
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(existsSync(left)).toBe(false);
  });

  it("a worktree in the trash whose taken path got a .git again (git worktree repair) stays in the trash; the refusal's hint names the trash, not repair", async () => {
    repo = setUp();
    const { made, left } = await stoppedCleanup();
    mkdirSync(made.path);
    writeFileSync(path.join(made.path, "scratch.txt"), "not the worktree\n");
    // The refusal points at the trash: `git worktree repair` would tie this folder to the worktree.
    const refused = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(refused.code, refused.stderr).toBe(3);
    const hint = json<ErrorJson & { error: { hint?: string } }>(refused).error.hint ?? "";
    expect(hint).toContain(`the worktree is in wt's trash (${left})`);
    expect(hint).not.toContain("git worktree repair");
    // Run anyway, git 2.39 writes a .git file into the folder (and may still fail).
    try {
      execFileSync("git", ["-C", repo.main, "worktree", "repair", made.path], { stdio: "ignore" });
    } catch {
      // Its exit code does not matter: what it left in the folder does.
    }
    expect(existsSync(path.join(made.path, ".git"))).toBe(true);
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "2", "--json"]);
    expect(gone.removed.map((r) => r.id)).toEqual(["2"]);
    expect(gone.warnings.join("\n"), JSON.stringify(gone.warnings)).toContain(`left ${left} in wt's trash`);
    expect(gone.warnings.join("\n")).not.toContain("deleting what a stopped cleanup left");
    expect(readFileSync(path.join(left, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    const doc = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    expect(doc.checks.find((c) => c.id === "1")?.message).toContain(`the worktree is in wt's trash (${left})`);
  });

  it("a trashed worktree is git-locked (prune leaves it); once the user unlocks and prunes it, a newer worktree may take its name: the entry is swept and the newer worktree left alone", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    await wtJson(repo.main, ["create", "2", "--json"]);
    const killed = await runWt(repo.main, ["cleanup", "1", "--json"], { PATH: killingGit(repo) });
    expect(killed.code, killed.stderr).toBeNull();
    const [left] = readdirSync(trash(repo));
    // wt's lock keeps `git worktree prune` (and gc) off it while its folder is away...
    gitSync(repo.main, "worktree", "prune");
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).toContain(`worktree ${made.path}\nHEAD`);
    // ...until the user lifts it: then git forgets it, and a new worktree takes its name.
    gitSync(repo.main, "worktree", "unlock", made.path);
    gitSync(repo.main, "worktree", "prune");
    rmSync(path.join(repo.main, ".git", "wt", "worktrees", "1.json"));
    gitSync(repo.main, "worktree", "add", "--detach", made.path);
    expect(readFileSync(path.join(made.path, ".git"), "utf8")).toContain("worktrees/issue-1");
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "2", "--json"]);
    expect(gone.removed.map((r) => r.id)).toEqual(["2"]);
    expect(gone.warnings.join("\n")).toContain(`deleting what a stopped cleanup left in ${trash(repo)}: ${left}`);
    expect(gitSync(made.path, "rev-parse", "--show-toplevel")).toBe(made.path);
    expect(readFileSync(path.join(made.path, "src", "app.js"), "utf8")).toBe("one\n");
  });

  it("a create's rollback forgets only its own worktree: one in the trash and a user's whose folder is away stay listed (no git worktree prune)", async () => {
    repo = makeRepo({ files: { "src/app.js": "one\n" } });
    // Worktree 3's hook interrupts its own create (SIGINT to wt): exit 130, the create rolled back.
    const hook = 'if [ "$WT_ID" = 3 ]; then kill -INT $PPID; sleep 2; fi';
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 46800 }, hooks: { postCreate: [hook] } }));
    repo.commitAll("setup");
    const trust = { WT_TRUST: "1" };
    const { made } = await stoppedCleanup({ env: trust });
    // A user's worktree on a disk that is not mounted now.
    const away = path.join(repo.root, "ext");
    gitSync(repo.main, "worktree", "add", "-q", "--detach", away);
    execFileSync("mv", [away, `${away}.unmounted`]);
    const stopped = await runWt(repo.main, ["create", "3", "--json"], trust);
    expect(stopped.code, stopped.stderr).toBe(130);
    const listed = gitSync(repo.main, "worktree", "list", "--porcelain");
    expect(listed).toContain(`worktree ${made.path}\n`);
    expect(listed).toContain(`worktree ${away}\n`);
    expect(listed).not.toContain("issue-3");
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "2", "--json"]);
    expect(gone.warnings.join("\n")).toContain(`put ${made.path} back from wt's trash`);
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("an agent's notes\n");
  });

  it("the admin dir names its trash entry: an admin dir with a newer mtime (a copied repository, a clock step) still keeps it", async () => {
    repo = setUp();
    const { made, left } = await stoppedCleanup();
    const admin = path.join(repo.main, ".git", "worktrees", "issue-1");
    expect(readFileSync(path.join(admin, "wt-trashed"), "utf8")).toBe(`${path.basename(left)}\n${made.path}\n`);
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(path.join(admin, "commondir"), later, later);
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "2", "--json"]);
    expect(gone.warnings.join("\n")).toContain(`put ${made.path} back from wt's trash`);
    expect(readFileSync(path.join(made.path, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(existsSync(path.join(admin, "wt-trashed"))).toBe(false);
  });

  it("a trash entry git lists at its trash path (git worktree repair run inside it) stays in the trash, named in a warning", async () => {
    repo = setUp();
    const { made, left } = await stoppedCleanup();
    // The agent's shell followed the rename, and it repairs "its" worktree there.
    execFileSync("git", ["worktree", "repair"], { cwd: left, stdio: "ignore" });
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).toContain(`worktree ${left}\n`);
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "2", "--json"]);
    expect(gone.removed.map((r) => r.id)).toEqual(["2"]);
    expect(gone.warnings.join("\n"), JSON.stringify(gone.warnings)).toContain(
      `left ${left} in wt's trash: git lists it there`,
    );
    expect(readFileSync(path.join(left, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(existsSync(made.path)).toBe(false);
    // doctor says where it is and how to put it back; it neither follows it into the trash nor drops the record.
    const doc = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    const told = doc.checks.find((c) => c.id === "1");
    expect(told?.message).toContain(`the worktree is in wt's trash (${left})`);
    expect(told?.fix).toBeNull();
    await runWt(repo.main, ["doctor", "--fix", "--json"]);
    expect(readFileSync(path.join(left, "notes.txt"), "utf8")).toBe("an agent's notes\n");
    expect(existsSync(path.join(repo.main, ".git", "wt", "worktrees", "1.json"))).toBe(true);
    // wt status gives doctor's way back, not a verb that leaves it there.
    const row = json<StatusResult>(await runWt(repo.main, ["status", "1", "--json"])).worktrees[0];
    expect(row?.reason).toContain(
      `it is in wt's trash (${left}), left there by a stopped cleanup, and git lists it there now`,
    );
    expect(row?.reason).toContain(`\`mv '${left}' '${made.path}'\`, then \`git worktree repair '${made.path}'\``);
    expect(row?.reason).not.toContain("wt doctor --fix");
  });

  it("the lock of a cleanup stopped just before the move is wt's own: doctor names it, the next cleanup goes on", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
    // As moveToTrash leaves it when stopped between its lock and its rename.
    const admin = path.join(repo.main, ".git", "worktrees", "issue-1");
    writeFileSync(path.join(admin, "locked"), "wt cleanup moved it to wt's trash (pid 999999)\n");
    const doc = json<DoctorResult>(await runWt(repo.main, ["doctor", "--json"]));
    expect(doc.checks.find((c) => c.id === "1" && c.check === "locked")?.message).toContain("stopped before moving");
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "1", "--json"]);
    expect(gone.removed.map((r) => r.id)).toEqual(["1"]);
    expect(existsSync(made.path)).toBe(false);
    expect(gitSync(repo.main, "worktree", "list", "--porcelain")).not.toContain("issue-1");
  });

  it("a folder git forgot (a killed deleter's half) is deleted with the next cleanup, named in a warning", async () => {
    repo = setUp();
    await wtJson(repo.main, ["create", "1", "--json"]);
    mkdirSync(path.join(trash(repo), "issue-9-123-456", "src"), { recursive: true });
    writeFileSync(path.join(trash(repo), "issue-9-123-456", "src", "app.js"), "half deleted\n");
    const gone = await wtJson<Cleaned>(repo.main, ["cleanup", "1", "--json"]);
    expect(gone.warnings.join("\n")).toContain("deleting what a stopped cleanup left");
    expect(gone.warnings.join("\n")).toContain("issue-9-123-456");
  });
});
