#!/usr/bin/env node
// Thin shim: everything lives in the built CLI (run `npm run build` after changing src/).
// Both bins, `wt` and `issue-worktree`, are this file. A fresh checkout has no dist/ until it is
// built (`npm test` builds; the registry's package ships it, built by `prepack`): say so rather
// than crash with ERR_MODULE_NOT_FOUND.
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";

// dist/wt/ is the command bundled by scripts/bundle-cli.mjs (dist/cli/ is tsc's output of it).
const cli = new URL("../dist/wt/wt.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "wt: this checkout is not built yet (no dist/wt/wt.js)\nhint: run `npm run build` in it, then the command again\n",
  );
  process.exit(2);
}
// Node 22.1+ keeps V8's compiled code of the bundle between runs (in os.tmpdir()/node-compile-cache,
// or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off): a claim starts ~14 ms sooner
// on Node 22 (README, Performance). Node 20 has no such API; a cache that cannot be written is
// only slower, never an error.
try {
  nodeModule.enableCompileCache?.();
} catch {
  // The cache is an optimisation only.
}
const { main } = await import(cli.href);
main(process.argv);
