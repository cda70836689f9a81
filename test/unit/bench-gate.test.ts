import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { gate, verdict } from "../../bench/gate.mjs";
import { addRow, rows } from "../../bench/lib.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("bench/gate.mjs: the exit code of npm run bench", () => {
  it("exits 1 when any gated row FAILs, naming it", () => {
    const r = gate([
      { name: "`wt --version`", pass: true },
      { name: "`wt create`", pass: false },
      { name: "include step alone", pass: null },
      { name: "SQLite copy", pass: "skipped: sqlite3 CLI not installed" },
    ]);
    expect(r).toEqual({ passed: 1, failed: 1, skipped: 1, failedNames: ["`wt create`"], exitCode: 1 });
  });

  it("exits 0 when every gated row PASSes, whatever the info and skipped rows say", () => {
    const r = gate([
      { name: "a", pass: true },
      { name: "b", pass: null },
      { name: "c", pass: "skipped: GNU time not installed" },
    ]);
    expect(r.exitCode).toBe(0);
    expect(r.failed).toBe(0);
    expect(r.skipped).toBe(1);
  });

  it("a ratio that could not be computed (NaN) is a FAIL, not a pass", () => {
    // addRow sets pass = median(a) / median(b) <= limit: NaN <= limit is false.
    const pass = Number.NaN / 1 <= 1.8;
    expect(verdict(pass)).toBe("FAIL");
    expect(gate([{ name: "x", pass }]).exitCode).toBe(1);
  });

  it("prints each result as the table's column", () => {
    expect([true, false, null, "skipped: why"].map(verdict)).toEqual(["PASS", "FAIL", "info", "skipped: why"]);
  });
});

describe("bench/lib.mjs addRow: the issue-12 gates", () => {
  const last = () => rows[rows.length - 1];

  it("faster: PASS only when wt's median is below the floor's", () => {
    addRow({ name: "f1", a: [90, 100, 110], b: [100, 101, 102], kind: "faster" });
    expect(last().pass).toBe(true);
    addRow({ name: "f2", a: [101, 101, 101], b: [101, 101, 101], kind: "faster" });
    expect(last().pass).toBe(false);
  });

  it("abs with minSpeedup: both the wall limit and the speed-up must hold", () => {
    addRow({ name: "p1", a: [100], b: [1500], kind: "abs", limit: 150, minSpeedup: 10 });
    expect(last().pass).toBe(true);
    addRow({ name: "p2", a: [140], b: [1000], kind: "abs", limit: 150, minSpeedup: 10 });
    expect(last().pass).toBe(false);
    addRow({ name: "p3", a: [160], b: [5000], kind: "abs", limit: 150, minSpeedup: 10 });
    expect(last().pass).toBe(false);
  });

  it("delta: ≤ floor + limit; info rows are never gated and show their target note", () => {
    addRow({ name: "d1", a: [160], b: [100], kind: "delta", limit: 60 });
    expect(last().pass).toBe(true);
    addRow({ name: "d2", a: [161], b: [100], kind: "delta", limit: 60 });
    expect(last().pass).toBe(false);
    addRow({ name: "d3", a: [500], b: [100], kind: "delta", info: true, infoTarget: "info (issue: ≤ +30 ms)" });
    expect(last()).toMatchObject({ pass: null, target: "info (issue: ≤ +30 ms)", cmp: "+400.0 ms" });
  });
});

describe("bench/run.mjs", () => {
  // The bench is too slow to run in the suite; these read its sources for the promises the
  // gate test cannot see: it exits with the gate's code, installs nothing system-wide (the
  // peers go into its temp folder), and every section can be asked for with --only.
  const bench = path.join(ROOT, "bench");
  const source = readFileSync(path.join(bench, "run.mjs"), "utf8");
  const modules = readdirSync(bench)
    .filter((f) => f.endsWith(".mjs"))
    .map((f) => ({ f, text: readFileSync(path.join(bench, f), "utf8") }));

  it("exits with the gate's exit code", () => {
    expect(source).toMatch(/import \{ gate, verdict \} from "\.\/gate\.mjs";/);
    expect(source).toMatch(/process\.exit\(result\.exitCode\)/);
  });

  it("runs no system package manager, and npm only into a --prefix of its temp folder", () => {
    for (const { f, text } of modules) {
      expect(text, f).not.toMatch(/apt-get"|"apt"|spawnSync\("(apt|apt-get|dnf|yum|apk|brew)"|"-g"|"--global"/);
    }
    const peers = modules.find((m) => m.f === "peers.mjs")?.text ?? "";
    expect(peers).toMatch(/\["install", "--prefix", prefix,/);
    expect(peers).toMatch(/const prefix = path\.join\(S\.tmp, "peers"\)/);
  });

  it("--only knows the sections of the issue-12 rows", () => {
    const list = source.match(/const SECTIONS = \[([^\]]*)\]/)?.[1] ?? "";
    for (const s of ["startup", "create", "peers", "pool", "large", "copy", "sqlite", "status", "merge"]) {
      expect(list).toContain(`"${s}"`);
    }
  });
});

describe("bench/sqlite-copy.mjs: the in-process database row calls wt's own provisionDatabase", () => {
  it("copies a real SQLite template through the built dist/ and reports its time", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wt-bench-sqlite-"));
    try {
      const template = path.join(dir, "t.db");
      const db = new Database(template);
      db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);");
      db.close();
      const script = path.join(ROOT, "bench/sqlite-copy.mjs");
      const out = execFileSync(process.execPath, [script, template, path.join(dir, "o.db")], { encoding: "utf8" });
      expect(JSON.parse(out).ms).toBeGreaterThan(0);
      const copy = new Database(path.join(dir, "o.db"), { readonly: true });
      expect(copy.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 3 });
      copy.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
