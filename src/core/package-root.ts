import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where wt's own files are, whichever file this code was loaded from: a module of dist/ (tsc's
 * output, the library), a chunk of dist/wt/ (the command's bundle, scripts/bundle-cli.mjs) or
 * src/ (the tests). Code that reads a file of the package asks here instead of counting `../`
 * from its own file, which a bundle moves.
 */
const HERE = fileURLToPath(import.meta.url);
let root: string | undefined;

/** wt's package folder: the nearest folder above this module holding a package.json. */
export function packageRoot(): string {
  if (root === undefined) {
    let dir = path.dirname(HERE);
    while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    root = dir;
  }
  return root;
}

/** A path inside the package: `packagePath("bin", "wt.js")`. */
export function packagePath(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}

/**
 * A path inside the tree this code runs from, `dist` or `src`:
 * `codePath("core", "db", "sqlite-vacuum.js")` is dist/core/db/sqlite-vacuum.js when built.
 */
export function codePath(...parts: string[]): string {
  const tree = path.relative(packageRoot(), HERE).split(path.sep)[0] as string;
  return path.join(packageRoot(), tree, ...parts);
}

/** The package's version, from its package.json (one small file, no import). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;
}
