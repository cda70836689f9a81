import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { aheadBehindFormat, aheadBehindOfRefs, parseAheadBehind } from "../../src/git/ahead-behind.js";
import { parseGitVersion } from "../../src/git/repo.js";
import { gitSync, makeRepo, type TestRepo } from "../helpers/repo.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("aheadBehindFormat", () => {
  it("puts one %(ahead-behind:<commit>) per base after the refname, NUL-separated", () => {
    expect(aheadBehindFormat([A, B])).toBe(`%(refname)%00%(ahead-behind:${A})%00%(ahead-behind:${B})`);
  });

  it.each(["main", "origin/main", `${A})%(refname`, "A".repeat(40), "a".repeat(39)])(
    "refuses %j: only a full commit id goes into the format",
    (base) => {
      expect(() => aheadBehindFormat([base])).toThrow(/not a commit id/);
    },
  );
});

describe("parseAheadBehind", () => {
  it("reads ahead first, then behind, for every base (git-for-each-ref(1))", () => {
    const out = `refs/heads/feature/issue-101\x003 1\x000 0\nrefs/heads/x\x0010 200\x001 2\n`;
    const parsed = parseAheadBehind(out, [A, B]);
    expect(parsed.get("refs/heads/feature/issue-101")?.get(A)).toEqual({ ahead: 3, behind: 1 });
    expect(parsed.get("refs/heads/feature/issue-101")?.get(B)).toEqual({ ahead: 0, behind: 0 });
    expect(parsed.get("refs/heads/x")?.get(A)).toEqual({ ahead: 10, behind: 200 });
    expect(parsed.get("refs/heads/x")?.get(B)).toEqual({ ahead: 1, behind: 2 });
  });

  it("leaves out lines without a pair for every base (the caller counts those refs another way)", () => {
    const out = "refs/heads/a\x001 2\nrefs/heads/b\x00\nrefs/heads/c\x00x y\nrefs/heads/d\n";
    const parsed = parseAheadBehind(out, [A]);
    expect([...parsed.keys()]).toEqual(["refs/heads/a"]);
    expect(parseAheadBehind("refs/heads/a\x001 2\n", [A, B]).size).toBe(0);
  });
});

describe("aheadBehindOfRefs (real git)", () => {
  let repo: TestRepo | null = null;
  afterEach(() => {
    repo?.remove();
    repo = null;
  });

  const version = parseGitVersion(execFileSync("git", ["version"], { encoding: "utf8" }));
  const hasAtom = version !== null && (version[0] > 2 || (version[0] === 2 && version[1] >= 41));

  function diverged(): { base: string } {
    repo = makeRepo({ files: { "a.txt": "a\n" } });
    const r = repo;
    r.git("branch", "two");
    r.git("checkout", "-q", "-b", "one");
    for (const n of [1, 2, 3]) {
      r.write(`one${n}.txt`, `${n}\n`);
      r.commitAll(`one ${n}`);
    }
    r.git("checkout", "-q", "main");
    r.write("m.txt", "m\n");
    r.commitAll("main moves");
    return { base: r.git("rev-parse", "main") };
  }

  it.runIf(hasAtom)("counts every ref against every base in one for-each-ref (git 2.41+)", async () => {
    const { base } = diverged();
    const r = repo as TestRepo;
    const two = r.git("rev-parse", "two");
    const got = await aheadBehindOfRefs(
      { cwd: r.main, env: process.env },
      ["refs/heads/one", "refs/heads/two"],
      [base, two],
    );
    expect(got?.get("refs/heads/one")?.get(base)).toEqual({ ahead: 3, behind: 1 });
    expect(got?.get("refs/heads/two")?.get(base)).toEqual({ ahead: 0, behind: 1 });
    expect(got?.get("refs/heads/one")?.get(two)).toEqual({ ahead: 3, behind: 0 });
    // Agrees with rev-list (left = behind, right = ahead).
    expect(gitSync(r.main, "rev-list", "--left-right", "--count", "main...one")).toBe("1\t3");
  });

  it.runIf(!hasAtom)("answers null on a git without the ahead-behind atom (older than 2.41)", async () => {
    const { base } = diverged();
    expect(
      await aheadBehindOfRefs({ cwd: (repo as TestRepo).main, env: process.env }, ["refs/heads/one"], [base]),
    ).toBeNull();
  });

  it("answers an empty map when there is nothing to count, without running git", async () => {
    expect(await aheadBehindOfRefs({ cwd: "/nonexistent", env: process.env }, [], [A])).toEqual(new Map());
    expect(await aheadBehindOfRefs({ cwd: "/nonexistent", env: process.env }, ["refs/heads/x"], [])).toEqual(new Map());
  });
});
