import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

/**
 * Every test file gets its own user state (`XDG_STATE_HOME`: the machine-wide port registry,
 * `$XDG_STATE_HOME/wt/slots.json`), so no test depends on, or writes to, the state of the
 * machine it runs on, and test files running side by side never push each other's ports off
 * their slots. wt processes the tests spawn inherit it through `wtEnv`; a test that wants its
 * own passes `XDG_STATE_HOME` in `env`.
 */
const dir = mkdtempSync(path.join(tmpdir(), "wt-state-"));
process.env.XDG_STATE_HOME = dir;
// And its own cache (the bin's Node compile cache, `$XDG_CACHE_HOME/wt/node-compile-cache`).
process.env.XDG_CACHE_HOME = path.join(dir, "cache");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
