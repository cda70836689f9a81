import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

/**
 * `npm run check` runs dependency-cruiser with .dependency-cruiser.json over src/: these tests
 * run that same command on a temp copy of today's src/ with one forbidden import added, and
 * check that it fails naming the rule (and passes on the copy as it is).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DEPCRUISE = path.join(ROOT, "node_modules", ".bin", "depcruise");

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A temp copy of src/, tsconfig.json and the cruiser config, as `npm run check` sees them. */
function copyOfSources(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "wt-layers-"));
  dirs.push(dir);
  cpSync(path.join(ROOT, "src"), path.join(dir, "src"), { recursive: true });
  for (const f of ["tsconfig.json", ".dependency-cruiser.json"]) cpSync(path.join(ROOT, f), path.join(dir, f));
  return dir;
}

/** The check's command line, in `dir`: its exit status and its report. */
function cruise(dir: string): { status: number | null; output: string } {
  const r = spawnSync(DEPCRUISE, ["--config", ".dependency-cruiser.json", "src"], { cwd: dir, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("npm run check: the layers cli -> core -> git and no import circle", () => {
  it("passes on today's src/", () => {
    const r = cruise(copyOfSources());
    expect(r.output).toContain("no dependency violations found");
    expect(r.status).toBe(0);
  });

  it("fails when src/git imports from src/core", () => {
    const dir = copyOfSources();
    appendFileSync(
      path.join(dir, "src/git/parse.ts"),
      '\nimport { ConfigError } from "../core/errors.js";\nvoid ConfigError;\n',
    );
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/git-is-the-bottom-floor: src\/git\/parse\.ts → src\/core\/errors\.ts/);
  });

  it("fails when src/core imports from src/cli", () => {
    const dir = copyOfSources();
    appendFileSync(
      path.join(dir, "src/core/names.ts"),
      '\nimport { makeChalk } from "../cli/render.js";\nvoid makeChalk;\n',
    );
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/core-does-not-know-the-cli: src\/core\/names\.ts → src\/cli\/render\.ts/);
  });

  it("fails on a circle made by a type-only import (the old commands -> cli/index.ts one)", () => {
    const dir = copyOfSources();
    appendFileSync(
      path.join(dir, "src/cli/commands/cd.ts"),
      '\nimport type { main } from "../index.js";\nexport type Main = typeof main;\n',
    );
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(
      /no-circular: src\/cli\/commands\/cd\.ts →\s+src\/cli\/index\.ts →\s+src\/cli\/commands\/cd\.ts/,
    );
  });

  it("fails when src/errors imports from the layers above it", () => {
    const dir = copyOfSources();
    appendFileSync(
      path.join(dir, "src/errors/base.ts"),
      '\nimport type { GitResult } from "../git/run.js";\nexport type R = GitResult;\n',
    );
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/errors-are-below-everything: src\/errors\/base\.ts → src\/git\/run\.ts/);
  });
});
