import { createRequire } from "node:module";

/**
 * `require()` for the CommonJS packages wt loads (commander, ignore, jsonc-parser,
 * write-file-atomic). An `import()` of a CommonJS package makes Node's ESM loader read and lex
 * its source for named exports before the CommonJS loader runs it; on Node 20 that costs
 * ~25 ms for commander and ~70 ms for ignore over a plain require() (fastest of 9
 * `node -e` starts each, 2026-12-02), which a create pays on every run (issue 12).
 * Returns the package's `module.exports` (what `import()` gives as `default`).
 */
export const requireCjs: NodeJS.Require = createRequire(import.meta.url);
