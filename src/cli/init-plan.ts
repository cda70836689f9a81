/**
 * What `wt init` writes, from what it found in the main worktree (pure: the caller lists the
 * ignored paths with git and reads package.json): a commented `wt.config.json` (JSONC, which
 * config.ts reads) and a `.worktreeinclude`.
 */

/** An ignored path of the main worktree (git-status(1) `--ignored=matching`). */
export interface FoundPath {
  path: string;
  isDirectory: boolean;
}

export interface InitPlan {
  config: string;
  include: string;
  /** One line per finding, for the summary. */
  found: string[];
}

const DB_FILE = /\.(db|sqlite|sqlite3|duckdb)$/i;

/** Dev servers whose default port a script may rely on without naming it. */
const DEFAULT_PORTS: [RegExp, number][] = [
  [/\bvite\b(?!\s+build)/, 5173],
  [/\bnext\s+dev\b/, 3000],
  [/\bastro\s+dev\b/, 4321],
];

/**
 * The dev port of a package.json's scripts: an explicit `--port 4000`, `-p 4000`, `PORT=4000`
 * or `localhost:4000` in `dev`/`start`/`serve` first, else a known dev server's default; null.
 */
export function devPort(packageJson: string | null): number | null {
  if (packageJson === null) return null;
  let scripts: Record<string, unknown>;
  try {
    scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts ?? {};
  } catch {
    return null;
  }
  const ordered = ["dev", "start", "serve", ...Object.keys(scripts)];
  const texts = [...new Set(ordered)].map((k) => scripts[k]).filter((v): v is string => typeof v === "string");
  for (const text of texts) {
    const m = /(?:--port[= ]|-p\s+|\bPORT=|localhost:)(\d{4,5})\b/.exec(text);
    const port = m ? Number(m[1]) : Number.NaN;
    if (port >= 1024 && port <= 64536) return port;
  }
  for (const text of texts) for (const [re, port] of DEFAULT_PORTS) if (re.test(text)) return port;
  return null;
}

/** The findings wt init acts on: ignored env files, node_modules folders and database files. */
function classify(found: readonly FoundPath[]) {
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  return {
    envFiles: found.filter((f) => !f.isDirectory && /^\.env/.test(base(f.path))).map((f) => f.path),
    nodeModules: found.filter((f) => base(f.path) === "node_modules" && f.isDirectory).map((f) => f.path),
    databases: found.filter((f) => !f.isDirectory && DB_FILE.test(f.path)).map((f) => f.path),
  };
}

/** Builds both files. `envFile` is the env file wt writes (never brought along). */
export function planInit(found: readonly FoundPath[], packageJson: string | null, envFile = ".env.local"): InitPlan {
  const { envFiles, nodeModules, databases } = classify(found);
  const env = envFiles.filter((p) => p !== envFile);
  const port = devPort(packageJson);
  const out: string[] = [
    "// wt.config.json, written by `wt init` (JSONC: comments are fine). `wt help config` lists every key.",
    "{",
  ];
  out.push(
    "  // Where each worktree goes: a folder beside this repository.",
    '  "worktreeDir": "../{repo}-worktrees/{name}",',
  );
  out.push(
    port === null
      ? "  // No dev port found in package.json: the default PORT is 3000 + slot."
      : `  // package.json's dev server uses port ${port}: each worktree gets ${port} + its slot.`,
  );
  out.push(`  "ports": { "PORT": ${port ?? 3000} },`);
  if (nodeModules.length > 0) {
    out.push("  // node_modules is linked from the main worktree, not copied (a copy takes long).");
    out.push(`  "include": { "symlink": ${JSON.stringify(nodeModules)} },`);
  }
  if (databases.length > 0) {
    out.push("  // Each worktree gets its own copy of these ignored database files.");
    out.push('  "databases": [');
    for (const db of databases) out.push(`    { "path": ${JSON.stringify(db)}, "template": ${JSON.stringify(db)} },`);
    out.push("  ],");
  }
  out.push('  // Commands run in a new worktree, e.g. ["npm ci"].', '  "hooks": { "postCreate": [] }', "}");
  const include = [
    "# .worktreeinclude, written by `wt init`: git-ignored files each new worktree gets a copy of",
    "# (gitignore syntax; entries in wt.config.json's include.symlink are linked instead).",
    ...env,
    ...nodeModules.map((p) => `${p}/`),
  ];
  const found_ = [
    ...env.map((p) => `env file ${p} (copied)`),
    ...nodeModules.map((p) => `${p}/ (linked)`),
    ...databases.map((p) => `database ${p} (copied per worktree)`),
    ...(port === null ? [] : [`dev port ${port} (package.json)`]),
  ];
  return { config: `${out.join("\n")}\n`, include: `${include.join("\n")}\n`, found: found_ };
}
