import { chmodSync, mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { makeRepo, type TestRepo, wtJson } from "../helpers/repo.js";

/**
 * The cold create's fixed cost (issue 12, item 2): a small file `.worktreeinclude` brings is
 * copied in wt's own process, as `cp -a` would (mode and times kept), with no `cp` process.
 * Ports 49xxx (49500-49599) are this file's.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

describe("cold create: small included files copied in process", () => {
  it("copies .env without a cp process, keeping its mode and mtime", async () => {
    repo = makeRepo();
    repo.write(".gitignore", ".env\n");
    repo.write(".worktreeinclude", ".env\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 49500 } }));
    repo.commitAll("setup");
    const env = repo.write(".env", "SECRET=1\n");
    chmodSync(env, 0o640);
    utimesSync(env, new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05Z"));
    // A `cp` first on PATH that fails loudly: a create that spawns cp for .env fails (exit 6).
    const bin = path.join(repo.root, "bin");
    const fake = path.join(bin, "cp");
    mkdirSync(bin);
    writeFileSync(fake, "#!/bin/sh\necho 'fake cp must not run' >&2\nexit 1\n");
    chmodSync(fake, 0o755);
    const c = await wtJson<CreateResult>(repo.main, ["create", "1", "--json"], {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
    });
    const copy = path.join(c.path, ".env");
    expect(c.included).toEqual([{ path: ".env", mode: "copy" }]);
    expect(statSync(copy).mode & 0o777).toBe(0o640);
    expect(statSync(copy).mtimeMs).toBe(statSync(env).mtimeMs);
  });
});
