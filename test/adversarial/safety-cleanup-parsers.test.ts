import { describe, expect, it } from "vitest";
import { parseIgnored } from "../../src/git/ignored.js";
import { parseGitlinks } from "../../src/git/submodules.js";

// The pure parsers behind cleanup's submodule check and ignored-file listing (issue 9, items 1 and 6),
// on canned NUL-separated output with awkward paths.

describe("parseGitlinks (ls-files -z --stage)", () => {
  it("keeps mode 160000 entries only, paths with spaces and newlines intact, each once", () => {
    const out = [
      "100644 0123456789abcdef0123456789abcdef01234567 0\tREADME.md",
      "160000 89abcdef0123456789abcdef0123456789abcdef 0\tvendor/my lib",
      "160000 89abcdef0123456789abcdef0123456789abcdef 0\todd\nname",
      // An unmerged gitlink: one line per stage.
      "160000 1111111111111111111111111111111111111111 1\tconflicted",
      "160000 2222222222222222222222222222222222222222 2\tconflicted",
      "120000 3333333333333333333333333333333333333333 0\ta link",
      "",
    ].join("\0");
    expect(parseGitlinks(out)).toEqual(["vendor/my lib", "odd\nname", "conflicted"]);
    expect(parseGitlinks("")).toEqual([]);
  });
});

describe("parseIgnored (status --porcelain=v2 -z --ignored=matching)", () => {
  it("keeps `!` entries, tells folders by their trailing slash, skips tracked and untracked entries", () => {
    const out = [
      "# branch.oid 0123",
      "! .env.production",
      "! notes/",
      "! with space/and\nnewline.log",
      "? untracked.txt",
      "1 .M N... 100644 100644 100644 0123 4567 src/a.ts",
      "",
    ].join("\0");
    expect(parseIgnored(out)).toEqual([
      { path: ".env.production", isDirectory: false },
      { path: "notes", isDirectory: true },
      { path: "with space/and\nnewline.log", isDirectory: false },
    ]);
  });
});
