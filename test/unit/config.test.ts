// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are the data under test
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CONFIG_FILE,
  checkConfig,
  DEFAULT_CONFIG,
  databaseEngine,
  databaseEnvName,
  loadConfig,
  type WtConfig,
} from "../../src/core/config.js";
import { ConfigError, WtError } from "../../src/core/errors.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let dir: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-config-")));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(data: unknown): string {
  const file = path.join(dir, CONFIG_FILE);
  writeFileSync(file, typeof data === "string" ? data : JSON.stringify(data, null, 2));
  return file;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    (v) => {
      throw new Error(`expected a ConfigError, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect(err).toBeInstanceOf(WtError);
  expect((err as ConfigError).exitCode).toBe(2);
  expect((err as ConfigError).code).toBe("invalid-config");
  return err as ConfigError;
}

/** The full example of docs/contract.md ("Config"), comments removed. */
const CONTRACT_EXAMPLE = {
  worktreeDir: "../{repo}-worktrees/{name}",
  name: "issue-{id}",
  branch: "feature/{name}",
  base: "origin/main",
  fetch: true,
  ports: { BACKEND_PORT: 9100, FRONTEND_PORT: 9200 },
  portSlots: 15,
  envFile: ".ports.env",
  env: { VITE_BACKEND_URL: "http://localhost:${BACKEND_PORT}" },
  include: { symlink: ["node_modules", ".wrangler"] },
  databases: [
    {
      engine: "sqlite",
      path: "data/agent-{name}.db",
      template: "data/agent.db",
      init: "npm run db:migrate",
      env: "DATABASE_PATH",
    },
  ],
  hooks: { postCreate: ["pnpm install"], preCleanup: [], postCleanup: [] },
};

describe("loadConfig: defaults", () => {
  it("gives the docs/contract.md zero-config defaults when there is no wt.config.json", async () => {
    const config = await loadConfig(dir, {});
    expect(config).toEqual({
      worktreeDir: "../{repo}-worktrees/{name}",
      name: "issue-{id}",
      branch: "feature/{name}",
      base: null,
      fetch: true,
      ports: { PORT: 3000 },
      portSlots: 1000,
      portScope: "machine",
      envFile: ".env.local",
      env: {},
      include: { symlink: [] },
      databases: [],
      hooks: { postCreate: [], preCleanup: [], postCleanup: [], preMerge: [] },
      cleanup: { protect: [".env*"] },
      merge: { into: null },
      pool: { size: 3, dir: "../{repo}-worktrees/.pool/{n}", warm: [], warmKey: ["package-lock.json"], claim: false },
      file: null,
    });
  });

  it("fills every key the file leaves out from the defaults and records the file", async () => {
    const file = writeConfig({ include: { symlink: ["node_modules"] } });
    const config = await loadConfig(dir, {});
    expect(config.file).toBe(file);
    expect(config.include).toEqual({ symlink: ["node_modules"] });
    expect(config.ports).toEqual({ PORT: 3000 });
    expect(config.portSlots).toBe(1000);
    expect(config.envFile).toBe(".env.local");
    expect(config.hooks).toEqual({ postCreate: [], preCleanup: [], postCleanup: [], preMerge: [] });
  });

  it("an empty object file is the defaults", async () => {
    writeConfig({});
    const config = await loadConfig(dir, {});
    const { file, ...rest } = config;
    expect(file).toBe(path.join(dir, CONFIG_FILE));
    expect(rest).toEqual(DEFAULT_CONFIG);
  });

  it("takes merge.into and hooks.preMerge from the file; refuses an unknown merge key", async () => {
    writeConfig({ merge: { into: "develop" }, hooks: { preMerge: ["npm test"] } });
    const config = await loadConfig(dir, {});
    expect(config.merge).toEqual({ into: "develop" });
    expect(config.hooks.preMerge).toEqual(["npm test"]);
    writeConfig({ merge: { target: "develop" } });
    await expect(loadConfig(dir, {})).rejects.toThrow(/unknown key "merge.target"/);
  });

  it("takes cleanup.protect from the file, [] included", async () => {
    writeConfig({ cleanup: { protect: [] } });
    expect((await loadConfig(dir, {})).cleanup).toEqual({ protect: [] });
    writeConfig({ cleanup: {} });
    expect((await loadConfig(dir, {})).cleanup).toEqual({ protect: [".env*"] });
  });

  it("fills the hooks the file leaves out", async () => {
    writeConfig({ hooks: { postCreate: ["pnpm install"] } });
    const config = await loadConfig(dir, {});
    expect(config.hooks).toEqual({ postCreate: ["pnpm install"], preCleanup: [], postCleanup: [], preMerge: [] });
  });

  it("returns a config that does not share arrays or objects with the defaults", async () => {
    const first = await loadConfig(dir, {});
    first.hooks.postCreate.push("echo leaked");
    first.ports.LEAKED = 5000;
    first.include.symlink.push("leaked");
    const second = await loadConfig(dir, {});
    expect(second.hooks.postCreate).toEqual([]);
    expect(second.ports).toEqual({ PORT: 3000 });
    expect(second.include.symlink).toEqual([]);
    expect(DEFAULT_CONFIG.hooks.postCreate).toEqual([]);
  });

  it("takes the file's values over the defaults", async () => {
    writeConfig(CONTRACT_EXAMPLE);
    const config = await loadConfig(dir, {});
    const { file, ...rest } = config;
    expect(file).toBe(path.join(dir, CONFIG_FILE));
    // The contract's example leaves `cleanup`, `merge` and `hooks.preMerge` out: they keep their defaults (issue 9, item 6; issue 11).
    expect(rest).toEqual({
      ...CONTRACT_EXAMPLE,
      hooks: { ...CONTRACT_EXAMPLE.hooks, preMerge: [] },
      portScope: "machine",
      cleanup: { protect: [".env*"] },
      merge: { into: null },
      pool: { size: 3, dir: "../{repo}-worktrees/.pool/{n}", warm: [], warmKey: ["package-lock.json"], claim: false },
    });
    expect(Object.keys(config.ports)).toEqual(["BACKEND_PORT", "FRONTEND_PORT"]);
  });
});

describe("loadConfig: validation names the key and the file", () => {
  it("rejects an unknown top-level key", async () => {
    const file = writeConfig({ worktreeDirs: "x" });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("worktreeDirs");
    expect(err.message).toContain(file);
  });

  it("rejects an unknown key inside a database entry (databases[0].templat)", async () => {
    const file = writeConfig({ databases: [{ path: "a.db", templat: "b.db" }] });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("databases[0].templat");
    expect(err.message).toContain(file);
  });

  it("rejects unknown keys in include and hooks", async () => {
    let file = writeConfig({ include: { copy: ["x"] } });
    let err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("include.copy");
    expect(err.message).toContain(file);
    file = writeConfig({ hooks: { preCreate: ["x"] } });
    err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("hooks.preCreate");
    expect(err.message).toContain(file);
  });

  it('rejects a wrong type (portSlots: "15") naming the key', async () => {
    const file = writeConfig({ portSlots: "15" });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("portSlots");
    expect(err.message).toContain(file);
  });

  it.each([
    [{ fetch: "yes" }, "fetch"],
    [{ ports: { PORT: "3000" } }, "ports.PORT"],
    [{ ports: { PORT: 3000.5 } }, "ports.PORT"],
    [{ env: { A: 1 } }, "env.A"],
    [{ hooks: { postCreate: "pnpm install" } }, "hooks.postCreate"],
    [{ databases: [{ path: "a.db", engine: "postgres" }] }, "databases[0].engine"],
    [{ databases: [{ template: "a.db" }] }, "databases[0]"],
    [{ portSlots: 0 }, "portSlots"],
    [{ portSlots: 1.5 }, "portSlots"],
    [{ worktreeDir: "" }, "worktreeDir"],
  ])("rejects %j naming %s", async (data, key) => {
    const file = writeConfig(data);
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain(key);
    expect(err.message).toContain(file);
  });

  it("rejects a variable name that is not a shell name", async () => {
    const file = writeConfig({ ports: { "MY-PORT": 4000 } });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("MY-PORT");
    expect(err.message).toContain(file);
  });

  it("rejects invalid JSON naming the file", async () => {
    // Comments and trailing commas are JSONC and fine (issue 13); a missing value is not.
    const file = writeConfig('{ "portSlots": , }');
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/JSON/);
  });

  it.each([["[]"], ["null"], ['"text"']])("rejects a top level that is not an object (%s)", async (text) => {
    const file = writeConfig(text);
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain(file);
  });

  it("rejects a wt.config.json that cannot be read (a folder) naming it", async () => {
    const file = path.join(dir, CONFIG_FILE);
    mkdirSync(file);
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain(file);
  });
});

describe("loadConfig: port ranges", () => {
  it("rejects a base port below 1024", async () => {
    const file = writeConfig({ ports: { PORT: 80 } });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("ports.PORT");
    expect(err.message).toContain(file);
  });

  it("rejects base + slots beyond 65535 and accepts exactly 65535", async () => {
    const file = writeConfig({ ports: { PORT: 65000 }, portSlots: 600 });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("ports.PORT");
    expect(err.message).toContain(file);
    expect(err.message).toContain("65535");
    writeConfig({ ports: { PORT: 65000 }, portSlots: 536 });
    const ok = await loadConfig(dir, {});
    expect((ok.ports.PORT as number) + ok.portSlots - 1).toBe(65535);
  });

  it("rejects the default PORT when WT_PORT_SLOTS pushes it past 65535", async () => {
    await configError(loadConfig(dir, { WT_PORT_SLOTS: "62537" }));
    const ok = await loadConfig(dir, { WT_PORT_SLOTS: "62536" });
    expect(ok.portSlots).toBe(62536);
  });

  it("accepts seed 002 (BACKEND_PORT 9100, FRONTEND_PORT 9200, portSlots 15)", async () => {
    writeConfig({ ports: { BACKEND_PORT: 9100, FRONTEND_PORT: 9200 }, portSlots: 15 });
    const config = await loadConfig(dir, {});
    expect(config.ports).toEqual({ BACKEND_PORT: 9100, FRONTEND_PORT: 9200 });
    expect(config.portSlots).toBe(15);
  });

  it("rejects overlapping ranges (same ports with portSlots 150), naming both keys and the file", async () => {
    const file = writeConfig({ ports: { BACKEND_PORT: 9100, FRONTEND_PORT: 9200 }, portSlots: 150 });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("ports.BACKEND_PORT");
    expect(err.message).toContain("ports.FRONTEND_PORT");
    expect(err.message).toContain(file);
  });

  it("treats ranges that touch but do not overlap as fine, one port more as overlap", async () => {
    writeConfig({ ports: { A: 9100, B: 9200 }, portSlots: 100 });
    await expect(loadConfig(dir, {})).resolves.toMatchObject({ portSlots: 100 });
    writeConfig({ ports: { A: 9100, B: 9200 }, portSlots: 101 });
    await configError(loadConfig(dir, {}));
    // Order of keys does not matter.
    writeConfig({ ports: { B: 9200, A: 9100 }, portSlots: 101 });
    await configError(loadConfig(dir, {}));
  });

  it("rejects an overlap that only WT_PORT_SLOTS creates", async () => {
    writeConfig({ ports: { BACKEND_PORT: 9100, FRONTEND_PORT: 9200 }, portSlots: 15 });
    const err = await configError(loadConfig(dir, { WT_PORT_SLOTS: "150" }));
    expect(err.message).toContain("BACKEND_PORT");
  });

  it("rejects two variables with the same base port", async () => {
    writeConfig({ ports: { A: 5000, B: 5000 }, portSlots: 1 });
    await configError(loadConfig(dir, {}));
  });
});

describe("loadConfig: reserved and duplicate variables", () => {
  it.each([
    [{ ports: { WT_ID: 5000 } }, "WT_ID"],
    [{ ports: { WT_SLOT: 5000 } }, "WT_SLOT"],
    [{ env: { WT_PATH: "x" } }, "WT_PATH"],
    [{ env: { WT_MAIN: "x" } }, "WT_MAIN"],
    [{ databases: [{ path: "a.db", env: "WT_NAME" }] }, "WT_NAME"],
    [{ databases: [{ path: "a.db", env: "WT_BRANCH" }] }, "WT_BRANCH"],
  ])("rejects %j because wt sets %s itself", async (data, name) => {
    const file = writeConfig(data);
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain(name);
    expect(err.message).toContain(file);
  });

  it("rejects a variable set twice (port and env, two databases with the default name)", async () => {
    writeConfig({ env: { PORT: "1" } });
    let err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("ports.PORT");
    expect(err.message).toContain("env.PORT");
    writeConfig({ databases: [{ path: "a.db" }, { path: "b.sqlite" }] });
    err = await configError(loadConfig(dir, {}));
    expect(err.message).toContain("DATABASE_PATH");
    expect(err.message).toContain("databases[1].env");
  });

  it("accepts two databases of different engines with their default variables", async () => {
    writeConfig({ databases: [{ path: "a.db" }, { path: "b.duckdb" }] });
    const config = await loadConfig(dir, {});
    expect(config.databases.map(databaseEnvName)).toEqual(["DATABASE_PATH", "DUCKDB_PATH"]);
  });

  it.each([["/etc/passwd"], ["../outside.env"], ["sub/../../x"], ["."], ["./"], [".git"], ["sub/.GIT/x"], ["config/"]])(
    "rejects envFile %j: not a file inside the worktree",
    async (envFile) => {
      writeConfig({ envFile });
      const err = await configError(loadConfig(dir, {}));
      expect(err.message).toContain("envFile");
    },
  );

  it("accepts an envFile in a subfolder", async () => {
    writeConfig({ envFile: "config/.env.local" });
    expect((await loadConfig(dir, {})).envFile).toBe("config/.env.local");
  });

  it("applies the same rule to WT_ENV_FILE", async () => {
    const err = await configError(loadConfig(dir, { WT_ENV_FILE: ".git" }));
    expect(err.message).toContain("envFile");
  });

  it.each([["../shared.db"], [".git/x.db"], ["data/"], ["."]])(
    "rejects databases[0].path %j: not a file inside the worktree",
    async (dbPath) => {
      writeConfig({ databases: [{ path: dbPath }] });
      const err = await configError(loadConfig(dir, {}));
      expect(err.message).toContain("databases[0].path");
    },
  );

  it("rejects an absolute database path without {id} or {name}: every worktree would share it", async () => {
    writeConfig({ databases: [{ path: "/srv/data/app.db" }] });
    const err = await configError(loadConfig(dir, {}));
    expect(err.message).toMatch(/databases\[0\]\.path.*without \{id\} or \{name\}/);
  });

  it.each([["/srv/data/{id}.db"], ["/srv/{name}/app.duckdb"], ["data/app.db"], ["./data/app-{repo}.db"]])(
    "accepts databases[0].path %j",
    async (dbPath) => {
      writeConfig({ databases: [{ path: dbPath }] });
      expect((await loadConfig(dir, {})).databases[0]?.path).toBe(dbPath);
    },
  );
});

describe("loadConfig: WT_* overrides and precedence", () => {
  it("applies every WT_* override over the file", async () => {
    writeConfig(CONTRACT_EXAMPLE);
    const config = await loadConfig(dir, {
      WT_WORKTREE_DIR: "trees/{name}",
      WT_NAME_TEMPLATE: "bug-{id}",
      WT_BRANCH_TEMPLATE: "fix/{name}",
      WT_PORT_SLOTS: "10",
      WT_FETCH: "false",
      WT_ENV_FILE: ".env.wt",
      WT_BASE: "origin/develop",
    });
    expect(config).toMatchObject({
      worktreeDir: "trees/{name}",
      name: "bug-{id}",
      branch: "fix/{name}",
      portSlots: 10,
      fetch: false,
      envFile: ".env.wt",
      base: "origin/develop",
    });
    // Keys without an override keep the file's values.
    expect(config.ports).toEqual(CONTRACT_EXAMPLE.ports);
    expect(config.databases).toEqual(CONTRACT_EXAMPLE.databases);
  });

  it("applies WT_* overrides over the defaults when there is no file", async () => {
    const config = await loadConfig(dir, { WT_WORKTREE_DIR: "/abs/{repo}/{name}", WT_BASE: "main" });
    expect(config.worktreeDir).toBe("/abs/{repo}/{name}");
    expect(config.base).toBe("main");
    expect(config.file).toBeNull();
  });

  it.each([
    ["1", true],
    ["0", false],
    ["true", true],
    ["FALSE", false],
    ["yes", true],
    ["No", false],
  ])("reads WT_FETCH=%s as %s", async (value, expected) => {
    writeConfig({ fetch: !expected });
    expect((await loadConfig(dir, { WT_FETCH: value })).fetch).toBe(expected);
  });

  it.each([["maybe"], ["2"], ["on "]])("rejects WT_FETCH=%j naming the variable", async (value) => {
    const err = await configError(loadConfig(dir, { WT_FETCH: value }));
    expect(err.message).toContain("WT_FETCH");
  });

  it.each([["abc"], ["0"], ["-5"], ["1.5"]])("rejects WT_PORT_SLOTS=%j naming the variable", async (value) => {
    const err = await configError(loadConfig(dir, { WT_PORT_SLOTS: value }));
    expect(err.message).toContain("WT_PORT_SLOTS");
  });

  it("ignores an empty WT_* variable", async () => {
    writeConfig({ branch: "b/{name}", portSlots: 20 });
    const config = await loadConfig(dir, { WT_BRANCH_TEMPLATE: "", WT_PORT_SLOTS: "" });
    expect(config.branch).toBe("b/{name}");
    expect(config.portSlots).toBe(20);
  });

  it("rejects a WT_ENV_FILE outside the worktree", async () => {
    await configError(loadConfig(dir, { WT_ENV_FILE: "../x.env" }));
  });

  it("flags > environment > file > defaults for base and fetch", async () => {
    expect((await loadConfig(dir, {})).base).toBeNull();
    writeConfig({ base: "file-base", fetch: true });
    expect(await loadConfig(dir, {})).toMatchObject({ base: "file-base", fetch: true });
    expect(await loadConfig(dir, { WT_BASE: "env-base", WT_FETCH: "0" })).toMatchObject({
      base: "env-base",
      fetch: false,
    });
    expect(
      await loadConfig(dir, { WT_BASE: "env-base", WT_FETCH: "0" }, { base: "flag-base", fetch: true }),
    ).toMatchObject({ base: "flag-base", fetch: true });
    expect(await loadConfig(dir, { WT_FETCH: "1" }, { fetch: false })).toMatchObject({
      base: "file-base",
      fetch: false,
    });
  });

  it("does not let the variables wt itself exports (WT_BRANCH, WT_NAME, ...) change the config", async () => {
    writeConfig({ branch: "feature/{name}", name: "issue-{id}" });
    const exported = {
      WT_ID: "101",
      WT_NAME: "issue-101",
      WT_BRANCH: "feature/issue-101",
      WT_PATH: "/somewhere/issue-101",
      WT_MAIN: "/somewhere/app",
      WT_SLOT: "101",
      PORT: "3101",
    };
    const config = await loadConfig(dir, exported);
    const plain = await loadConfig(dir, {});
    expect(config).toEqual(plain);
    expect(config.branch).toBe("feature/{name}");
    expect(config.name).toBe("issue-{id}");
  });

  it("reads overrides only from the env argument, not from process.env", async () => {
    const before = process.env.WT_BRANCH_TEMPLATE;
    process.env.WT_BRANCH_TEMPLATE = "from-process/{name}";
    try {
      expect((await loadConfig(dir, {})).branch).toBe("feature/{name}");
    } finally {
      if (before === undefined) delete process.env.WT_BRANCH_TEMPLATE;
      else process.env.WT_BRANCH_TEMPLATE = before;
    }
  });
});

describe("databaseEngine / databaseEnvName", () => {
  it.each([
    [{ path: "data/x.duckdb" }, "duckdb", "DUCKDB_PATH"],
    [{ path: "data/X.DUCKDB" }, "duckdb", "DUCKDB_PATH"],
    [{ path: "data/x.db" }, "sqlite", "DATABASE_PATH"],
    [{ path: "data/x.sqlite3" }, "sqlite", "DATABASE_PATH"],
    [{ path: "data/duckdb" }, "sqlite", "DATABASE_PATH"],
    [{ path: "data/x.duckdb.bak" }, "sqlite", "DATABASE_PATH"],
    [{ path: "x.db", engine: "duckdb" as const }, "duckdb", "DUCKDB_PATH"],
    [{ path: "x.duckdb", engine: "sqlite" as const }, "sqlite", "DATABASE_PATH"],
    [{ path: "x.duckdb", env: "ANALYTICS_DB" }, "duckdb", "ANALYTICS_DB"],
  ])("%j -> %s, %s", (db, engine, env) => {
    expect(databaseEngine(db)).toBe(engine);
    expect(databaseEnvName(db)).toBe(env);
  });
});

describe("checkConfig", () => {
  const base = (): WtConfig => ({ ...structuredClone(DEFAULT_CONFIG), file: null });

  it("accepts the defaults", () => {
    expect(() => checkConfig(base(), "here")).not.toThrow();
  });

  it("names `where` in its errors", () => {
    const config = base();
    config.ports = { PORT: 65535 };
    config.portSlots = 2;
    expect(() => checkConfig(config, "/x/wt.config.json")).toThrow(/\/x\/wt\.config\.json.*ports\.PORT/);
  });

  it.each([["name"], ["branch"], ["worktreeDir"], ["envFile"]] as const)("rejects a blank %s", (key) => {
    const config = base();
    config[key] = "  ";
    expect(() => checkConfig(config, "here")).toThrow(ConfigError);
  });
});

describe("wt.config.schema.json", () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, "wt.config.schema.json"), "utf8")) as {
    properties: Record<string, { default?: unknown }>;
  };

  async function validator() {
    const { default: AjvModule } = await import("ajv");
    const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (
      opts: object,
    ) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
    return new Ajv({ allErrors: true, strict: false }).compile(schema);
  }

  it("accepts the full example config of docs/contract.md (and loadConfig does too)", async () => {
    const validate = await validator();
    const ok = validate(CONTRACT_EXAMPLE);
    expect(validate.errors ?? null).toBeNull();
    expect(ok).toBe(true);
    writeConfig(CONTRACT_EXAMPLE);
    await expect(loadConfig(dir, {})).resolves.toMatchObject({ portSlots: 15 });
  });

  it("accepts the repository's own wt.config.json", async () => {
    const validate = await validator();
    expect(validate(JSON.parse(readFileSync(path.join(ROOT, "wt.config.json"), "utf8")))).toBe(true);
  });

  it("rejects what loadConfig rejects as unknown", async () => {
    const validate = await validator();
    expect(validate({ databases: [{ path: "a.db", templat: "b" }] })).toBe(false);
    expect(validate({ nope: 1 })).toBe(false);
  });

  it("documents the same defaults the code uses", () => {
    const p = schema.properties;
    expect(p.worktreeDir?.default).toBe(DEFAULT_CONFIG.worktreeDir);
    expect(p.name?.default).toBe(DEFAULT_CONFIG.name);
    expect(p.branch?.default).toBe(DEFAULT_CONFIG.branch);
    expect(p.fetch?.default).toBe(DEFAULT_CONFIG.fetch);
    expect(p.ports?.default).toEqual(DEFAULT_CONFIG.ports);
    expect(p.portSlots?.default).toBe(DEFAULT_CONFIG.portSlots);
    expect(p.envFile?.default).toBe(DEFAULT_CONFIG.envFile);
  });
});
