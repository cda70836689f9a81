import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import type { StepProgress } from "./context.js";

/**
 * Counts of a copy while it runs, for the CLI's progress line (issue 13, item 4: "files and
 * bytes done"). The copy itself is `cp -a` in a child process (copy.ts), which reports nothing,
 * so the target is counted as it fills: first after `FIRST_COUNT_MS` (a short copy is never
 * counted), then again after a pause at least as long as the last count took, so that counting
 * never takes more than about half of the time of a long copy.
 */

/** A copy shorter than this is never counted. */
export const FIRST_COUNT_MS = 450;
/** The shortest pause between two counts: a few updates a second are enough for a person. */
const MIN_PAUSE_MS = 250;

/** Files (anything not a folder: links included) and bytes under `target` (a file or a folder); never follows a link. */
export async function countTree(target: string): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  const visit = async (at: string): Promise<void> => {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(at);
    } catch {
      return; // Not there yet, or gone: a copy in flight.
    }
    if (!st.isDirectory()) {
      total.files++;
      total.bytes += st.size;
      return;
    }
    let names: string[];
    try {
      names = await readdir(at);
    } catch {
      return;
    }
    // In batches: all of a 30,000-entry folder at once would open too many requests together.
    for (let i = 0; i < names.length; i += 64) {
      await Promise.all(names.slice(i, i + 64).map((n) => visit(path.join(at, n))));
    }
  };
  await visit(target);
  return total;
}

/** A running count; `stop` ends it once the copy is over. */
export interface CopyCounter {
  /**
   * Stops counting (a count in flight is dropped, not waited for). `final`: when the copy lasted
   * long enough to be counted, counts once more and reports the total; otherwise a count was
   * reported clears it (an empty report), so that no stale number stays on the finished line.
   */
  stop: (final: boolean) => Promise<void>;
}

/**
 * Reports the files and bytes under `target` to `report` while a copy fills it. Without
 * `report` (no progress display: piped, `--json`, `-q`, a library caller) nothing is counted.
 */
export function countWhileCopying(target: string, report: ((p: StepProgress) => void) | undefined): CopyCounter {
  if (!report) return { stop: async () => {} };
  let stopped = false;
  let counted = false;
  let timer: NodeJS.Timeout | null = null;
  const countOnce = async () => {
    const started = Date.now();
    const total = await countTree(target);
    if (stopped) return;
    counted = true;
    report(total);
    timer = setTimeout(tick, Math.max(MIN_PAUSE_MS, Date.now() - started));
    timer.unref();
  };
  const tick = () => {
    void countOnce();
  };
  timer = setTimeout(tick, FIRST_COUNT_MS);
  timer.unref();
  return {
    stop: async (final) => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (!counted) return;
      report(final ? await countTree(target) : {});
    },
  };
}
