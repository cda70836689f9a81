import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BUILD_INPUTS, BUILD_STAMP, distStaleness } from "../setup/dist-fresh.js";

/**
 * The test run refuses a stale dist/ (test/setup/dist-fresh.ts, vitest's globalSetup). These
 * tests work on a temp copy (`cp -a`, so the mtimes are the checkout's) of the build's inputs
 * and of today's dist/, which the globalSetup of this very run found fresh.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A temp copy of the checkout's build inputs and dist/ (plus `extra` paths), times kept. */
function copyOfCheckout(extra: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), "wt-dist-fresh-"));
  dirs.push(dir);
  for (const rel of [...BUILD_INPUTS, "dist", ...extra]) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    execFileSync("cp", ["-a", path.join(ROOT, rel), path.join(dir, rel)]);
  }
  return dir;
}

/** Sets `rel`'s mtime `seconds` after the build's end (as an edit made after it would). */
function touchAfterBuild(dir: string, rel: string, seconds = 5): void {
  const later = new Date(Date.now() + seconds * 1000);
  utimesSync(path.join(dir, rel), later, later);
}

describe("distStaleness: dist/ against what the build reads", () => {
  it("is fresh on a copy of a just-built checkout", () => {
    expect(distStaleness(copyOfCheckout())).toBeNull();
  });

  it("names a source file edited after the build", () => {
    const dir = copyOfCheckout();
    touchAfterBuild(dir, "src/core/names.ts");
    expect(distStaleness(dir)).toBe(
      "dist/ is older than src/core/names.ts (changed after the last build): run npm run build",
    );
  });

  it("names the folder of a deleted source file (only the folder's mtime changes)", () => {
    const dir = copyOfCheckout();
    rmSync(path.join(dir, "src/core/names.ts"));
    touchAfterBuild(dir, "src/core"); // rm set it to now; make it unambiguous on coarse clocks
    expect(distStaleness(dir)).toMatch(/^dist\/ is older than src\/core \(changed after the last build\)/);
  });

  it("counts the scripts feeding the build and the schema", () => {
    for (const rel of ["scripts/gen-help.mjs", "wt.config.schema.json"]) {
      const dir = copyOfCheckout();
      touchAfterBuild(dir, rel);
      expect(distStaleness(dir)).toContain(`dist/ is older than ${rel} `);
    }
  });

  it("is fresh again once the build has run after the edit", () => {
    const dir = copyOfCheckout();
    touchAfterBuild(dir, "src/core/names.ts", 5);
    touchAfterBuild(dir, BUILD_STAMP, 10);
    expect(distStaleness(dir)).toBeNull();
  });

  it("refuses a missing dist/", () => {
    const dir = copyOfCheckout();
    rmSync(path.join(dir, "dist"), { recursive: true });
    expect(distStaleness(dir)).toBe("dist/ is missing or incomplete (no dist/wt/wt.js): run npm run build");
  });
});

describe("vitest run refuses a stale dist/ before any test runs", () => {
  /** A copy of the checkout with vitest's config and setup, node_modules linked, one passing test. */
  function vitestCopy(): string {
    const dir = copyOfCheckout(["vitest.config.ts", "test/setup", "package.json"]);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    writeFileSync(
      path.join(dir, "test", "one.test.ts"),
      'import { expect, it } from "vitest";\nit("runs", () => expect(1).toBe(1));\n',
    );
    return dir;
  }
  const vitest = (dir: string) =>
    spawnSync(process.execPath, [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" },
    });

  it("runs the tests when dist/ is fresh, and stops with the message when a source is newer", () => {
    const dir = vitestCopy();
    const fresh = vitest(dir);
    expect(`${fresh.stdout}${fresh.stderr}`).toMatch(/1 passed/);
    expect(fresh.status).toBe(0);

    touchAfterBuild(dir, "src/cli/index.ts");
    const stale = vitest(dir);
    expect(stale.status).not.toBe(0);
    expect(`${stale.stdout}${stale.stderr}`).toContain(
      "dist/ is older than src/cli/index.ts (changed after the last build): run npm run build",
    );
    expect(`${stale.stdout}${stale.stderr}`).not.toMatch(/1 passed/);
  });
});
