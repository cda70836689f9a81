// The sections of the bench that measure one wt command against its floor on the 3,000-file
// fixture: startup, copy mode, SQLite, status, merge.

import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gitDir, gitWorktreeAdd, gitWorktreeRemove } from "./create.mjs";
import { CONFIG_COPY, CONFIG_SYMLINK, writeConfig } from "./fixture.mjs";
import {
  addRow,
  alternate,
  createCleanupPairs,
  details,
  fmtMs,
  fmtRatio,
  git,
  log,
  measureMemory,
  median,
  must,
  NODE,
  ROOT,
  rows,
  S,
  sh,
  wt,
} from "./lib.mjs";

const SQLITE_HELPER = path.join(ROOT, "bench", "sqlite-copy.mjs");
/** The sqlite3 CLI (the database floor), or null: its rows are skipped then. */
export const SQLITE3 = sh("sh", ["-c", "command -v sqlite3"]);

export async function benchStartup(fx) {
  log("startup: wt --version / --help / path vs node -e 0");
  const nodeFloor = () => must(NODE, ["-e", "0"]).then((r) => r.ms);
  const v = await alternate(() => wt(fx, ["--version"]).then((r) => r.ms), nodeFloor);
  addRow({ name: "`wt --version`", a: v.A, b: v.B, kind: "ratio", limit: 1.8, note: "`node -e 0`" });
  const h = await alternate(() => wt(fx, ["--help"]).then((r) => r.ms), nodeFloor);
  addRow({ name: "`wt --help`", a: h.A, b: h.B, kind: "ratio", limit: 1.8, note: "`node -e 0`" });
  await wt(fx, ["create", "p1", "--no-fetch"]);
  const p = await alternate(() => wt(fx, ["path", "p1"]).then((r) => r.ms), nodeFloor);
  addRow({ name: "`wt path <id>`", a: p.A, b: p.B, kind: "ratio", limit: 1.8, note: "`node -e 0`" });
  await measureMemory(fx, "wt --version", ["--version"]);
  await measureMemory(fx, "wt --help", ["--help"]);
  await measureMemory(fx, "wt path p1", ["path", "p1"]);
  await wt(fx, ["cleanup", "p1"]);
}

export async function benchCopyMode(fx, symlinkRun) {
  log("copy mode: wt create copying node_modules vs git worktree add + cp -a --reflink=auto");
  writeConfig(fx.repo, CONFIG_COPY);
  const cpOnly = [];
  let checked = false;
  const r = await createCleanupPairs({
    createA: async (i) => {
      const res = await wt(fx, ["create", `k${i}`, "--no-fetch", "--json"]);
      if (!checked) {
        checked = true;
        const j = JSON.parse(res.stdout);
        if (!j.included.some((e) => e.path === "node_modules" && e.mode === "copy")) {
          throw new Error(`node_modules was not copied in copy mode: ${JSON.stringify(j.included)}`);
        }
      }
      return res.ms;
    },
    createB: async (i, timed) => {
      const name = `c${i}`;
      const dir = gitDir(fx, name);
      const add = await gitWorktreeAdd(fx, name);
      const nm = await must("cp", [
        "-a",
        "--reflink=auto",
        path.join(fx.repo, "node_modules"),
        path.join(dir, "node_modules"),
      ]);
      const env = await must("cp", ["-a", "--reflink=auto", path.join(fx.repo, ".env"), path.join(dir, ".env")]);
      if (timed) cpOnly.push(nm.ms + env.ms);
      return add + nm.ms + env.ms;
    },
    cleanupA: async (i) => (await wt(fx, ["cleanup", `k${i}`])).ms,
    cleanupB: (i) => gitWorktreeRemove(fx, `c${i}`),
  });
  addRow({
    name: "copy-mode include: `wt create` copying node_modules + .env",
    a: r.createA,
    b: r.createB,
    kind: "ratio",
    limit: 1.15,
    note: "`git worktree add -b` + `cp -a --reflink=auto` node_modules, .env",
  });
  // The include step alone, derived: wt's copy-mode create minus its symlink-mode create.
  const derived = [symlinkRun ? median(r.createA) - median(symlinkRun) : Number.NaN];
  rows.push({
    name: "include step alone (derived: copy-mode minus symlink-mode create medians)",
    wt: fmtMs(derived[0]),
    floor: `${fmtMs(median(cpOnly))} (\`cp -a --reflink=auto\` node_modules, .env)`,
    cmp: fmtRatio(derived[0], median(cpOnly)),
    target: "info",
    pass: null,
  });
  details.push({ name: "cp -a --reflink=auto node_modules + .env (floor of the include step)", a: cpOnly, b: null });
  addRow({
    name: "`wt cleanup`, copied node_modules (15k files)",
    a: r.cleanupA,
    b: r.cleanupB,
    kind: "delta",
    limit: 100,
    info: true,
    note: "`git worktree remove` + `git branch -d`",
  });
  await measureMemory(fx, "wt create (copy mode)", ["create", "m2", "--no-fetch"]);
  await measureMemory(fx, "wt cleanup (copy mode)", ["cleanup", "m2"]);
  writeConfig(fx.repo, CONFIG_SYMLINK);
}

function generateSqlite(file, targetBytes) {
  const require = createRequire(path.join(ROOT, "package.json"));
  const Database = require("better-sqlite3");
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = DELETE");
  db.pragma("synchronous = OFF");
  db.exec(
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body TEXT NOT NULL, n INTEGER NOT NULL);" +
      "CREATE INDEX items_name ON items(name);",
  );
  const insert = db.prepare("INSERT INTO items (name, body, n) VALUES (?, ?, ?)");
  const batch = db.transaction((start) => {
    for (let i = start; i < start + 10000; i++) {
      insert.run(`item-${i}-${randomBytes(6).toString("hex")}`, randomBytes(450).toString("hex"), i);
    }
  });
  let rowsDone = 0;
  const size = () => db.pragma("page_count", { simple: true }) * db.pragma("page_size", { simple: true });
  while (size() < targetBytes) {
    batch(rowsDone);
    rowsDone += 10000;
  }
  db.close();
  return statSync(file).size;
}

export async function benchSqlite(fx) {
  const template = path.join(fx.repo, "data", "app.db");
  log("SQLite: generating a 100 MB template");
  const bytes = generateSqlite(template, 100 * 1024 * 1024);
  const sizeMb = (bytes / 1024 / 1024).toFixed(0);
  if (!SQLITE3) {
    rows.push({
      name: `SQLite template copy (${sizeMb} MB)`,
      wt: "—",
      floor: "—",
      cmp: "—",
      target: "≤ 1.10x",
      pass: "skipped: sqlite3 CLI not installed (install the `sqlite3` package)",
    });
  } else {
    // The same database in WAL mode: committed pages may sit in a -wal, so wt copies it
    // through the engine (VACUUM INTO) instead of cloning the file.
    const walTemplate = path.join(fx.repo, "data", "app-wal.db");
    copyFileSync(template, walTemplate);
    {
      const require = createRequire(path.join(ROOT, "package.json"));
      const Database = require("better-sqlite3");
      const db = new Database(walTemplate);
      db.pragma("journal_mode = WAL");
      db.close();
    }
    const modes = [
      { file: template, label: "rollback-journal template, cloned under a shared lock", info: false },
      { file: walTemplate, label: "WAL template, through VACUUM INTO", info: true },
    ];
    for (const mode of modes) {
      log(`SQLite (${mode.label}): provisionDatabase (what wt create runs) vs sqlite3 .backup`);
      const dir = path.join(S.tmp, "db");
      mkdirSync(dir, { recursive: true });
      const inProcess = [];
      const r = await alternate(
        async (i, timed) => {
          const dst = path.join(dir, `a${i}.db`);
          const res = await must(NODE, [SQLITE_HELPER, mode.file, dst], { cwd: fx.repo });
          if (timed) inProcess.push(JSON.parse(res.stdout).ms);
          rmSync(dst, { force: true });
          return res.ms;
        },
        async (i) => {
          const dst = path.join(dir, `b${i}.db`);
          const res = await must(SQLITE3, [mode.file, `.backup "${dst}"`], { cwd: fx.repo });
          if (!existsSync(dst)) throw new Error(`sqlite3 .backup wrote no file: ${res.stderr}`);
          rmSync(dst, { force: true });
          return res.ms;
        },
      );
      addRow({
        name: `SQLite copy (${sizeMb} MB, ${mode.label}): \`provisionDatabase\` in process`,
        a: inProcess,
        b: r.B,
        kind: "ratio",
        limit: 1.1,
        info: mode.info,
        note: '`sqlite3 src ".backup dst"`',
      });
      if (!mode.info) {
        addRow({
          name: "SQLite copy above, whole Node process (start + import + copy)",
          a: r.A,
          b: r.B,
          kind: "ratio",
          info: true,
          note: '`sqlite3 src ".backup dst"`',
        });
      }
    }
    rmSync(walTemplate, { force: true });
  }
  writeConfig(fx.repo, { ...CONFIG_SYMLINK, databases: [{ path: "data/{name}.db", template: "data/app.db" }] });
  await measureMemory(fx, `wt create (symlink mode + ${sizeMb} MB SQLite template)`, ["create", "d1", "--no-fetch"]);
  await measureMemory(fx, "wt cleanup (with the SQLite copy)", ["cleanup", "d1"]);
  writeConfig(fx.repo, CONFIG_SYMLINK);
}

export async function benchStatus(fx) {
  log("status: creating 50 worktrees with wt create");
  writeConfig(fx.repo, CONFIG_SYMLINK);
  const lateCreates = [];
  let made = 0;
  const worktreePaths = async () => {
    const out = (await git(fx.repo, ["worktree", "list", "--porcelain", "-z"])).stdout;
    return out
      .split("\0")
      .filter((l) => l.startsWith("worktree "))
      .map((l) => l.slice("worktree ".length));
  };
  for (const n of [1, 10, 50]) {
    while (made < n) {
      made++;
      const r = await wt(fx, ["create", `s${made}`, "--no-fetch"]);
      if (made > 40) lateCreates.push(r.ms);
    }
    const paths = await worktreePaths();
    if (paths.length !== n + 1) throw new Error(`expected ${n + 1} worktrees, git lists ${paths.length}`);
    log(`status: ${n} worktree(s) + main`);
    const input = paths.map((p) => `${p}\0`).join("");
    let checked = false;
    const r = await alternate(
      async () => {
        const res = await wt(fx, ["status", "--json"]);
        if (!checked) {
          checked = true;
          const rowsSeen = JSON.parse(res.stdout).worktrees.length;
          if (rowsSeen !== n + 1) throw new Error(`wt status lists ${rowsSeen} worktrees, expected ${n + 1}`);
        }
        return res.ms;
      },
      async () =>
        (
          await must("xargs", ["-0", "-P", "4", "-I", "{}", "git", "-C", "{}", "status", "--porcelain=v2", "-z"], {
            input,
          })
        ).ms,
    );
    addRow({
      name: `\`wt status --json\`, ${n} worktree${n > 1 ? "s" : ""} + main`,
      a: r.A,
      b: r.B,
      kind: "ratio",
      limit: 1.25,
      extraLimitMs: 1000,
      info: n !== 50,
      note: `\`git status --porcelain=v2\` ×${n + 1}, 4 at a time`,
    });
  }
  rows.push({
    name: "`wt create` with 40-49 worktrees present",
    wt: fmtMs(median(lateCreates)),
    floor: "—",
    cmp: "—",
    target: "info",
    pass: null,
  });
  details.push({
    name: "`wt create` with 40-49 worktrees present (not settled, not alternated)",
    a: lateCreates,
    b: null,
  });
  await measureMemory(fx, "wt status --json (50 worktrees + main)", ["status", "--json"]);
  await measureMemory(fx, "wt status (table, 50 worktrees + main)", ["status"]);
}

/**
 * `wt merge` of 20 branches (one new file each) into the fixture's branch, against the plain
 * `git merge --no-ff` loop in the main worktree that seeds 000/001 run. Before every sample
 * (untimed) the branch goes back to where it was with `reset --keep`. Gated: ≤ 2 s.
 */
export async function benchMerge(fx) {
  const n = 20;
  log(`merge: ${n} worktrees with one commit each`);
  writeConfig(fx.repo, CONFIG_SYMLINK);
  const ids = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const branches = [];
  for (const id of ids) {
    const made = JSON.parse((await wt(fx, ["create", id, "--no-fetch", "--json"])).stdout);
    writeFileSync(path.join(made.path, `merge-${id}.txt`), `${id}\n`);
    await git(made.path, ["add", "--", `merge-${id}.txt`]);
    await git(made.path, ["commit", "-q", "-m", `work of ${id}`]);
    branches.push(made.branch);
  }
  const start = sh("git", ["-C", fx.repo, "rev-parse", "HEAD"]);
  const reset = () => git(fx.repo, ["reset", "-q", "--keep", start]);
  let checked = false;
  const r = await alternate(
    async () => {
      await reset();
      const res = await wt(fx, ["merge", ...ids, "--json"]);
      if (!checked) {
        checked = true;
        const merged = JSON.parse(res.stdout).merged.length;
        if (merged !== n) throw new Error(`wt merge merged ${merged} branches, expected ${n}`);
      }
      return res.ms;
    },
    async () => {
      await reset();
      let ms = 0;
      for (const b of branches) ms += (await git(fx.repo, ["merge", "-q", "--no-ff", "-m", `Merge ${b}`, b])).ms;
      return ms;
    },
  );
  await reset();
  const ms = median(r.A);
  rows.push({
    name: `\`wt merge\` of ${n} branches (one commit each) into ${fx.base}`,
    wt: fmtMs(ms),
    floor: `${fmtMs(median(r.B))} (\`git merge --no-ff\` ×${n} in the main worktree)`,
    cmp: fmtRatio(ms, median(r.B)),
    target: "≤ 2000 ms",
    pass: ms <= 2000,
  });
  details.push({ name: `\`wt merge\` of ${n} branches`, a: r.A, b: r.B });
  for (const id of ids) await wt(fx, ["cleanup", id, "--delete-branch"]);
}
