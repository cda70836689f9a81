import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeDuckdb } from "../../src/core/db/duckdb.js";
import { DatabaseOpenError } from "../../src/core/errors.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("writeDuckdb", () => {
  it("a template DuckDB cannot open is DatabaseOpenError: exit 6, code command-failed, a hint naming wt create", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "wt-duckdb-"));
    const template = path.join(dir, "seed.duckdb");
    writeFileSync(template, "this is no DuckDB database, just text long enough to have a header\n".repeat(200));
    const err = await writeDuckdb(template, path.join(dir, "out.duckdb")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseOpenError);
    const e = err as DatabaseOpenError;
    expect(e.exitCode).toBe(6);
    expect(e.code).toBe("command-failed");
    expect(e.message).toContain(`DuckDB could not open ${template}`);
    expect(e.hint).toContain("wt create");
    expect(e.details).toEqual({ engine: "duckdb", file: template });
  });
});
