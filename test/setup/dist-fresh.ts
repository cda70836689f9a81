import { lstatSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Vitest globalSetup: the e2e tests spawn the built `bin/wt.js`, so a `src/` edit without a
 * build would silently test the old code. Before any test runs, this refuses a `dist/` older
 * than what the build reads. It refuses rather than builds: `npm test` builds first (as CI
 * does, and CI then runs `npx vitest run` on Node 22 and 24 against that same `dist/`); a
 * build started here would rewrite `dist/` under any other test run of the checkout that is
 * spawning it, and would hide tsc's errors inside a test report.
 */

/** What `npm run build` reads (package.json "build"): sources, the schema, the generators, tsconfig. */
export const BUILD_INPUTS = [
  "src",
  "wt.config.schema.json",
  "scripts/gen-validator.mjs",
  "scripts/gen-help.mjs",
  "scripts/bundle-cli.mjs",
  "tsconfig.json",
  "tsconfig.build.json",
];

/** The build's last output (scripts/bundle-cli.mjs runs last): its mtime is the build's end. */
export const BUILD_STAMP = "dist/wt/wt.js";

/** A file or folder and its modification time (ms since the epoch). */
interface Stamp {
  rel: string;
  mtimeMs: number;
}

/**
 * The most recently modified entry under `root`'s build inputs. Folders count too: deleting
 * or renaming a source file changes only its folder's mtime.
 */
export function newestInput(root: string, inputs: readonly string[] = BUILD_INPUTS): Stamp | null {
  let newest: Stamp | null = null;
  const visit = (rel: string) => {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path.join(root, rel));
    } catch {
      return; // an input that does not exist (yet) is nothing to be stale against
    }
    if (newest === null || st.mtimeMs > newest.mtimeMs) newest = { rel, mtimeMs: st.mtimeMs };
    if (st.isDirectory()) for (const name of readdirSync(path.join(root, rel))) visit(path.join(rel, name));
  };
  for (const input of inputs) visit(input);
  return newest;
}

/**
 * Why `root`'s `dist/` cannot be tested, or null when it is at least as new as every build input.
 * @returns a message ending in the command to run (`npm run build`).
 */
export function distStaleness(root: string): string | null {
  let built: number;
  try {
    built = statSync(path.join(root, BUILD_STAMP)).mtimeMs;
  } catch {
    return `dist/ is missing or incomplete (no ${BUILD_STAMP}): run npm run build`;
  }
  const newest = newestInput(root);
  if (newest !== null && newest.mtimeMs > built) {
    return `dist/ is older than ${newest.rel.split(path.sep).join("/")} (changed after the last build): run npm run build`;
  }
  return null;
}

/** The globalSetup hook: throws (and so stops the run) when dist/ is stale. */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const stale = distStaleness(root);
  if (stale !== null) throw new Error(stale);
}
