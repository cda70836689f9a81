/**
 * The CLI's progress reporter, fed by core's `onProgress` step names (`executePlan` names each
 * step as it starts). On a terminal a step still running after `DELAY_MS` gets a line naming
 * it, and a line with its elapsed time when it ends: short steps stay silent. `--verbose` names
 * every step at once, terminal or not. Nothing at all with `--json` or `-q`: the caller passes
 * no reporter then.
 */

/** Steps shorter than this print nothing on a terminal (issue 13: "longer than about half a second"). */
export const DELAY_MS = 500;

export interface ProgressReporter {
  /** A step starts (the previous one, if any, has ended). */
  step: (title: string) => void;
  /** The command ended: closes the last step. */
  end: () => void;
}

/** `1.2 s`, `340 ms`. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A reporter writing to `write` (stderr). `verbose`: every step at its start; otherwise only
 * steps that outlast `DELAY_MS`. `now` is injectable for tests.
 */
export function progressReporter(
  write: (text: string) => void,
  verbose: boolean,
  now = () => Date.now(),
): ProgressReporter {
  let current: { title: string; start: number; shown: boolean; timer: NodeJS.Timeout | null } | null = null;
  const close = () => {
    if (!current) return;
    if (current.timer) clearTimeout(current.timer);
    if (current.shown) write(`  ✓ ${current.title} (${formatElapsed(now() - current.start)})\n`);
    current = null;
  };
  return {
    step(title) {
      close();
      const entry = { title, start: now(), shown: verbose, timer: null as NodeJS.Timeout | null };
      if (verbose) write(`  · ${title}\n`);
      else {
        entry.timer = setTimeout(() => {
          entry.shown = true;
          write(`  · ${title}…\n`);
        }, DELAY_MS);
        // A pending line never keeps wt alive.
        entry.timer.unref();
      }
      current = entry;
    },
    end: close,
  };
}
