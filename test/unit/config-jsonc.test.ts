import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/core/config.js";
import { ConfigError } from "../../src/core/errors.js";

// Issue 13 item 5: JSONC, every error at once, "did you mean".
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wt-jsonc-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function loadError(text: string): Promise<ConfigError> {
  writeFileSync(path.join(dir, "wt.config.json"), text);
  const err = await loadConfig(dir, {}).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe("wt.config.json is JSONC", () => {
  it("accepts line and block comments and trailing commas", async () => {
    writeFileSync(
      path.join(dir, "wt.config.json"),
      '{\n  // ports of the dev server\n  "ports": { "PORT": 41300, /* api */ "API_PORT": 42300, },\n  "portSlots": 50,\n}\n',
    );
    const config = await loadConfig(dir, {});
    expect(config.ports).toEqual({ PORT: 41300, API_PORT: 42300 });
    expect(config.portSlots).toBe(50);
  });

  it("reports every syntax error with its line and column", async () => {
    const err = await loadError('{\n  "ports": { PORT: 41300 },\n  "fetch": ,\n}');
    expect(err.message).toMatch(/line 2, column 1[0-9]: property name expected/);
    expect(err.message).toMatch(/line 3, column 12: value expected/);
  });

  it("reports every schema error at once, with did-you-mean for unknown keys", async () => {
    const err = await loadError(
      JSON.stringify({
        port: { PORT: 41300 },
        fetch: "yes",
        hooks: { postCreat: [] },
        databases: [{ path: "a.db", templat: "b.db" }],
      }),
    );
    const lines = err.message.split("\n");
    expect(lines[0]).toMatch(/4 problems/);
    expect(err.message).toContain('unknown key "port" (did you mean "ports"?)');
    expect(err.message).toContain('"fetch" must be boolean');
    expect(err.message).toContain('unknown key "hooks.postCreat" (did you mean "postCreate"?)');
    expect(err.message).toContain('unknown key "databases[0].templat" (did you mean "template"?)');
  });

  it("suggests nothing for a key far from every known key", async () => {
    const err = await loadError(JSON.stringify({ zzzzzzzz: 1 }));
    expect(err.message).toContain('unknown key "zzzzzzzz"');
    expect(err.message).not.toContain("did you mean");
  });
});

describe("README config examples", () => {
  it("every ```json / ```jsonc block of README.md loads through the config parser", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const blocks = [...readme.matchAll(/```jsonc?\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    // A block that opens with `// wt <command>` shows a command's output, and one that opens
    // with `// <file>` another tool's file: not wt configs. Another tool's plain-JSON file is
    // fenced with its name after the language (```json .cursor/worktrees.json), which this skips.
    const configs = blocks.filter((b) => !/^\s*\/\/ (wt |\.?[\w-]+\/)/.test(b));
    expect(configs.length).toBeGreaterThan(4);
    for (const text of configs) {
      writeFileSync(path.join(dir, "wt.config.json"), text);
      await expect(loadConfig(dir, {}), text).resolves.toBeTruthy();
    }
  });
});
