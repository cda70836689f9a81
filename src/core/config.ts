import path from "node:path";
import { describeSchemaError, describeSyntax, lineColumn, type SchemaError } from "./config-messages.js";
import { ConfigError } from "./errors.js";
import { readRegularFile } from "./read-regular.js";
import { requireCjs } from "./require-cjs.js";

/** One `databases` entry as written in `wt.config.json`. */
export interface DatabaseConfig {
  engine?: "sqlite" | "duckdb";
  /** Relative to the worktree or absolute; placeholders {repo} {id} {name}. */
  path: string;
  /** A database file in the main worktree (relative to it, or absolute). */
  template?: string;
  /** Shell command run in the worktree once the file exists. */
  init?: string;
  /** Variable that holds the absolute path. */
  env?: string;
}

export interface HooksConfig {
  postCreate: string[];
  preCleanup: string[];
  postCleanup: string[];
  /** Run by `wt merge` on the merged tree, in a temporary worktree, before the target ref moves. */
  preMerge: string[];
}

export interface MergeConfig {
  /** Target branch of `wt merge` (`--into` wins); null: the local branch the base names. */
  into: string | null;
}

export interface CleanupConfig {
  /**
   * gitignore-syntax patterns (worktree-relative): an ignored file matching one that wt did not
   * bring refuses `wt cleanup` (exit 5) unless --force. Default `[".env*"]`.
   */
  protect: string[];
}

/** The worktree pool (docs/contract.md, "Worktree pool"). */
export interface PoolConfig {
  /** How many idle slots `wt pool fill` keeps; `wt release` removes a worktree beyond it. */
  size: number;
  /** Folder of slot `{n}` (placeholders {repo} {n}), relative to the main worktree. */
  dir: string;
  /** Repository commands run in a new slot (`npm ci`): the warm state a claim reuses. */
  warm: string[];
  /** Files (at the base) whose content the warm state depends on: a change makes slots stale. */
  warmKey: string[];
  /** true: `wt create` claims a slot as with `--pool`. */
  claim: boolean;
}

/** The effective configuration: file, `WT_*` variables and flags folded over the defaults. */
export interface WtConfig {
  worktreeDir: string;
  name: string;
  branch: string;
  /** null: origin/<default branch> when origin exists, else the main worktree's branch. */
  base: string | null;
  fetch: boolean;
  /** Variable -> base port; a worktree's port is base + slot. Insertion order is kept. */
  ports: Record<string, number>;
  portSlots: number;
  /**
   * `machine` (default): a port another repository's worktree holds on this machine (the
   * registry in `$XDG_STATE_HOME/wt/slots.json`) is not given out; `repository`: ports are
   * unique within this repository only (wt before issue 14).
   */
  portScope: "machine" | "repository";
  envFile: string;
  env: Record<string, string>;
  include: { symlink: string[] };
  databases: DatabaseConfig[];
  hooks: HooksConfig;
  cleanup: CleanupConfig;
  merge: MergeConfig;
  pool: PoolConfig;
  /** Absolute path of the config file that was read, or null when none exists. */
  file: string | null;
}

export const CONFIG_FILE = "wt.config.json";

export const DEFAULT_CONFIG: Omit<WtConfig, "file"> = {
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
};

/**
 * `WT_*` variables that override scalar config keys. The names differ from the variables
 * `wt` itself exports (`WT_NAME`, `WT_BRANCH`, ...): a shell that ran `eval "$(wt env 101)"`
 * must not silently change how the next `wt create` names its branch.
 */
export const ENV_OVERRIDES = {
  WT_WORKTREE_DIR: "worktreeDir",
  WT_NAME_TEMPLATE: "name",
  WT_BRANCH_TEMPLATE: "branch",
  WT_BASE: "base",
  WT_FETCH: "fetch",
  WT_PORT_SLOTS: "portSlots",
  WT_ENV_FILE: "envFile",
} as const;

/** Values given on the command line; they win over everything else. */
export interface ConfigFlags {
  base?: string;
  fetch?: boolean;
}

/** Variables `wt` writes for every worktree; `ports`, `env` and databases may not reuse them. */
export const RESERVED_VARS = ["WT_ID", "WT_NAME", "WT_BRANCH", "WT_PATH", "WT_MAIN", "WT_SLOT"] as const;

/**
 * Loads `wt.config.json` from the main worktree (when present), validates it against
 * `wt.config.schema.json`, then applies `WT_*` variables and flags
 * (precedence: flags > environment > file > defaults).
 * @param mainPath absolute path of the main worktree
 * @param env the environment to read `WT_*` overrides from (the CLI passes process.env)
 * @throws ConfigError (exit 2) naming the key and the file for unknown keys, wrong types,
 *   ports outside 1024..65535 or overlapping port ranges, and when the file is a FIFO, a
 *   device, a folder, a link out of the main worktree or over 1 MiB (`readRegularFile`).
 */
export async function loadConfig(
  mainPath: string,
  env: Readonly<Record<string, string | undefined>> = {},
  flags: ConfigFlags = {},
): Promise<WtConfig> {
  const file = path.join(mainPath, CONFIG_FILE);
  // Only a regular file of bounded size: a FIFO or a link to /dev/stdin would hang wt (issue 9).
  const text = await readRegularFile(file, mainPath);
  const fromFile = text === null ? {} : await parseAndValidate(text, file);
  const config: WtConfig = {
    ...structuredClone(DEFAULT_CONFIG),
    ...fromFile,
    include: { symlink: fromFile.include?.symlink ?? [] },
    hooks: { ...structuredClone(DEFAULT_CONFIG.hooks), ...fromFile.hooks },
    cleanup: { protect: fromFile.cleanup?.protect ?? [...DEFAULT_CONFIG.cleanup.protect] },
    merge: { into: fromFile.merge?.into ?? null },
    pool: { ...structuredClone(DEFAULT_CONFIG.pool), ...fromFile.pool },
    file: text === null ? null : file,
  } as WtConfig;
  applyEnvOverrides(config, env);
  if (flags.base !== undefined) config.base = flags.base;
  if (flags.fetch !== undefined) config.fetch = flags.fetch;
  checkConfig(config, text === null ? "the defaults" : file);
  return config;
}

type FileConfig = Partial<Omit<WtConfig, "include" | "hooks" | "cleanup" | "merge" | "pool" | "file">> & {
  merge?: Partial<MergeConfig>;
  pool?: Partial<PoolConfig>;
  include?: { symlink?: string[] };
  hooks?: Partial<HooksConfig>;
  cleanup?: Partial<CleanupConfig>;
};

/**
 * Parses `text` as JSONC (comments and trailing commas, as VS Code reads its settings: the
 * `jsonc-parser` package), then validates it against the schema with every error collected.
 * @throws ConfigError (exit 2) listing every syntax error (line:column) or every schema error
 *   at once, an unknown key with the nearest known key ("did you mean ports?").
 */
async function parseAndValidate(text: string, file: string): Promise<FileConfig> {
  const data = await parseJsonc(text, file);
  const validate = await schemaValidator();
  if (!validate(data)) {
    // With allErrors ajv reports a bad variable name twice (the name's own error and the
    // `propertyNames` summary): keep one line per distinct message.
    const shown = [...new Set((validate.errors ?? []).map((e) => describeSchemaError(e)))].filter(
      (m, _, all) => !(m.endsWith('"') && all.some((o) => o !== m && o.startsWith(m))),
    );
    if (shown.length === 0) shown.push("invalid configuration");
    const message =
      shown.length === 1
        ? `${file}: ${shown[0]}`
        : `${file}: ${shown.length} problems:\n${shown.map((m) => `  ${m}`).join("\n")}`;
    throw new ConfigError(message, "see wt.config.schema.json for the allowed keys and types, or run `wt help config`");
  }
  return data as FileConfig;
}

/**
 * `text` as JSONC. Plain JSON (most files) is read by JSON.parse; only a file it refuses (a
 * comment, a trailing comma, an error) loads jsonc-parser, which also names each error's place.
 * @throws ConfigError listing every syntax error as line:column.
 */
async function parseJsonc(text: string, file: string): Promise<unknown> {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not plain JSON: JSONC, or an error jsonc-parser describes.
  }
  const { parse, printParseErrorCode } = requireCjs("jsonc-parser") as typeof import("jsonc-parser");
  const syntax: import("jsonc-parser").ParseError[] = [];
  const data: unknown = parse(text, syntax, { allowTrailingComma: true, disallowComments: false });
  if (syntax.length > 0) {
    const lines = syntax.map((e) => `  ${lineColumn(text, e.offset)}: ${describeSyntax(printParseErrorCode(e.error))}`);
    throw new ConfigError(
      `${file} is not valid JSON (comments and trailing commas are fine):\n${lines.join("\n")}`,
      "fix the file, or delete it to use the defaults",
    );
  }
  return data;
}

type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/**
 * The shipped schema, compiled ahead of time by scripts/gen-validator.mjs (ajv standalone),
 * so the schema users see is the one enforced without compiling it at every start.
 */
async function schemaValidator(): Promise<Validator> {
  return (await import("./config-validate.generated.js")).default as Validator;
}

function applyEnvOverrides(config: WtConfig, env: Readonly<Record<string, string | undefined>>): void {
  for (const [variable, key] of Object.entries(ENV_OVERRIDES)) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    if (key === "fetch") {
      if (!/^(1|0|true|false|yes|no)$/i.test(value)) {
        throw new ConfigError(`${variable}="${value}" must be true or false`);
      }
      config.fetch = /^(1|true|yes)$/i.test(value);
    } else if (key === "portSlots") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new ConfigError(`${variable}="${value}" must be a whole number of at least 1`);
      }
      config.portSlots = n;
    } else {
      config[key] = value;
    }
  }
}

/**
 * Checks what a JSON schema cannot: every port a slot can give stays in 1024..65535, no two
 * variables' port ranges overlap, and no variable is defined twice.
 * @throws ConfigError naming the keys and `where`.
 */
export function checkConfig(config: WtConfig, where: string): void {
  const ports = Object.entries(config.ports);
  for (const [name, base] of ports) {
    const last = base + config.portSlots - 1;
    if (!Number.isInteger(base) || base < 1024 || last > 65535) {
      throw new ConfigError(
        `${where}: "ports.${name}" = ${base} with portSlots ${config.portSlots} gives ports ${base}..${last}, outside 1024..65535`,
        "lower the base port or portSlots",
      );
    }
  }
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, pa] = ports[i] as [string, number];
      const [b, pb] = ports[j] as [string, number];
      if (pa < pb + config.portSlots && pb < pa + config.portSlots) {
        throw new ConfigError(
          `${where}: the port ranges of "ports.${a}" (${pa}..${pa + config.portSlots - 1}) and "ports.${b}" (${pb}..${pb + config.portSlots - 1}) overlap`,
          "space the base ports at least portSlots apart, or lower portSlots",
        );
      }
    }
  }
  const seen = new Map<string, string>();
  const claim = (name: string, by: string) => {
    if ((RESERVED_VARS as readonly string[]).includes(name)) {
      throw new ConfigError(`${where}: "${by}" may not set ${name}, which wt sets itself`);
    }
    const before = seen.get(name);
    if (before) throw new ConfigError(`${where}: ${name} is set by both "${before}" and "${by}"`);
    seen.set(name, by);
  };
  for (const [name] of ports) claim(name, `ports.${name}`);
  config.databases.forEach((db, i) => {
    claim(databaseEnvName(db), `databases[${i}].env`);
  });
  for (const name of Object.keys(config.env)) claim(name, `env.${name}`);
  for (const [key, value] of [
    ["worktreeDir", config.worktreeDir],
    ["name", config.name],
    ["branch", config.branch],
    ["envFile", config.envFile],
  ] as const) {
    if (value.trim() === "") throw new ConfigError(`${where}: "${key}" may not be empty`);
  }
  if (path.isAbsolute(config.envFile)) {
    throw new ConfigError(`${where}: "envFile" must be a path inside the worktree, got ${config.envFile}`);
  }
  checkInsideWorktree(where, "envFile", config.envFile);
  config.databases.forEach((db, i) => {
    const key = `databases[${i}].path`;
    if (path.isAbsolute(db.path) || leavesWorktree(db.path)) {
      // Outside the worktree only the placeholders keep worktrees apart: without one every
      // worktree would share (and each create would replace) a single file. A relative path
      // that climbs out (`../dbs/{name}.sqlite`) is one a committed config can carry.
      if (!/\{(id|name)\}/.test(db.path) || /[\\/]$/.test(db.path)) {
        throw new ConfigError(
          `${where}: "${key}" is a path outside the worktree without {id} or {name} in its file name (${db.path}): every worktree would share that one database`,
          'put {id} or {name} in it, e.g. "../{repo}-dbs/{name}.sqlite"',
        );
      }
    } else {
      checkInsideWorktree(where, key, db.path);
    }
  });
}

/**
 * A worktree-relative path wt writes: it must name a file below the worktree's root, not the
 * root itself, nothing above it (`..`) and nothing in git's own `.git` (the linked worktree's
 * `.git` file ties it to the repository).
 * @throws ConfigError (exit 2)
 */
function checkInsideWorktree(where: string, key: string, value: string): void {
  const parts = value.split(/[\\/]/).filter((p) => p !== "" && p !== ".");
  if (
    parts.length === 0 ||
    parts.includes("..") ||
    parts.some((p) => p.toLowerCase() === ".git") ||
    /[\\/]$/.test(value)
  ) {
    throw new ConfigError(
      `${where}: "${key}" must name a file inside the worktree (not its root, not above it, not in .git), got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * True when a relative path climbs out of the folder it is relative to (`../dbs/x.db`,
 * `data/../../x.db`): normalised, its first segment is `..`. Absolute paths answer false.
 */
export function leavesWorktree(p: string): boolean {
  if (path.isAbsolute(p)) return false;
  return path.posix.normalize(p.replaceAll("\\", "/")).split("/")[0] === "..";
}

/** The engine of a database entry: explicit, else `.duckdb` means DuckDB, else SQLite. */
export function databaseEngine(db: DatabaseConfig): "sqlite" | "duckdb" {
  return db.engine ?? (db.path.toLowerCase().endsWith(".duckdb") ? "duckdb" : "sqlite");
}

/** The variable of a database entry: explicit, else DATABASE_PATH (SQLite) or DUCKDB_PATH. */
export function databaseEnvName(db: DatabaseConfig): string {
  return db.env ?? (databaseEngine(db) === "duckdb" ? "DUCKDB_PATH" : "DATABASE_PATH");
}
