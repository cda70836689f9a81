import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StepProgress } from "../../src/core/context.js";
import { countTree, countWhileCopying, FIRST_COUNT_MS } from "../../src/core/copy-progress.js";

// The counts behind the copy progress line (issue 13, item 4), on a real folder filling up.
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("copy counts", () => {
  it("counts files and bytes under a folder, links as files, never following them", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "wt-count-"));
    mkdirSync(path.join(dir, "a/b"), { recursive: true });
    writeFileSync(path.join(dir, "a/one"), "12345");
    writeFileSync(path.join(dir, "a/b/two"), "123");
    symlinkSync("/", path.join(dir, "a/root-link"));
    const total = await countTree(path.join(dir, "a"));
    expect(total.files).toBe(3);
    expect(total.bytes).toBe(8 + "/".length);
    expect(await countTree(path.join(dir, "nothing-here"))).toEqual({ files: 0, bytes: 0 });
  });

  it("a long copy is reported while it fills and once more at its end; a short one never", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "wt-count-"));
    const target = path.join(dir, "t");
    mkdirSync(target);
    const seen: StepProgress[] = [];
    const counter = countWhileCopying(target, (p) => seen.push(p));
    for (let i = 0; i < 10; i++) {
      writeFileSync(path.join(target, `f${i}`), "x".repeat(100));
      await sleep(FIRST_COUNT_MS / 4);
    }
    await counter.stop(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toEqual({ files: 10, bytes: 1000 });
    // Counts only grow while a copy fills the folder.
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.files).toBeGreaterThanOrEqual(seen[i - 1]?.files ?? 0);
    const after = seen.length;
    await sleep(FIRST_COUNT_MS);
    expect(seen.length).toBe(after);

    // Without a final count (a checkout), the last number is cleared rather than left stale.
    const cleared: StepProgress[] = [];
    const checkout = countWhileCopying(target, (p) => cleared.push(p));
    await sleep(FIRST_COUNT_MS * 2);
    await checkout.stop(false);
    expect(cleared.at(-1)).toEqual({});
    expect(cleared.length).toBeGreaterThanOrEqual(2);

    const quick: StepProgress[] = [];
    const short = countWhileCopying(target, (p) => quick.push(p));
    await short.stop(true);
    expect(quick).toEqual([]);
  });
});
