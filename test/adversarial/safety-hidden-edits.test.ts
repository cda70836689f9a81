import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hiddenEditPaths } from "../../src/core/hidden-cache.js";
import { hiddenEdits, markedEntries, unquoteC } from "../../src/git/hidden-edits.js";
import { indexHasGitlinks, indexMarks } from "../../src/git/index-marks.js";
import { statusPorcelain } from "../../src/git/status.js";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { type ErrorJson, gitSync, json, makeRepo, runWt, type TestRepo, trustRepo, wtJson } from "../helpers/repo.js";
import { addLibSubmodule, gitFile } from "../helpers/submodule.js";

// Issue 9's residue: an edit to a file marked --skip-worktree or --assume-unchanged is one
// `git status` (and `git worktree remove`) cannot see. Cleanup and release must still refuse.

let repo: TestRepo;
afterEach(() => repo?.remove());

function setUp(extra: object = {}): TestRepo {
  const r = makeRepo({ files: { "src/app.js": "one\n", "config/local.json": '{"a":1}\n' } });
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 47900 }, portSlots: 100, ...extra }));
  r.commitAll("setup");
  return r;
}

const env = (cwd: string) => ({ cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } });

/** Sets the worktree's index mtime 10 s back: wt status remembers only indexes older than 3 s. */
function ageIndex(folder: string): void {
  const index = gitSync(folder, "rev-parse", "--path-format=absolute", "--git-path", "index");
  const past = new Date(Date.now() - 10_000);
  utimesSync(index, past, past);
}

describe("edits git status cannot show", () => {
  for (const bit of ["--skip-worktree", "--assume-unchanged"] as const) {
    it(`an edit to a file marked ${bit} refuses the cleanup (exit 5) and the edit stays`, async () => {
      repo = setUp();
      const made = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"]);
      // A status before: wt remembers that this (settled) index marks nothing (index-marks.json).
      ageIndex(made.path);
      const before = await wtJson<StatusResult>(repo.main, ["status", "--json"]);
      expect(before.worktrees.find((w) => w.id === "1")).toMatchObject({ dirty: false, changes: 0 });
      expect(existsSync(path.join(repo.main, ".git", "wt", "index-marks.json"))).toBe(true);
      gitSync(made.path, "update-index", bit, "config/local.json");
      writeFileSync(path.join(made.path, "config/local.json"), '{"a":2,"precious":true}\n');
      expect(gitSync(made.path, "status", "--porcelain")).toBe("");
      // wt status counts it as cleanup does: the row is dirty.
      const shown = await wtJson<StatusResult>(repo.main, ["status", "1", "--json"]);
      expect(shown.worktrees[0]).toMatchObject({ id: "1", dirty: true, changes: 1 });

      const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
      expect(run.code, run.stderr).toBe(5);
      const error = json<ErrorJson>(run).error;
      expect(error.code).toBe("dirty");
      expect(error.message).toContain(`config/local.json (marked ${bit.slice(2)})`);
      expect(error.hint).toContain("git update-index --no-skip-worktree --no-assume-unchanged -- config/local.json");
      expect(readFileSync(path.join(made.path, "config/local.json"), "utf8")).toContain("precious");

      // Undoing the edit (same content as the index) lets the cleanup go ahead, the bit still set.
      writeFileSync(path.join(made.path, "config/local.json"), '{"a":1}\n');
      const done = await runWt(repo.main, ["cleanup", "1", "--json"]);
      expect(done.code, done.stderr).toBe(0);
      expect(existsSync(made.path)).toBe(false);
    });
  }

  it("a marked file whose executable bit changed is an edit (as git compares it: core.fileMode), and cleanup refuses", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "3", "--json"]);
    const file = path.join(made.path, "src/app.js");
    gitSync(made.path, "update-index", "--assume-unchanged", "src/app.js");
    chmodSync(file, 0o755);
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    expect(await hiddenEdits(env(made.path))).toEqual([{ path: "src/app.js", bit: "assume-unchanged" }]);
    const run = await runWt(repo.main, ["cleanup", "3", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.message).toContain("src/app.js (marked assume-unchanged)");
    expect(statSync(file).mode & 0o111).toBe(0o111);
    // With core.fileMode off git ignores the bit, and so does wt.
    gitSync(made.path, "config", "core.fileMode", "false");
    expect(await hiddenEdits(env(made.path))).toEqual([]);
  });

  it("a marked submodule (gitlink) checked out at another commit is an edit; an uninitialised one is none", async () => {
    repo = setUp();
    addLibSubmodule(repo);
    repo.commitAll("lib");
    const libSrc = path.join(repo.root, "lib-src");
    writeFileSync(path.join(libSrc, "lib.txt"), "lib 2\n");
    gitSync(libSrc, "commit", "-q", "-am", "lib 2");
    gitSync(libSrc, "push", "-q", path.join(repo.root, "lib.git"), "main");
    const made = await wtJson<CreateResult>(repo.main, ["create", "4", "--json"]);
    const lib = path.join(made.path, "lib");
    if (existsSync(path.join(lib, ".git"))) rmSync(lib, { recursive: true, force: true });
    mkdirSync(lib, { recursive: true });
    gitSync(made.path, "update-index", "--assume-unchanged", "lib");
    expect(await hiddenEdits(env(made.path))).toEqual([]); // an empty folder: not initialised
    gitSync(made.path, "update-index", "--no-assume-unchanged", "lib");
    gitFile(made.path, "submodule", "update", "--init", "-q");
    gitSync(lib, "fetch", "-q", "origin");
    gitSync(lib, "checkout", "-q", "origin/main"); // pushed: nothing but the gitlink is at stake
    gitSync(made.path, "update-index", "--assume-unchanged", "lib");
    expect(gitSync(made.path, "status", "--porcelain")).toBe("");
    expect(await hiddenEdits(env(made.path))).toEqual([{ path: "lib", bit: "assume-unchanged" }]);
    const run = await runWt(repo.main, ["cleanup", "4", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(existsSync(path.join(lib, "lib.txt"))).toBe(true);
    // Back at the recorded commit: no edit.
    gitSync(lib, "checkout", "-q", "HEAD~1");
    expect(await hiddenEdits(env(made.path))).toEqual([]);
  });

  it("a path git status lists already (staged, then marked and edited) is listed once", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "5", "--json"]);
    const file = path.join(made.path, "src/app.js");
    writeFileSync(file, "staged\n");
    gitSync(made.path, "add", "src/app.js");
    gitSync(made.path, "update-index", "--assume-unchanged", "src/app.js");
    writeFileSync(file, "staged, then more\n");
    expect((await statusPorcelain(env(made.path))).map((e) => e.path)).toEqual(["src/app.js"]);
    const shown = await wtJson<StatusResult>(repo.main, ["status", "5", "--json"]);
    expect(shown.worktrees[0]).toMatchObject({ id: "5", dirty: true, changes: 1 });
  });

  it("a marked file that is absent (a sparse checkout) is no edit", async () => {
    repo = setUp();
    const made = await wtJson<CreateResult>(repo.main, ["create", "2", "--json"]);
    gitSync(made.path, "update-index", "--skip-worktree", "config/local.json");
    unlinkSync(path.join(made.path, "config/local.json"));
    expect(await hiddenEdits(env(made.path))).toEqual([]);
    const done = await runWt(repo.main, ["cleanup", "2", "--json"]);
    expect(done.code, done.stderr).toBe(0);
  });

  it("a marked file whose name is not UTF-8 is looked at by its bytes", async () => {
    repo = makeRepo();
    const name = Buffer.from([0x6e, 0xff]); // "n\xff"
    const file = Buffer.concat([Buffer.from(`${repo.main}/`), name]);
    writeFileSync(file, "1\n");
    repo.commitAll("odd name");
    // The raw bytes go from git to git through a pipe (an argv string would be UTF-8).
    execFileSync("sh", ["-c", "git ls-files -z -- 'n*' | git update-index -z --assume-unchanged --stdin"], {
      cwd: repo.main,
    });
    expect(gitSync(repo.main, "ls-files", "-v")).toMatch(/^h "n\\377"$/m);
    const at = env(repo.main);
    expect(await hiddenEdits(at)).toEqual([]); // marked, unchanged: nothing to refuse
    writeFileSync(file, "2\n");
    expect(gitSync(repo.main, "status", "--porcelain")).toBe("");
    expect(await hiddenEdits(at)).toEqual([{ path: "n\uFFFD", bit: "assume-unchanged" }]);
  });

  it("finds marked symlinks by their target, a type change, and paths with a newline or quote", async () => {
    repo = makeRepo({ files: { "plain.txt": "p\n", 'odd\n"name.txt': "o\n", "other.txt": "c\n" } });
    symlinkSync("plain.txt", path.join(repo.main, "link"));
    repo.commitAll("link");
    const at = env(repo.main);
    gitSync(repo.main, "update-index", "--skip-worktree", "link", 'odd\n"name.txt', "plain.txt", "other.txt");
    expect(await hiddenEdits(at)).toEqual([]);

    unlinkSync(path.join(repo.main, "link"));
    symlinkSync("elsewhere.txt", path.join(repo.main, "link"));
    writeFileSync(path.join(repo.main, 'odd\n"name.txt'), "changed\n");
    rmSync(path.join(repo.main, "plain.txt"));
    symlinkSync("other.txt", path.join(repo.main, "plain.txt")); // a file became a link
    const found = (await hiddenEdits(at)).map((e) => e.path).sort();
    expect(found).toEqual(['odd\n"name.txt', "link", "plain.txt"].sort());
  });

  it("a dirty release of a pool slot is refused when the edit is hidden", async () => {
    repo = setUp({ pool: { size: 1, warm: ["true"] } });
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const c = await wtJson<CreateResult>(repo.main, ["create", "7", "--pool", "--json"]);
    gitSync(c.path, "update-index", "--assume-unchanged", "src/app.js");
    writeFileSync(path.join(c.path, "src/app.js"), "agent's work\n");
    const r = await runWt(repo.main, ["release", "7", "--json"]);
    expect(r.code, r.stderr).toBe(5);
    expect(json<ErrorJson>(r).error.message).toContain("src/app.js (marked assume-unchanged)");
    expect(readFileSync(path.join(c.path, "src/app.js"), "utf8")).toBe("agent's work\n");
  });
});

describe("pool slots with a hidden edit", () => {
  it("an idle slot holding one is never claimed, and stays as it is", async () => {
    repo = setUp({ pool: { size: 1, warm: ["true"] } });
    trustRepo(repo.main);
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const doc = await wtJson<{ slots: { path: string; state: string }[] }>(repo.main, ["pool", "status", "--json"]);
    const slot = doc.slots.find((s) => s.state === "idle")?.path as string;
    gitSync(slot, "update-index", "--skip-worktree", "src/app.js");
    writeFileSync(path.join(slot, "src/app.js"), "left in the slot\n");
    const c = await wtJson<CreateResult & { pool: { hit: boolean } }>(repo.main, ["create", "8", "--pool", "--json"]);
    expect(c.pool.hit).toBe(false);
    expect(c.path).not.toBe(slot);
    expect(readFileSync(path.join(slot, "src/app.js"), "utf8")).toBe("left in the slot\n");
  });
});

describe("the parsers", () => {
  it("reads git ls-files -v -s: S and s skip-worktree, lowercase assume-unchanged, the rest unmarked", () => {
    const oid = "a".repeat(40);
    const out = [
      `H 100644 ${oid} 0\tplain`,
      `S 100644 ${oid} 0\tsparse`,
      `h 100755 ${oid} 0\tassumed`,
      `s 120000 ${oid} 0\tboth`,
      `M 100644 ${oid} 1\tunmerged`,
      `H 100644 ${oid} 0\t"with\\ttab"`,
      `h 100644 ${oid} 0\t"n\\377"`,
      "",
    ].join("\n");
    const entry = (path: string, mode: string, bit: string, field = path) => ({
      path,
      name: Buffer.from(path),
      field,
      mode,
      oid,
      bit,
    });
    expect(markedEntries(out)).toEqual([
      entry("sparse", "100644", "skip-worktree"),
      entry("assumed", "100755", "assume-unchanged"),
      entry("both", "120000", "skip-worktree"),
      { ...entry("n\uFFFD", "100644", "assume-unchanged", '"n\\377"'), name: Buffer.from([0x6e, 0xff]) },
    ]);
  });

  it("reads a name back as git's C quoting wrote it, byte for byte", () => {
    expect(unquoteC("a b")).toEqual(Buffer.from("a b"));
    expect(unquoteC('"x\\n\\"y\\\\z\\r\\t"')).toEqual(Buffer.from('x\n"y\\z\r\t'));
    expect(unquoteC('"\\303\\251t\\351"')).toEqual(Buffer.from([0xc3, 0xa9, 0x74, 0xe9]));
    expect(unquoteC('"\\a\\b\\f\\v"')).toEqual(Buffer.from([7, 8, 12, 11]));
  });
});

describe("the index read in process (indexMarks)", () => {
  /** A repository of nested files sharing prefixes (what index version 4 compresses). */
  function filled(objectFormat?: "sha256"): TestRepo {
    const files: Record<string, string> = {};
    for (let d = 0; d < 6; d++) for (let f = 0; f < 7; f++) files[`src/dir${d}/nested/file-${f}.txt`] = `${d}${f}\n`;
    const r = makeRepo({ files, ...(objectFormat ? { objectFormat } : {}) });
    return r;
  }

  for (const version of ["2", "3", "4"]) {
    it(`index version ${version}: none until an entry is marked, each bit alone, and none again`, async () => {
      repo = filled();
      gitSync(repo.main, "update-index", "--index-version", version);
      expect(await indexMarks(repo.main)).toBe("none");
      gitSync(repo.main, "update-index", "--assume-unchanged", "src/dir3/nested/file-4.txt");
      expect(await indexMarks(repo.main)).toBe("marked");
      gitSync(repo.main, "update-index", "--no-assume-unchanged", "src/dir3/nested/file-4.txt");
      expect(await indexMarks(repo.main)).toBe("none");
      gitSync(repo.main, "update-index", "--skip-worktree", "src/dir5/nested/file-6.txt");
      expect(await indexMarks(repo.main)).toBe("marked");
      gitSync(repo.main, "update-index", "--no-skip-worktree", "src/dir5/nested/file-6.txt");
      expect(await indexMarks(repo.main)).toBe("none");
    });
  }

  for (const version of ["2", "3", "4"]) {
    it(`index version ${version}: a name of 4,095 bytes or more (the flags' length field is full) and an entry after it`, async () => {
      repo = filled();
      // No file needed: the entry goes straight into the index (a path past PATH_MAX is fine there).
      const oid = gitSync(repo.main, "hash-object", "-w", "--stdin");
      const long = `${Array.from({ length: 22 }, (_, k) => `${String(k).padStart(2, "0")}${"d".repeat(198)}`).join("/")}/f`;
      expect(long.length).toBeGreaterThan(0xfff);
      gitSync(repo.main, "update-index", "--add", "--cacheinfo", `100644,${oid},${long}`);
      gitSync(repo.main, "update-index", "--index-version", version);
      expect(gitSync(repo.main, "ls-files").split("\n")).toContain(long);
      expect(await indexMarks(repo.main)).toBe("none");
      gitSync(repo.main, "update-index", "--assume-unchanged", "src/dir5/nested/file-6.txt"); // sorts after it
      expect(await indexMarks(repo.main)).toBe("marked");
      gitSync(repo.main, "update-index", "--no-assume-unchanged", "src/dir5/nested/file-6.txt");
      gitSync(repo.main, "update-index", "--assume-unchanged", "--", long);
      expect(await indexMarks(repo.main)).toBe("marked");
    });
  }

  it("the optional extensions git writes (untracked cache, fsmonitor, end of entries, offset table) are read past", async () => {
    repo = filled();
    gitSync(repo.main, "update-index", "--untracked-cache");
    gitSync(repo.main, "status");
    const hook = path.join(repo.root, "fsmonitor.sh");
    writeFileSync(hook, '#!/bin/sh\nprintf "token\\0/\\0"\n', { mode: 0o755 });
    const fsmonitor = ["-c", `core.fsmonitor=${hook}`, "-c", "core.fsmonitorHookVersion=2"];
    gitSync(repo.main, ...fsmonitor, "update-index", "--fsmonitor");
    const index = path.join(repo.main, ".git", "index");
    const has = (ext: string) => readFileSync(index).includes(Buffer.from(ext));
    expect([has("UNTR"), has("FSMN")]).toEqual([true, true]);
    expect(await indexMarks(repo.main)).toBe("none");
    const threaded = [
      "-c",
      "index.recordEndOfIndexEntries=true",
      "-c",
      "index.recordOffsetTable=true",
      "-c",
      "index.threads=2",
    ];
    gitSync(repo.main, ...threaded, "update-index", "--no-fsmonitor", "--force-write-index");
    expect([has("EOIE"), has("IEOT")]).toEqual([true, true]);
    expect(await indexMarks(repo.main)).toBe("none");
    gitSync(repo.main, ...threaded, "update-index", "--skip-worktree", "src/dir2/nested/file-2.txt");
    expect([has("EOIE"), await indexMarks(repo.main)]).toEqual([true, "marked"]);
  });

  it("a sparse index (sparse directory entries carry skip-worktree): marked, git lists them, absent files are no edit", async () => {
    repo = filled();
    gitSync(repo.main, "sparse-checkout", "set", "--cone", "--sparse-index", "src/dir0");
    expect(readFileSync(path.join(repo.main, ".git", "index")).includes(Buffer.from("sdir"))).toBe(true);
    expect(existsSync(path.join(repo.main, "src/dir1"))).toBe(false);
    expect(await indexMarks(repo.main)).toBe("marked");
    const at = env(repo.main);
    expect(await hiddenEdits(at)).toEqual([]);
    // A file outside the cone written back by hand: git clears its skip-worktree bit (a present
    // file is no longer sparse, git 2.37+), so git status itself shows it; either way it counts.
    mkdirSync(path.join(repo.main, "src/dir1/nested"), { recursive: true });
    writeFileSync(path.join(repo.main, "src/dir1/nested/file-3.txt"), "written outside the cone\n");
    const status = await statusPorcelain(at);
    expect(status.map((e) => e.path)).toEqual(["src/dir1/nested/file-3.txt"]);
  });

  for (const version of ["2", "3", "4"]) {
    it(`index version ${version}: a gitlink entry (mode 160000) is seen, and only it (indexHasGitlinks)`, async () => {
      repo = filled();
      gitSync(repo.main, "update-index", "--index-version", version);
      expect(await indexHasGitlinks(repo.main)).toBe(false);
      gitSync(
        repo.main,
        "update-index",
        "--add",
        "--cacheinfo",
        `160000,${gitSync(repo.main, "rev-parse", "HEAD")},vendor/lib`,
      );
      expect(gitSync(repo.main, "ls-files", "--stage", "vendor/lib")).toMatch(/^160000 /);
      expect(await indexHasGitlinks(repo.main)).toBe(true);
      expect(await indexMarks(repo.main)).toBe("none");
      gitSync(repo.main, "update-index", "--force-remove", "vendor/lib");
      expect(await indexHasGitlinks(repo.main)).toBe(false);
      gitSync(repo.main, "update-index", "--split-index");
      expect(await indexHasGitlinks(repo.main)).toBeNull();
    });
  }

  it("SHA-256 object ids and a linked worktree's own index (through its .git file)", async () => {
    repo = filled("sha256");
    expect(gitSync(repo.main, "rev-parse", "--show-object-format").trim()).toBe("sha256");
    expect(await indexMarks(repo.main)).toBe("none");
    const linked = path.join(os.tmpdir(), `wt-marks-${process.pid}-${Date.now()}`);
    gitSync(repo.main, "worktree", "add", "-q", "--detach", linked);
    try {
      gitSync(linked, "update-index", "--skip-worktree", "src/dir0/nested/file-0.txt");
      expect(await indexMarks(linked)).toBe("marked");
      expect(await indexMarks(repo.main)).toBe("none");
    } finally {
      gitSync(repo.main, "worktree", "remove", "--force", linked);
    }
  });

  it("a split index, a damaged index and no index are unknown: git is asked, and still finds the edit", async () => {
    repo = filled();
    gitSync(repo.main, "update-index", "--split-index");
    expect(await indexMarks(repo.main)).toBe("unknown");
    gitSync(repo.main, "update-index", "--assume-unchanged", "src/dir1/nested/file-1.txt");
    writeFileSync(path.join(repo.main, "src/dir1/nested/file-1.txt"), "hidden work\n");
    const at = env(repo.main);
    expect((await hiddenEdits(at)).map((e) => e.path)).toEqual(["src/dir1/nested/file-1.txt"]);
    gitSync(repo.main, "update-index", "--no-split-index");
    expect(await indexMarks(repo.main)).toBe("marked");

    const index = path.join(repo.main, ".git", "index");
    truncateSync(index, 200);
    expect(await indexMarks(repo.main)).toBe("unknown");
    rmSync(index);
    expect(await indexMarks(repo.main)).toBe("unknown");
    mkdirSync(path.join(repo.main, "sub"));
    expect(await indexMarks(path.join(repo.main, "sub"))).toBe("unknown");
  });
});

describe("wt status's memory of indexes that mark nothing (hiddenEditPaths)", () => {
  it("remembers a settled index only, trusts the memory (status only: cleanup reads), reads a rewritten one, never remembers a marked one, survives a damaged file", async () => {
    repo = makeRepo({ files: { "a.txt": "a\n" } });
    const stateDir = path.join(repo.root, "state");
    mkdirSync(stateDir);
    const cache = path.join(stateDir, "index-marks.json");
    const memory = () => JSON.parse(readFileSync(cache, "utf8")) as Record<string, string>;
    const e = env(repo.main).env;
    // Written just now: read, counted, not remembered (a rename in the same second on a
    // file system with 1-second times could give the next index the same key).
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([[]]);
    expect(existsSync(cache)).toBe(false);
    ageIndex(repo.main);
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([[]]);
    expect(Object.keys(memory())).toEqual([repo.main]);

    // Marking rewrites the index (a new key): it is read again, the edit counted, not remembered.
    gitSync(repo.main, "update-index", "--assume-unchanged", "a.txt");
    writeFileSync(path.join(repo.main, "a.txt"), "edited\n");
    ageIndex(repo.main);
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([["a.txt"]]);
    expect(memory()).toEqual({});

    // The memory is trusted as it stands: a key written for this very (marked) index skips
    // the read, so status says 0, where the check cleanup runs still finds the edit.
    const index = gitSync(repo.main, "rev-parse", "--path-format=absolute", "--git-path", "index");
    const st = statSync(index, { bigint: true });
    writeFileSync(cache, JSON.stringify({ [repo.main]: `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` }));
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([[]]);
    expect((await statusPorcelain(env(repo.main))).map((x) => x.path)).toEqual(["a.txt"]);
    // Any part of the key that differs (here the inode) is a new file: read again.
    writeFileSync(cache, JSON.stringify({ [repo.main]: `1${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` }));
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([["a.txt"]]);

    // A damaged memory is no memory; asking for some folders keeps the others' entries.
    writeFileSync(cache, "{ not json");
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([["a.txt"]]);
    writeFileSync(cache, JSON.stringify({ "/elsewhere": "1:2:3:4" }));
    expect(await hiddenEditPaths([repo.main], e, stateDir, false)).toEqual([["a.txt"]]);
    expect(memory()).toEqual({ "/elsewhere": "1:2:3:4" });
    gitSync(repo.main, "update-index", "--no-assume-unchanged", "a.txt");
    ageIndex(repo.main);
    expect(await hiddenEditPaths([repo.main], e, stateDir, true)).toEqual([[]]);
    expect(Object.keys(memory())).toEqual([repo.main]);
  });
});

describe("wt status checks marked worktrees a few at a time", () => {
  it("10 worktrees that mark a file: each edit found, never more than 4 listings of marked files at once", async () => {
    repo = makeRepo({ files: { "a.txt": "a\n" } });
    const stateDir = path.join(repo.root, "state");
    mkdirSync(stateDir);
    // A git in front of the real one that logs when each `ls-files` starts and ends, and holds it 0.2 s.
    const bin = path.join(repo.root, "bin");
    mkdirSync(bin);
    const log = path.join(repo.root, "ls-files.log");
    const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    writeFileSync(
      path.join(bin, "git"),
      `#!/bin/sh\ncase " $* " in *" ls-files "*) echo + >> '${log}'; sleep 0.2; '${realGit}' "$@"; r=$?; echo - >> '${log}'; exit $r;; esac\nexec '${realGit}' "$@"\n`,
    );
    chmodSync(path.join(bin, "git"), 0o755);
    const folders = Array.from({ length: 10 }, (_, i) => {
      const folder = path.join(repo.root, `w${i}`);
      gitSync(repo.main, "worktree", "add", "-q", "--detach", folder);
      gitSync(folder, "update-index", "--skip-worktree", "a.txt");
      writeFileSync(path.join(folder, "a.txt"), `edit ${i}\n`);
      return folder;
    });
    const e = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "" };
    expect(await hiddenEditPaths(folders, e, stateDir, false)).toEqual(folders.map(() => ["a.txt"]));
    let running = 0;
    let most = 0;
    const marks = readFileSync(log, "utf8").split("\n").filter(Boolean);
    for (const m of marks) {
      running += m === "+" ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(marks.filter((m) => m === "+")).toHaveLength(10);
    expect(most).toBe(4);
  });
});
