import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DELAY_MS, formatBytes, formatCounts, progressReporter } from "../../src/cli/progress.js";

// The CLI's progress display (issue 13, item 4), with a fake clock.
describe("progressReporter", () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => vi.useRealTimers());

  function live(verbose = false) {
    const out: string[] = [];
    return { out, p: progressReporter((t) => out.push(t), { verbose, live: true }, now) };
  }

  it("a short step prints nothing; a long one is named after the delay, updated in place, then timed with its counts", () => {
    const { out, p } = live();
    p.step("add worktree", "add-worktree");
    clock = 100;
    p.step("copy node_modules/", "copy");
    expect(out).toEqual([]);
    vi.advanceTimersByTime(DELAY_MS);
    p.update({ files: 12345, bytes: 3 * 1024 * 1024 });
    clock = 2600;
    p.end(true);
    expect(out.join("")).toBe(
      "  · copy node_modules/…\r\u001b[K  · copy node_modules/… 12,345 files, 3.0 MB\r\u001b[K  ✓ copy node_modules/ (2.5 s, 12,345 files, 3.0 MB)\n",
    );
  });

  it("a hook is named at once on its own line; a failure is ✗", () => {
    const { out, p } = live();
    p.step("run postCreate hook: npm ci", "hook");
    expect(out).toEqual(["  · run postCreate hook: npm ci\n"]);
    clock = 40;
    p.end(false);
    expect(out[1]).toBe("  ✗ run postCreate hook: npm ci (40 ms)\n");
  });

  it("a warning erases the live line and it is drawn again after", () => {
    const { out, p } = live(true);
    p.step("copy data/", "copy");
    p.around(() => out.push("warning: x\n"));
    expect(out.join("")).toBe("  · copy data/…\r\u001b[Kwarning: x\n  · copy data/…");
  });

  it("the live line fits the terminal's width: a long title gives way from the left", () => {
    const out: string[] = [];
    const p = progressReporter((t) => out.push(t), { verbose: true, live: true, columns: () => 40 }, now);
    p.step(`add worktree /a/very/long/path/to/the/worktrees/folder/issue-101`, "add-worktree");
    p.update({ files: 5, bytes: 10 });
    const last = (out.at(-1) as string).replace("\r\u001b[K", "");
    expect(last.length).toBeLessThanOrEqual(39);
    expect(last).toMatch(/^ {2}· ….*issue-101… 5 files, 10 B$/);
  });

  it("off a terminal (--verbose): a line per start and end, never an in-place update", () => {
    const out: string[] = [];
    const p = progressReporter((t) => out.push(t), { verbose: true, live: false }, now);
    p.step("fetch origin", "fetch");
    p.update({ files: 3, bytes: 10 });
    clock = 5;
    p.update({ done: true });
    expect(out).toEqual(["  · fetch origin\n", "  ✓ fetch origin (5 ms, 3 files, 10 B)\n"]);
  });

  it("formats counts and sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 kB");
    expect(formatCounts({ bytes: 18 * 1024 * 1024 })).toBe("18.0 MB");
    expect(formatCounts({ files: 1, bytes: 0 })).toBe("1 file, 0 B");
    expect(formatCounts(null)).toBe("");
  });
});
