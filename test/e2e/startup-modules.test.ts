import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo, runWt, type TestRepo } from "../helpers/repo.js";

/**
 * What Node loads before `wt create` starts git's checkout (issue 12): node:crypto (~6-8 ms of
 * compiling on Node 20) only loads while git checks out, for the copies' fingerprints; the
 * port check reads the kernel's socket tables on Linux, so Node's server side (cluster) is
 * never loaded. A `--require` hook records the built-in modules loaded at each git spawn.
 */
let repo: TestRepo | null = null;
let dir: string | null = null;
afterEach(() => {
  repo?.remove();
  repo = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const HOOK = `
const cp = require("node:child_process");
const fs = require("node:fs");
const spawn = cp.spawn;
const seen = [];
cp.spawn = function (cmd, args, opts) {
  if (Array.isArray(args) && args.includes("worktree") && args.includes("add"))
    seen.push({ at: "worktree add", modules: process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")) });
  return spawn.apply(this, arguments);
};
require("node:module").syncBuiltinESMExports();
process.on("exit", () => {
  seen.push({ at: "exit", modules: process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")) });
  fs.writeFileSync(process.env.WT_TEST_MODULES_OUT, JSON.stringify(seen));
});
`;

describe("modules loaded by wt create", () => {
  it("node:crypto loads only after git's checkout started, and Node's cluster never (Linux)", async () => {
    repo = makeRepo({ files: { "src/a.js": "a\n" } });
    repo.write(".gitignore", ".env\n");
    repo.write(".env", "A=1\n");
    repo.write(".worktreeinclude", ".env\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47100 } }));
    repo.commitAll("setup");
    dir = mkdtempSync(path.join(os.tmpdir(), "wt-modules-"));
    const hook = path.join(dir, "hook.cjs");
    const out = path.join(dir, "modules.json");
    writeFileSync(hook, HOOK);
    const r = await runWt(repo.main, ["create", "7", "--no-fetch", "--json"], {
      NODE_OPTIONS: `--require ${hook}`,
      WT_TEST_MODULES_OUT: out,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).included).toEqual([expect.objectContaining({ path: ".env", mode: "copy" })]);
    const seen = JSON.parse(readFileSync(out, "utf8")) as { at: string; modules: string[] }[];
    const [add, exit] = [seen.find((s) => s.at === "worktree add"), seen.find((s) => s.at === "exit")];
    expect(add, "the hook saw git worktree add").toBeDefined();
    expect(add?.modules).not.toContain("NativeModule crypto");
    // The copy of .env was fingerprinted (sha256) after it.
    expect(exit?.modules).toContain("NativeModule crypto");
    if (existsSync("/proc/net/tcp")) expect(exit?.modules).not.toContain("NativeModule cluster");
  });
});
