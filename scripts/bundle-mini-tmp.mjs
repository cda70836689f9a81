// Bundles the `wt` command (dist/cli/index.js, tsc's output) into dist/wt/ with rolldown, the
// last step of `npm run build`. bin/wt.js loads dist/wt/wt.js.
//
// Why: Node's ESM loader pays per module (resolve, read, compile, link), and a `wt create`
// loaded ~100 modules of dist/ before its first git process; bundled into a few chunks the
// same code starts ~50 ms sooner (issue 12; measured with bench/ and by hand, see the README's
// Performance). The library (dist/index.js) stays tsc's one-file-per-module output.
//
// Chunks, so that each command compiles what it runs and not much more:
//   wt.js    the entry: argv, --version, --help, completion
//   base     the two small modules the entry imports (the package's files, require())
//   lookup   what `wt path`, `wt env` and every error report need (core/resolve.js and below)
//   early    the git reads create, release and cleanup start while `work` loads (git/early.js)
//   status   the fast `wt status`
//   work     create, cleanup, release and every step a create runs
//   the rest rolldown's own chunks, one per lazily imported command (doctor, merge, adopt, ...)
// A module goes to the first tier whose static-import closure holds it. Packages in
// node_modules stay external (loaded by Node as before: wt requires its CommonJS ones).
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const out = path.join("/tmp/fx/mini/dist", "wt");

const STATIC_IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^;"]*?\sfrom\s)?"(\.[^"]+)"/g;

/** The modules `starts` load through static imports (tsc's output has no type-only imports left). */
function closure(starts) {
  const seen = new Set();
  const todo = starts.map((s) => path.join(dist, s));
  while (todo.length > 0) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) {
      todo.push(path.resolve(path.dirname(file), m[1]));
    }
  }
  return seen;
}

const TIERS = [
  ["base", closure(["core/package-root.js", "core/require-cjs.js"])],
  ["lookup", closure(["core/resolve.js", "cli/report.js"])],
  ["early", closure(["git/early.js"])],
  ["status", closure(["cli/commands/status.js", "cli/io.js"])],
  [
    "work",
    closure([
      "cli/fast-verbs.js",
      "cli/program-kit.js",
      "cli/commands/create.js",
      "cli/commands/cleanup.js",
      "cli/commands/release.js",
      "core/create-plan.js",
      "core/create-steps.js",
      "core/recreate.js",
      "core/steps/execute.js",
      "core/provision/index.js",
      "core/config.js",
      "core/config-validate.generated.js",
    ]),
  ],
];
const ENTRY = path.join(dist, "cli", "index.js");

rmSync(out, { recursive: true, force: true });
await build({
  input: { wt: ENTRY },
  platform: "node",
  // Every package, and node: builtins, stay imports: node_modules is not bundled.
  external: [/^[^./]/],
  logLevel: "warn",
  // A module a tier holds is also imported lazily elsewhere: expected, the tiers decide.
  onLog: (level, log, handler) => {
    if (log.code !== "INEFFECTIVE_DYNAMIC_IMPORT") handler(level, log);
  },
  output: {
    dir: out,
    format: "esm", minify: process.env.MINI === "full" ? true : { compress: false, mangle: false, codegen: { removeWhitespace: true } },
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
    codeSplitting: {
      groups: [
        {
          debugName: "tiers",
          name: (id) => {
            if (id === ENTRY) return null;
            for (const [name, members] of TIERS) if (members.has(id)) return name;
            return null;
          },
        },
      ],
    },
  },
});
