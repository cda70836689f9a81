import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeAtomic } from "./atomic.js";
import { ConfigError, UsageError } from "./errors.js";
import { lstatOrNull, safeJoin } from "./fs-safe.js";
import { nodeCrypto } from "./lazy-crypto.js";
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
 * Refuses values the env file cannot hold: newlines and other control characters, and values
 * no line can hold that both dotenv and a shell read back as they are (`dotenvLine`). Runs
 * before anything is made, so a refused create touches nothing.
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
    dotenvLine(name, value);
  }
}

/** Characters a POSIX shell takes literally in an unquoted word (no `\\`, `~`, `$`, glob, `#`). */
const SH_BARE = /^[A-Za-z0-9_./:@%+,=-]*$/;
/** Characters a shell still interprets inside double quotes (`!` only interactively). */
const SH_DOUBLE_SPECIAL = /[$`"\\]/;

/**
 * One `KEY=value` line that reads back as exactly `value` both through dotenv and through a
 * POSIX shell (`set -a; . .env.local` in sh, bash, zsh), and runs nothing in the shell.
 * The forms, in order:
 * - bare, when every character is literal to the shell (and dotenv keeps it: no `#`, no quote);
 * - `'value'`: the shell takes everything literally; dotenv has no escapes in single quotes,
 *   but reads `\\'` as an escaped quote, so the value may not hold `'` nor end in `\\`;
 * - `"value"`: for a value holding `'`, when it holds none of `$`, backtick, `"`, `\\`
 *   (the shell expands those; dotenv turns `\\n` into a newline).
 * Anything else (e.g. `'` together with `$(...)`) has no such line: dotenv cannot escape and
 * the shell would run or change it. Backticks, which dotenv offers, are command substitution
 * in a shell and are never written.
 * @throws UsageError (exit 2) for such a value; `wt env` prints any value safely quoted.
 */
function dotenvLine(name: string, value: string): string {
  if (SH_BARE.test(value)) return `${name}=${value}`;
  if (!value.includes("'") && !value.endsWith("\\")) return `${name}='${value}'`;
  if (!SH_DOUBLE_SPECIAL.test(value)) return `${name}="${value}"`;
  const why = value.endsWith("\\")
    ? "it needs quotes and ends in a backslash"
    : 'it holds a single quote together with one of $ ` " \\';
  throw new UsageError(
    `cannot write ${name}=${JSON.stringify(value)} to the env file: ${why}, so no line reads the same in dotenv and in a shell (sourcing it could run code)`,
    "change the value (the branch via --branch, wt.config.json `env`, or the folder names in the path); `wt env <id> --format sh|json` prints any value safely quoted",
  );
}

const BLOCK_START = "# --- wt: this worktree's variables (kept up to date by wt) ---";

/**
 * The lines of an env file's `text` that are not wt's: every line but the block's header and
 * those assigning one of `names` (`KEY=`, `export KEY=`, `KEY:`), CRLF read as LF, trailing
 * blank lines dropped.
 */
function keptLines(text: string, names: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (const line of text.replace(/\r\n/g, "\n").split("\n")) {
    if (line === BLOCK_START) continue;
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*[=:]/.exec(line);
    if (m && names.has(m[1] as string)) continue;
    kept.push(line);
  }
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
  return kept;
}

/**
 * Text of an env file: `existing` (a copy `.worktreeinclude` brought, or null) with every line
 * that assigns one of `vars` (or of `drop`: variables wt wrote before and no longer defines)
 * removed and the variables appended, so its other keys stay.
 */
export function renderEnvFile(vars: Variables, existing: string | null, drop: readonly string[] = []): string {
  const kept = existing === null ? [] : keptLines(existing, new Set([...Object.keys(vars), ...drop]));
  const block = [BLOCK_START, ...Object.entries(vars).map(([n, v]) => dotenvLine(n, v))];
  return `${kept.length > 0 ? `${kept.join("\n")}\n\n` : ""}${block.join("\n")}\n`;
}

/** A line's digest as `WorktreeRecord.envLines` holds it: 16 hex digits of its SHA-256. */
function lineDigest(line: string): string {
  return nodeCrypto().createHash("sha256").update(line.trimEnd()).digest("hex").slice(0, 16);
}

/**
 * Digests of the lines of an env file's `text` that are not wt's variables (`names`) and not
 * blank, sorted and unique: what `WorktreeRecord.envLines` records of the lines wt found there
 * (an include's copy, what postCreate hooks added), never the lines themselves (they may be secrets).
 */
export function envLineDigests(text: string, names: Iterable<string>): string[] {
  const set = new Set(
    keptLines(text, new Set(names))
      .filter((l) => l.trim() !== "")
      .map(lineDigest),
  );
  return [...set].sort();
}

/**
 * How many lines of the env file `text` are neither wt's variables (`names`), nor blank, nor
 * among the lines wt found there (`known`, `envLineDigests`): the lines a user or an agent
 * added since, which deleting the file would lose.
 */
export function linesAddedToEnvFile(text: string, names: Iterable<string>, known: readonly string[]): number {
  const was = new Set(known);
  return keptLines(text, new Set(names)).filter((l) => l.trim() !== "" && !was.has(lineDigest(l))).length;
}

/**
 * Writes the env file `rel` in `worktree`: a real file (a symlink there is replaced, never
 * written through), mode 0600, atomically. Merges into a regular file already there, whose
 * lines assigning one of `vars` or of `drop` go (`renderEnvFile`).
 * @returns how it was written, and `lines`: `envLineDigests` of the lines kept beside wt's
 * (a create records them; a rewrite keeps the record's, so lines added since stay the user's).
 * @throws ConflictError when a folder on the way is a symlink; UsageError for bad values.
 */
export async function writeEnvFile(
  worktree: string,
  rel: string,
  vars: Variables,
  drop: readonly string[] = [],
): Promise<{ how: "created" | "merged"; lines: string[] }> {
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
  const text = renderEnvFile(vars, existing, drop);
  await writeAtomic(file, text, { mode: 0o600 });
  return { how: existing === null ? "created" : "merged", lines: envLineDigests(text, Object.keys(vars)) };
}

/**
 * `envLineDigests` of `record`'s env file as it is now, or null when it is not a regular file
 * (or cannot be read): what postCreate hooks are compared against (`envLinesAddedSince`).
 */
export async function envFileDigests(record: WorktreeRecord, mainPath: string): Promise<string[] | null> {
  const file = path.join(record.path, record.envFile);
  try {
    if (!(await lstatOrNull(file))?.isFile()) return null;
    return envLineDigests(await readFile(file, "utf8"), Object.keys(worktreeVariables(record, mainPath)));
  } catch {
    return null;
  }
}

/**
 * `record.envLines` with the lines of the env file that were not there `before` (its
 * `envFileDigests` just before postCreate hooks ran, null when there was no such file): what the
 * hooks wrote is wt's too; a line that was there already and is not in the record stays the
 * user's (one added after a hook failed and before it ran again). The record's own when the
 * file is not a regular file now.
 */
export async function envLinesAddedSince(
  record: WorktreeRecord,
  mainPath: string,
  before: readonly string[] | null,
): Promise<string[] | undefined> {
  const now = await envFileDigests(record, mainPath);
  if (now === null) return record.envLines;
  const was = new Set(before ?? []);
  return [...new Set([...(record.envLines ?? []), ...now.filter((d) => !was.has(d))])].sort();
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
