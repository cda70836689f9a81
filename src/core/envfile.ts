import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeAtomic } from "./atomic.js";
import { ConfigError, UsageError } from "./errors.js";
import { lstatOrNull, safeJoin } from "./fs-safe.js";
import type { WorktreeRecord } from "./state.js";

/** Variable name -> value, in the order they are written. */
export type Variables = Record<string, string>;

/** Output formats of `wt env`. */
export type EnvFormat = "sh" | "dotenv" | "json" | "fish";

/**
 * Every variable of a worktree (docs/contract.md, "Env file"): `WT_ID`, `WT_NAME`, `WT_BRANCH`,
 * `WT_PATH`, `WT_MAIN`, `WT_SLOT`, the ports, the databases (absolute paths), then the
 * config's `env` entries (already expanded in the record).
 */
export function worktreeVariables(record: WorktreeRecord, mainPath: string): Variables {
  const vars: Variables = {
    WT_ID: record.id,
    WT_NAME: record.name,
    WT_BRANCH: record.branch,
    WT_PATH: record.path,
    WT_MAIN: mainPath,
    WT_SLOT: String(record.slot),
  };
  for (const [name, port] of Object.entries(record.ports)) vars[name] = String(port);
  for (const db of record.databases) vars[db.env] = db.path;
  for (const [name, value] of Object.entries(record.env)) vars[name] = value;
  return vars;
}

/**
 * Expands `${VAR}` in the config's `env` entries with wt's own variables.
 * @throws ConfigError (exit 2) for a `${VAR}` that wt does not define.
 */
export function expandEnvEntries(entries: Readonly<Record<string, string>>, known: Variables): Variables {
  const out: Variables = {};
  for (const [name, template] of Object.entries(entries)) {
    out[name] = template.replace(/\$\{([^}]*)\}/g, (whole, v: string) => {
      const value = known[v];
      if (value === undefined) {
        throw new ConfigError(
          `"env.${name}" uses ${whole}, but wt defines no ${v} (known: ${Object.keys(known).join(", ")})`,
        );
      }
      return value;
    });
  }
  return out;
}

/**
 * Refuses values a dotenv file or a shell would misread: newlines and other control characters.
 * @throws UsageError (exit 2) naming the variable.
 */
export function checkValues(vars: Variables): void {
  for (const [name, value] of Object.entries(vars)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      throw new UsageError(
        `refusing to write ${name}: its value holds a newline or another control character`,
        "remove control characters from the value (check wt.config.json `env` and the paths)",
      );
    }
  }
}

const BARE = /^[A-Za-z0-9_./:@%+,=\\-]*$/;

/**
 * One `KEY=value` line that dotenv parses back to exactly `value`. dotenv has no escapes: a
 * quoted value may not hold its own quote character, and a backslash right before the closing
 * quote reads as an escaped quote, so a value that needs quotes may not end in a backslash.
 * @throws UsageError (exit 2) for a value no dotenv line can hold.
 */
function dotenvLine(name: string, value: string): string {
  if (BARE.test(value)) return `${name}=${value}`;
  if (!value.endsWith("\\")) {
    if (!value.includes("'")) return `${name}='${value}'`;
    // Inside double quotes dotenv turns the two characters `\n` into a newline.
    if (!value.includes('"') && !/\\[nr]/.test(value)) return `${name}="${value}"`;
    if (!value.includes("`")) return `${name}=\`${value}\``;
  }
  // Unquoted, dotenv keeps everything up to a `#`, trimmed, and strips nothing else.
  if (!/#/.test(value) && value === value.trim() && !/^['"`]/.test(value)) return `${name}=${value}`;
  throw new UsageError(
    `cannot write ${name} in dotenv format: its value ${value.endsWith("\\") ? "needs quotes and ends in a backslash" : "holds all of ' \" and `"}`,
    "change the value (wt.config.json `env`, or the folder names in the path)",
  );
}

const BLOCK_START = "# --- wt: this worktree's variables (kept up to date by wt) ---";

/**
 * Text of an env file: `existing` (a copy `.worktreeinclude` brought, or null) with every line
 * that assigns one of `vars` removed and the variables appended, so its other keys stay.
 */
export function renderEnvFile(vars: Variables, existing: string | null): string {
  const names = new Set(Object.keys(vars));
  const kept: string[] = [];
  if (existing !== null) {
    for (const line of existing.replace(/\r\n/g, "\n").split("\n")) {
      if (line === BLOCK_START) continue;
      const m = /^\s*(?:export\s+)?([\w.-]+)\s*[=:]/.exec(line);
      if (m && names.has(m[1] as string)) continue;
      kept.push(line);
    }
    while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
  }
  const block = [BLOCK_START, ...Object.entries(vars).map(([n, v]) => dotenvLine(n, v))];
  return `${kept.length > 0 ? `${kept.join("\n")}\n\n` : ""}${block.join("\n")}\n`;
}

/**
 * Writes the env file `rel` in `worktree`: a real file (a symlink there is replaced, never
 * written through), mode 0600, atomically. Merges into a regular file already there.
 * @returns "created" or "merged".
 * @throws ConflictError when a folder on the way is a symlink; UsageError for bad values.
 */
export async function writeEnvFile(worktree: string, rel: string, vars: Variables): Promise<"created" | "merged"> {
  checkValues(vars);
  const file = await safeJoin(worktree, rel);
  const st = await lstatOrNull(file);
  let existing: string | null = null;
  if (st?.isSymbolicLink()) {
    await rm(file);
  } else if (st?.isFile()) {
    existing = await readFile(file, "utf8");
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, renderEnvFile(vars, existing), { mode: 0o600 });
  return existing === null ? "created" : "merged";
}

/** Single-quotes for POSIX shells: `'` becomes `'\''`. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Single-quotes for fish: `\` and `'` are escaped with a backslash. */
function fishQuote(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * The variables in `format`: `sh` (`export K='v'`, safe for `eval "$(wt env 101)"`), `fish`
 * (`set -gx K 'v'`), `dotenv` or `json` (an object).
 */
export function formatVariables(vars: Variables, format: EnvFormat): string {
  const entries = Object.entries(vars);
  switch (format) {
    case "json":
      return `${JSON.stringify(vars, null, 2)}\n`;
    case "dotenv":
      return `${entries.map(([n, v]) => dotenvLine(n, v)).join("\n")}\n`;
    case "fish":
      return `${entries.map(([n, v]) => `set -gx ${n} ${fishQuote(v)}`).join(";\n")};\n`;
    default:
      return `${entries.map(([n, v]) => `export ${n}=${shQuote(v)}`).join("\n")}\n`;
  }
}
