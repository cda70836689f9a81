import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { gate, verdict } from "../../bench/gate.mjs";

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

describe("bench/run.mjs", () => {
  // The bench is too slow to run in the suite; these read its source for the two promises
  // the gate test cannot see: it exits with the gate's code and installs nothing.
  const source = readFileSync(path.join(ROOT, "bench/run.mjs"), "utf8");

  it("exits with the gate's exit code", () => {
    expect(source).toMatch(/import \{ gate, verdict \} from "\.\/gate\.mjs";/);
    expect(source).toMatch(/process\.exit\(result\.exitCode\)/);
  });

  it("runs no package manager (a missing tool is a skipped row)", () => {
    expect(source).not.toMatch(/apt-get"|"apt"|spawnSync\("(apt|apt-get|dnf|yum|apk|brew)"/);
  });
});
