#!/usr/bin/env node
// Thin shim: everything lives in the built CLI (run `npm run build` after changing src/).
// Both bins, `wt` and `issue-worktree`, are this file. A fresh checkout has no dist/ until it is
// built (`npm test` builds; the registry's package ships it, built by `prepack`): say so rather
// than crash with ERR_MODULE_NOT_FOUND.
import { existsSync, lstatSync, mkdirSync } from "node:fs";
import * as nodeModule from "node:module";
import os from "node:os";
import path from "node:path";

// dist/wt/ is the command bundled by scripts/bundle-cli.mjs (dist/cli/ is tsc's output of it).
const cli = new URL("../dist/wt/wt.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "wt: this checkout is not built yet (no dist/wt/wt.js)\nhint: run `npm run build` in it, then the command again\n",
  );
  process.exit(2);
}
// Node 22.1+ keeps V8's compiled code of the bundle between runs: a claim starts ~12 ms sooner
// on Node 22 (README, Performance). Only in a folder of this user's that no one else can write
// (`$XDG_CACHE_HOME/wt/node-compile-cache`, else `~/.cache/wt/...`): Node's default, a shared
// `os.tmpdir()/node-compile-cache`, lets another account that made it first plant code that V8
// then loads. NODE_COMPILE_CACHE (Node then caches by itself) and NODE_DISABLE_COMPILE_CACHE=1
// are heeded. Node 20 has no such API; a cache that cannot be had is only slower, never an error.
const cacheWanted = !process.env.NODE_COMPILE_CACHE && !process.env.NODE_DISABLE_COMPILE_CACHE;
if (typeof nodeModule.enableCompileCache === "function" && cacheWanted) {
  const dir = privateCacheDir();
  if (dir !== null) {
    try {
      nodeModule.enableCompileCache(dir);
    } catch {
      // The cache is an optimisation only.
    }
  }
}

/** `<cache home>/wt/node-compile-cache`, made 0700; null unless it and the folders above it up to the cache home are this user's (or root's) and not writable by others. */
function privateCacheDir() {
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const home = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
    const dir = path.join(home, "wt", "node-compile-cache");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const uid = process.getuid?.();
    for (const d of [home, path.dirname(dir), dir]) {
      const st = lstatSync(d);
      if (!st.isDirectory() || (st.uid !== uid && st.uid !== 0) || (st.mode & 0o022) !== 0) return null;
    }
    return dir;
  } catch {
    return null;
  }
}
const { main } = await import(cli.href);
main(process.argv);
