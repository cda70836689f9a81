import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult } from "../../src/index.js";
import { type ErrorJson, gitOk, gitSync, json, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";
import { addLibSubmodule, gitFile } from "../helpers/submodule.js";

// Issue 9, found by the audit after the first fixes: a stash in a worktree's submodule, an
// in-place overwrite that keeps inode, size and mtime, and a committed symlink template that
// leads out of the repository.

let repo: TestRepo;
afterEach(() => repo?.remove());

const PORTS = { PORT: 47700 };

function configure(r: TestRepo, extra: object = {}): void {
  r.write("wt.config.json", JSON.stringify({ ports: PORTS, portSlots: 100, ...extra }));
  r.commitAll("wt config");
}

describe("a stash is work", () => {
  it("a stash in a worktree's submodule (and an older one in its reflog) refuses the cleanup", async () => {
    repo = makeRepo();
    addLibSubmodule(repo);
    configure(repo);
    const made = await wtJson<CreateResult>(repo.main, ["create", "3", "--json"]);
    gitFile(made.path, "submodule", "update", "--init", "-q");
    const lib = path.join(made.path, "lib");

    writeFileSync(path.join(lib, "lib.txt"), "first precious edit\n");
    gitSync(lib, "stash", "-q");
    const older = gitSync(lib, "rev-parse", "refs/stash");
    writeFileSync(path.join(lib, "lib.txt"), "second precious edit\n");
    gitSync(lib, "stash", "-q");
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");

    const run = await runWt(repo.main, ["cleanup", "3", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.code).toBe("unreachable-commits");
    expect(gitOk(lib, "cat-file", "-e", older)).toBe(true);

    // Only the newest stash dropped: the older one, in the reflog, still refuses.
    gitSync(lib, "stash", "drop", "-q", "stash@{0}");
    expect(gitSync(lib, "rev-parse", "refs/stash")).toBe(older);
    expect((await runWt(repo.main, ["cleanup", "3"])).code).toBe(5);

    gitSync(lib, "stash", "clear");
    const done = await runWt(repo.main, ["cleanup", "3"]);
    expect(done.code, done.stderr).toBe(0);
  });
});

describe("an in-place overwrite of a copy", () => {
  it("keeping inode, size and mtime is still listed as edited (ctime)", async () => {
    repo = makeRepo();
    repo.write(".gitignore", "fixtures/\nbig.bin\n");
    repo.write(".worktreeinclude", "fixtures/\nbig.bin\n");
    repo.write("fixtures/a.csv", "aaaa\n");
    configure(repo);
    // Over 1 MiB: fingerprinted by identity rather than hashed.
    writeFileSync(path.join(repo.main, "big.bin"), Buffer.alloc(1024 * 1024 + 7, 1));
    const made = await wtJson<CreateResult>(repo.main, ["create", "cp", "--json"]);
    for (const [rel, content] of [
      ["fixtures/a.csv", "XXXX\n"],
      ["big.bin", Buffer.alloc(1024 * 1024 + 7, 2)],
    ] as const) {
      const file = path.join(made.path, rel);
      const before = statSync(file);
      const ref = `${file}.ref`;
      // touch -r keeps nanoseconds, which utimes(2) from JavaScript numbers cannot.
      execFileSync("touch", ["-r", file, ref]);
      // Let the clock move, then write in place (same inode and size) and put the mtime back.
      await new Promise((r) => setTimeout(r, 20));
      writeFileSync(file, content);
      execFileSync("touch", ["-r", ref, file]);
      rmSync(ref);
      const after = statSync(file);
      expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    }

    const plan = (await wtJson<CleanupResult>(repo.main, ["cleanup", "cp", "--dry-run", "--json"])).removed[0];
    expect(plan?.editedCopies).toEqual(expect.arrayContaining(["big.bin", "fixtures/a.csv"]));
  });
});

describe("a committed symlink template", () => {
  it("that leads out of the main worktree is exit 2; the same link made by the user (untracked) works", async () => {
    repo = makeRepo();
    const outside = path.join(repo.root, "outside");
    mkdirSync(outside);
    const secret = path.join(outside, "x.sqlite");
    const db = new Database(secret);
    db.exec("CREATE TABLE secret (v TEXT); INSERT INTO secret VALUES ('the user''s data')");
    db.close();
    const committed = () => gitSync(repo.main, "ls-files", "x.sqlite", "lnk");
    // A file link and a folder link, both committed.
    for (const [link, target, template] of [
      ["x.sqlite", "../outside/x.sqlite", "x.sqlite"],
      ["lnk", "../outside", "lnk/x.sqlite"],
    ] as const) {
      repo.git("rm", "-q", "--cached", "--ignore-unmatch", "-r", "x.sqlite", "lnk");
      rmSync(path.join(repo.main, "x.sqlite"), { force: true });
      rmSync(path.join(repo.main, "lnk"), { force: true });
      symlinkSync(target, path.join(repo.main, link));
      configure(repo, { databases: [{ path: "db-{name}.sqlite", template }] });
      expect(committed()).toContain(link);
      const run = await runWt(repo.main, ["create", "t1", "--json"]);
      expect(run.code, run.stderr).toBe(2);
      const err = json<ErrorJson>(run).error;
      expect(err.code).toBe("invalid-config");
      expect(err.message).toContain(`through the symlink ${link} committed to the repository`);
      expect(gitOk(repo.main, "rev-parse", "--verify", "-q", "refs/heads/feature/t1")).toBe(false);
    }

    // The user's own link, ignored rather than committed, is followed (issue 9, item 4).
    repo.git("rm", "-q", "--cached", "-r", "lnk");
    repo.write(".gitignore", "lnk\n");
    repo.commitAll("the link is the user's");
    const made = await wtJson<CreateResult>(repo.main, ["create", "t2", "--json"]);
    const copy = made.databases[0]?.path as string;
    expect(statSync(copy).isFile()).toBe(true);
    expect(readFileSync(copy).subarray(0, 15).toString()).toBe("SQLite format 3");
  });
});
