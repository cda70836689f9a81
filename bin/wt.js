#!/usr/bin/env node
// Thin shim: everything lives in the built CLI (run `npm run build` after changing src/).
// Both bins, `wt` and `issue-worktree`, are this file. A fresh checkout has no dist/ until it is
// built (`npm test` builds; the registry's package ships it, built by `prepack`): say so rather
// than crash with ERR_MODULE_NOT_FOUND.
import { existsSync } from "node:fs";

// dist/wt/ is the command bundled by scripts/bundle-cli.mjs (dist/cli/ is tsc's output of it).
const cli = new URL("../dist/wt/wt.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "wt: this checkout is not built yet (no dist/wt/wt.js)\nhint: run `npm run build` in it, then the command again\n",
  );
  process.exit(2);
}
const { main } = await import(cli.href);
main(process.argv);
