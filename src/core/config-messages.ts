import { readFileSync } from "node:fs";
import leven from "leven";
import { packagePath } from "./package-root.js";

/** The messages of a config that does not parse or validate: where, which key, the nearest known key. */

/** `line 3, column 5` (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** jsonc-parser's `PropertyNameExpected` -> `property name expected`. */
export function describeSyntax(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** An ajv error as the compiled validator reports it. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  propertyName?: string;
}

/** `/databases/0/path` -> `databases[0].path`. */
function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").slice(1);
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const raw of parts) {
    const p = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(p) ? `[${p}]` : out === "" ? p : `.${p}`;
  }
  return out || "(top level)";
}

/** One line naming the key and what is wrong with it (an unknown key with the nearest known one). */
export function describeSchemaError(err: SchemaError): string {
  // ajv reports a bad key under `propertyNames` as that key's own error, naming it here.
  if (err.propertyName !== undefined) {
    return `invalid variable name "${keyPath(err.instancePath, err.propertyName)}" (a variable name is letters, digits and _, not starting with a digit)`;
  }
  if (err.keyword === "additionalProperties") {
    const key = String(err.params.additionalProperty);
    const near = nearestKey(key, knownKeys(err.instancePath));
    return `unknown key "${keyPath(err.instancePath, key)}"${near === null ? "" : ` (did you mean "${near}"?)`}`;
  }
  if (err.keyword === "propertyNames") {
    return `invalid variable name "${keyPath(err.instancePath, String(err.params.propertyName))}"`;
  }
  if (err.keyword === "enum") {
    return `"${keyPath(err.instancePath)}" must be one of ${JSON.stringify(err.params.allowedValues)}`;
  }
  return `"${keyPath(err.instancePath)}" ${err.message ?? "is invalid"}`;
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/**
 * The keys the shipped schema allows at `instancePath` (`/databases/0` -> an entry's keys).
 * Read only when a config has an unknown key, so a good config never reads the schema file.
 */
function knownKeys(instancePath: string): string[] {
  let node: SchemaNode | undefined;
  try {
    node = JSON.parse(readFileSync(packagePath("wt.config.schema.json"), "utf8")) as SchemaNode;
  } catch {
    return [];
  }
  for (const part of instancePath.split("/").slice(1)) {
    node = /^\d+$/.test(part) ? node?.items : node?.properties?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return Object.keys(node?.properties ?? {}).filter((k) => k !== "$schema");
}

/** The known key nearest to `key` (edit distance at most 2, or a prefix of it), or null. */
function nearestKey(key: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = leven(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best === null) return null;
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) || best.startsWith(key) ? best : null;
}
