import { afterEach, describe, expect, it } from "vitest";
import { GitError } from "../../src/git/errors.js";
import { batchCheckObjects, batchSafeName, parseBatchCheck } from "../../src/git/objects.js";
import { makeRepo, type TestRepo } from "../helpers/repo.js";

const C = "c".repeat(40);
const B = "b".repeat(40);

describe("parseBatchCheck", () => {
  it("reads present objects as oid, type and size, in the order of the names", () => {
    const out = `${C} commit 231\n${B} blob 12\n`;
    expect(parseBatchCheck(["main^{commit}", "main:.env.local"], out)).toEqual([
      { state: "present", oid: C, type: "commit", size: 231 },
      { state: "present", oid: B, type: "blob", size: 12 },
    ]);
  });

  it("reads `<name> missing` as missing, also for a name holding spaces", () => {
    const out = `refs/heads/nope missing\nmain:my dir/db.sqlite missing\n`;
    expect(parseBatchCheck(["refs/heads/nope", "main:my dir/db.sqlite"], out)).toEqual([
      { state: "missing" },
      { state: "missing" },
    ]);
  });

  it("reads `<name> ambiguous` (a short id more than one object starts with)", () => {
    expect(parseBatchCheck(["0a5c", "main"], `0a5c ambiguous\n${C} commit 5\n`)).toEqual([
      { state: "ambiguous" },
      { state: "present", oid: C, type: "commit", size: 5 },
    ]);
  });

  it("reads git 2.46's `<oid> submodule` (a gitlink entry) as present, without a size", () => {
    expect(parseBatchCheck(["main:vendor/lib"], `${C} submodule\n`)).toEqual([
      { state: "present", oid: C, type: "submodule", size: null },
    ]);
  });

  it("reads a SHA-256 repository's 64-hex ids", () => {
    const long = "d".repeat(64);
    expect(parseBatchCheck(["HEAD"], `${long} commit 7\n`)).toEqual([
      { state: "present", oid: long, type: "commit", size: 7 },
    ]);
  });

  it("does not take another name's missing line for this name's", () => {
    expect(() => parseBatchCheck(["a"], "b missing\n")).toThrow(GitError);
  });

  it("refuses output with another number of lines than names (exit 6)", () => {
    const err = (() => {
      try {
        parseBatchCheck(["a", "b"], "a missing\n");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).exitCode).toBe(6);
  });
});

describe("batchSafeName", () => {
  it.each(["a\nb", "a\rb", "a\0b"])("refuses %j: it cannot be one line of stdin", (name) => {
    expect(batchSafeName(name)).toBe(false);
  });

  it("accepts names with spaces, colons, braces and a leading dash", () => {
    expect(batchSafeName("-x")).toBe(true);
    expect(batchSafeName("main^{commit}:my dir/a b")).toBe(true);
  });
});

describe("batchCheckObjects (real git)", () => {
  let repo: TestRepo;
  afterEach(() => repo?.remove());

  it("answers refs, peeled commits and tracked paths in one run; names starting with - are names", async () => {
    repo = makeRepo({ files: { "data/app.db": "x", ".env.local": "A=1\n" } });
    const head = repo.git("rev-parse", "HEAD");
    const at = { cwd: repo.main, env: process.env };
    const names = [
      "main^{commit}",
      "refs/heads/main",
      "refs/heads/nope",
      "refs/remotes/origin/main",
      `${head}:data/app.db`,
      "main^{commit}:.env.local",
      "main^{commit}:.env",
      "--output=/tmp/x",
      "-x^{commit}",
      "main:README.md^{commit}",
      "bad\nname",
    ];
    const got = await batchCheckObjects(at, names);
    expect(got.get("main^{commit}")).toMatchObject({ state: "present", oid: head, type: "commit" });
    expect(got.get("refs/heads/main")).toMatchObject({ state: "present", oid: head });
    expect(got.get("refs/heads/nope")).toEqual({ state: "missing" });
    expect(got.get("refs/remotes/origin/main")).toEqual({ state: "missing" });
    expect(got.get(`${head}:data/app.db`)).toMatchObject({ state: "present", type: "blob", size: 1 });
    expect(got.get("main^{commit}:.env.local")).toMatchObject({ state: "present", type: "blob" });
    expect(got.get("main^{commit}:.env")).toEqual({ state: "missing" });
    expect(got.get("--output=/tmp/x")).toEqual({ state: "missing" });
    expect(got.get("-x^{commit}")).toEqual({ state: "missing" });
    // The path runs to the end of the name (gitrevisions(7)): `README.md^{commit}` is no file.
    expect(got.get("main:README.md^{commit}")).toEqual({ state: "missing" });
    // Not sent: the caller asks it with a one-name verb.
    expect(got.has("bad\nname")).toBe(false);
    expect(got.size).toBe(names.length - 1);
  });

  it("runs no git for no names", async () => {
    const got = await batchCheckObjects({ cwd: "/nonexistent-folder-for-wt-test", env: process.env }, ["a\nb"]);
    expect(got.size).toBe(0);
  });
});
