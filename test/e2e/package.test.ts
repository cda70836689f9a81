import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo, type TestRepo } from "../helpers/repo.js";

/**
 * Issue 15, item 3: the package as the registry would ship it. `npm pack` (scripts skipped:
 * dist/ is already fresh, see test/setup/dist-fresh.ts, and a build here would rewrite it
 * under other test files), then one global install of the tarball into a temp prefix with
 * install scripts blocked (npm 12's and pnpm 10's default); its dependencies come from the
 * registry, so the install test is skipped, saying why, when the registry is unreachable.
 */

const run = promisify(execFile);
const here = path.resolve(import.meta.dirname, "../..");
const version = (JSON.parse(readFileSync(path.join(here, "package.json"), "utf8")) as { version: string }).version;
const hasNodeSqlite = (() => {
  try {
    createRequire(import.meta.url)("node:sqlite");
    return true;
  } catch {
    return false;
  }
})();

let tmp = "";
let tarball = "";
let files: string[] = [];
/** npm with its cache, config and HOME in `tmp`: no user state is read or written. */
let npmEnv: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), "wt-pack-")));
  npmEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("WT_") && !/^npm_/i.test(k))),
    HOME: tmp,
    npm_config_cache: path.join(tmp, "cache"),
    npm_config_userconfig: path.join(tmp, "npmrc"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], {
    cwd: here,
    env: npmEnv,
  });
  const report = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(tmp, report[0]?.filename as string);
  files = (report[0]?.files ?? []).map((f) => f.path);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("a checkout that is not built yet", () => {
  it("its bin says to run npm run build (exit 2), rather than crash", async () => {
    const checkout = path.join(tmp, "unbuilt");
    mkdirSync(path.join(checkout, "bin"), { recursive: true });
    copyFileSync(path.join(here, "bin", "wt.js"), path.join(checkout, "bin", "wt.js"));
    copyFileSync(path.join(here, "package.json"), path.join(checkout, "package.json"));
    const result = await run(process.execPath, [path.join(checkout, "bin", "wt.js"), "--version"]).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("run `npm run build`");
    expect(result.stderr).not.toContain("ERR_MODULE_NOT_FOUND");
  });
});

/** Node 22.1+ has `module.enableCompileCache` (Node's docs, "Module compile cache"); Node 20 does not. */
const hasCompileCache =
  typeof (createRequire(import.meta.url)("node:module") as { enableCompileCache?: unknown }).enableCompileCache ===
  "function";

describe("the bin on a Node with a module compile cache", () => {
  it.skipIf(!hasCompileCache)(
    "keeps V8's compiled code in this user's $XDG_CACHE_HOME/wt, never in a folder others can write; NODE_DISABLE_COMPILE_CACHE=1 turns it off",
    async () => {
      // NODE_COMPILE_CACHE unset: only the bin's own enableCompileCache() call can turn the cache on.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("NODE_") && !k.startsWith("WT_")),
      );
      const bin = path.join(here, "bin", "wt.js");
      const entriesIn = (cache: string) => readdirSync(cache).flatMap((d) => readdirSync(path.join(cache, d)));
      const versionWith = async (extra: Record<string, string>) =>
        (await run(process.execPath, [bin, "--version"], { env: { ...env, ...extra } })).stdout.trim();

      const off = path.join(tmp, "cache-off");
      expect(await versionWith({ XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: "1" })).toBe(version);
      expect(existsSync(off)).toBe(false);

      const on = path.join(tmp, "cache-on");
      const sharedTmp = path.join(tmp, "shared-tmp");
      mkdirSync(sharedTmp);
      expect(await versionWith({ XDG_CACHE_HOME: on, TMPDIR: sharedTmp })).toBe(version);
      // One folder per Node version and V8 flags, holding an entry per module compiled; none in the shared temp folder.
      const cache = path.join(on, "wt", "node-compile-cache");
      expect(statSync(cache).mode & 0o777).toBe(0o700);
      expect(entriesIn(cache).length).toBeGreaterThan(0);
      expect(readdirSync(sharedTmp)).toEqual([]);

      // A cache folder another account could write to (made so by someone else first) is not used.
      const open = path.join(tmp, "cache-open");
      mkdirSync(path.join(open, "wt", "node-compile-cache"), { recursive: true });
      chmodSync(path.join(open, "wt"), 0o777);
      expect(await versionWith({ XDG_CACHE_HOME: open })).toBe(version);
      expect(readdirSync(path.join(open, "wt", "node-compile-cache"))).toEqual([]);
    },
  );
});

describe("the packed tarball", () => {
  it("ships the built code, LICENSE and both bins; no source maps, tests or sources", () => {
    expect(files).toEqual(
      expect.arrayContaining(["LICENSE", "README.md", "bin/wt.js", "dist/index.js", "dist/wt/wt.js", "package.json"]),
    );
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => /^(test|src|scripts|bench|docs)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(here, "package.json"), "utf8"));
    expect(manifest.scripts.prepare).toBeUndefined();
    expect(manifest.scripts.prepack).toBe("npm run build");
    expect(manifest.bin).toEqual({ wt: "bin/wt.js", "issue-worktree": "bin/wt.js" });
    expect(manifest.dependencies["@duckdb/node-api"]).toBeUndefined();
    expect(manifest.optionalDependencies["@duckdb/node-api"]).toBeUndefined();
    expect(manifest.peerDependenciesMeta["@duckdb/node-api"]).toEqual({ optional: true });
    for (const key of ["repository", "homepage", "bugs", "keywords"]) expect(manifest[key]).toBeTruthy();
  });

  it("installs globally with scripts blocked: both bins, npx, require(), and SQLite or a clear exit 2", async (ctx) => {
    const prefix = path.join(tmp, "prefix");
    try {
      await run("npm", ["install", "-g", "--prefix", prefix, "--ignore-scripts", tarball], { env: npmEnv });
    } catch (e) {
      const out = String((e as { stderr?: string }).stderr ?? e);
      if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|network/i.test(out)) {
        ctx.skip(
          `the npm registry is unreachable, so the tarball's dependencies cannot be installed: ${out.split("\n")[0]}`,
        );
      }
      throw e;
    }
    for (const bin of ["wt", "issue-worktree"]) {
      const { stdout } = await run(path.join(prefix, "bin", bin), ["--version"], { env: npmEnv });
      expect(stdout.trim()).toBe(version);
    }
    // npx with nothing installed (its own cache: the dependencies are already in npm's cache).
    const npx = await run("npx", ["--yes", "--package", tarball, "issue-worktree", "--version"], {
      cwd: tmp,
      env: { ...npmEnv, npm_config_ignore_scripts: "true" },
    });
    expect(npx.stdout.trim()).toBe(version);
    // require(esm), unflagged on Node >= 20.19: no top-level await anywhere in the graph.
    const lib = path.join(prefix, "lib");
    const required = await run(
      process.execPath,
      ["-e", "console.log(typeof require('issue-worktree').createWorktree)"],
      {
        cwd: lib,
        env: npmEnv,
      },
    );
    expect(required.stdout.trim()).toBe("function");
    await sqliteCreate(path.join(prefix, "bin", "wt"));
  }, 300_000);
});

/**
 * A SQLite worktree from the installed wt: on a Node with node:sqlite it works although
 * better-sqlite3's install script never ran; elsewhere it is exit 2 with the global hint.
 */
async function sqliteCreate(wt: string): Promise<void> {
  let repo: TestRepo | null = makeRepo();
  try {
    repo.write(".gitignore", "data/\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 46200 }, databases: [{ path: "data/{name}.db" }] }));
    repo.commitAll("config");
    const env = { ...npmEnv, NO_COLOR: "1", XDG_STATE_HOME: path.join(tmp, "state"), WT_SQLITE_ENGINE: "" };
    const result = await run(wt, ["create", "101", "--json"], { cwd: repo.main, env }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    const doc = JSON.parse(result.stdout);
    if (hasNodeSqlite) {
      expect(result.code, result.stdout).toBe(0);
      expect(existsSync(doc.databases[0].path)).toBe(true);
    } else {
      expect(result.code, result.stdout).toBe(2);
      expect(doc.error.code).toBe("missing-package");
      expect(doc.error.hint).toContain("npm rebuild -g better-sqlite3");
    }
  } finally {
    repo.remove();
    repo = null;
  }
}
