import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commandPath } from "../../src/git/command-path.js";
import { git } from "../../src/git/run.js";

let scratch: string | null = null;

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

/** A scratch folder with `dirs`, each holding a file `name` when `files` says so (mode given). */
function layout(entries: { dir: string; file?: { name: string; mode: number } | "folder" }[]): string {
  scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-cmdpath-")));
  for (const e of entries) {
    const dir = path.join(scratch, e.dir);
    mkdirSync(dir, { recursive: true });
    if (e.file === "folder") mkdirSync(path.join(dir, "tool"));
    else if (e.file) {
      writeFileSync(path.join(dir, e.file.name), "#!/bin/sh\necho from-$0\n");
      chmodSync(path.join(dir, e.file.name), e.file.mode);
    }
  }
  return scratch;
}

describe("commandPath (the PATH search the child would do, once per process)", () => {
  it("returns the first absolute entry's executable regular file, skipping folders and non-executables", () => {
    const root = layout([
      { dir: "a" },
      { dir: "b", file: "folder" },
      { dir: "c", file: { name: "tool", mode: 0o644 } },
      { dir: "d", file: { name: "tool", mode: 0o755 } },
      { dir: "e", file: { name: "tool", mode: 0o755 } },
    ]);
    const search = ["a", "b", "c", "d", "e"].map((d) => path.join(root, d)).join(":");
    // As root, access(X_OK) passes for any x bit: c's 0644 file has none.
    expect(commandPath("tool", search)).toBe(path.join(root, "d", "tool"));
  });

  it("keeps the bare name when an empty or relative entry comes before the hit (the child's folder would decide)", () => {
    const root = layout([{ dir: "d", file: { name: "tool", mode: 0o755 } }]);
    expect(commandPath("tool", `:${path.join(root, "d")}`)).toBe("tool");
    expect(commandPath("tool", `bin:${path.join(root, "d")}`)).toBe("tool");
    // After the hit a relative entry does not matter.
    expect(commandPath("tool", `${path.join(root, "d")}:bin`)).toBe(path.join(root, "d", "tool"));
  });

  it("keeps the bare name when nothing has it, PATH is unset, or the name holds a slash", () => {
    const root = layout([{ dir: "a" }]);
    expect(commandPath("tool", path.join(root, "a"))).toBe("tool");
    expect(commandPath("tool", undefined)).toBe("tool");
    expect(commandPath("./tool", path.join(root, "a"))).toBe("./tool");
  });

  it("answers from its cache for a PATH value it has seen (found once per process)", () => {
    const root = layout([{ dir: "d", file: { name: "tool", mode: 0o755 } }]);
    const search = `${path.join(root, "d")}:/nonexistent-${Date.now()}`;
    expect(commandPath("tool", search)).toBe(path.join(root, "d", "tool"));
    rmSync(path.join(root, "d", "tool"));
    expect(commandPath("tool", search)).toBe(path.join(root, "d", "tool"));
  });

  it("git() runs the git the caller's PATH names (not the first in this process's PATH); a missing git is still 'not on PATH'", async () => {
    const root = layout([{ dir: "fake", file: { name: "git", mode: 0o755 } }]);
    const env = { PATH: `${path.join(root, "fake")}:${process.env.PATH ?? ""}` };
    const r = await git(["version"], { cwd: root, env, discover: true });
    // A script's $0 is the file the kernel ran: the fake, found through the caller's PATH.
    expect(r.stdout.trim()).toBe(`from-${path.join(root, "fake", "git")}`);
    const missing = await git(["version"], {
      cwd: root,
      env: { PATH: path.join(root, "nowhere") },
      discover: true,
    }).catch((e: unknown) => e as Error & { hint?: string });
    expect(missing).toBeInstanceOf(Error);
    expect((missing as { hint?: string }).hint).toContain("is git installed and on PATH?");
  });
});
