import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAtomic } from "../../src/core/atomic.js";

let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const fresh = () => {
  dir = mkdtempSync(path.join(tmpdir(), "wt-atomic-"));
  return dir;
};

describe("writeAtomic", () => {
  it("writes a new file with 0o666 less the umask, and leaves no temp file", async () => {
    const d = fresh();
    const old = process.umask(0o022);
    try {
      await writeAtomic(path.join(d, "a.json"), "one\n");
    } finally {
      process.umask(old);
    }
    expect(readFileSync(path.join(d, "a.json"), "utf8")).toBe("one\n");
    expect(statSync(path.join(d, "a.json")).mode & 0o777).toBe(0o644);
    expect(readdirSync(d)).toEqual(["a.json"]);
  });

  it("sets options.mode exactly, whatever the umask; keeps an existing file's mode without it", async () => {
    const d = fresh();
    const old = process.umask(0o077);
    try {
      await writeAtomic(path.join(d, "env"), "A=1\n", { mode: 0o640 });
      expect(statSync(path.join(d, "env")).mode & 0o777).toBe(0o640);
      writeFileSync(path.join(d, "rc"), "x\n");
      chmodSync(path.join(d, "rc"), 0o755);
      await writeAtomic(path.join(d, "rc"), "y\n");
      expect(statSync(path.join(d, "rc")).mode & 0o777).toBe(0o755);
      expect(readFileSync(path.join(d, "rc"), "utf8")).toBe("y\n");
    } finally {
      process.umask(old);
    }
  });

  it("replaces the file a symbolic link names and keeps the link", async () => {
    const d = fresh();
    mkdirSync(path.join(d, "dotfiles"));
    writeFileSync(path.join(d, "dotfiles", "zshrc"), "old\n");
    symlinkSync(path.join(d, "dotfiles", "zshrc"), path.join(d, ".zshrc"));
    await writeAtomic(path.join(d, ".zshrc"), "new\n");
    expect(lstatSync(path.join(d, ".zshrc")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(d, "dotfiles", "zshrc"), "utf8")).toBe("new\n");
    expect(readdirSync(path.join(d, "dotfiles"))).toEqual(["zshrc"]);
  });

  it("a failing write names the target, not its temp file, and leaves nothing behind", async () => {
    const d = fresh();
    mkdirSync(path.join(d, "x"));
    // The target is a folder: the rename over it fails (EISDIR) after the temp file was written.
    const err = (await writeAtomic(path.join(d, "x"), "data").catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toBe("EISDIR");
    expect(err.path).toBe(path.join(d, "x"));
    expect(readdirSync(d)).toEqual(["x"]);
    const missing = (await writeAtomic(path.join(d, "no", "f"), "data").catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(missing.code).toBe("ENOENT");
    expect(missing.path).toBe(path.join(d, "no", "f"));
  });
});
