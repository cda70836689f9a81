import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { plainBranchName } from "../../src/git/repo.js";

/** What this machine's git says of `name` as a branch name (git check-ref-format --branch). */
function gitAccepts(name: string): boolean {
  const r = spawnSync("git", ["check-ref-format", "--branch", name], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === name;
}

const NAMES = [
  "feature/issue-101",
  "feature/auth-fix",
  "wt/pool-3",
  "a",
  "A_B.c-d/e_f",
  "release/1.2.3",
  "x.y",
  "HEAD",
  "head",
  "-x",
  "a..b",
  "a/.b",
  ".a",
  "a/b.lock",
  "a.lock/b",
  "a.lockx",
  "a/",
  "/a",
  "a//b",
  "a.",
  "a/b.",
  "@",
  "a@{b",
  "a b",
  "a~1",
  "a^",
  "a:b",
  "a?",
  "a*",
  "a[b",
  "a\\b",
  "ünï",
  "@{-1}",
  "",
];

describe("plainBranchName", () => {
  it("says yes only to names git accepts, and to the names wt makes", () => {
    for (const name of NAMES) {
      if (plainBranchName(name)) expect(gitAccepts(name), name).toBe(true);
    }
    for (const name of ["feature/issue-101", "wt/pool-3", "release/1.2.3", "A_B.c-d/e_f"]) {
      expect(plainBranchName(name), name).toBe(true);
    }
  });

  it("says no to every name of its characters that breaks git's rules (git is asked about the rest)", () => {
    for (const name of ["HEAD", "-x", "a..b", "a/.b", ".a", "a/b.lock", "a.lock/b", "a/", "/a", "a//b", "a.", "a/b."]) {
      expect(plainBranchName(name), name).toBe(false);
      expect(gitAccepts(name) && name !== "HEAD", name).toBe(false);
    }
  });
});
