// The database step of `wt create`, alone: the same `provisionDatabase` wt calls, on one
// SQLite template. Run by bench/run.mjs as `node bench/sqlite-copy.mjs <template> <target>`;
// prints {"ms": <time spent inside provisionDatabase>} on stdout.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const [template, target] = process.argv.slice(2);
if (!template || !target) {
  process.stderr.write("usage: node bench/sqlite-copy.mjs <template.db> <target.db>\n");
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { provisionDatabase } = await import(pathToFileURL(path.join(root, "dist/core/databases.js")).href);
const t0 = performance.now();
await provisionDatabase(
  {
    engine: "sqlite",
    path: path.resolve(target),
    // As for a database inside the new worktree (the usual `data/agent-{name}.db`).
    worktree: path.dirname(path.resolve(target)),
    env: "DATABASE_PATH",
    template: path.resolve(template),
    init: null,
  },
  process.env,
);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
