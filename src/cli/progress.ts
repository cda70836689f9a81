import type { StepProgress } from "../core/context.js";

/**
 * The CLI's progress display on stderr, fed by core's `onProgress` (each step's title and kind
 * as it starts: the executor's steps, create's fetch) and `onStepProgress` (a copy's files and
 * bytes so far, or the end of a step that is not the executor's).
 *
 * On a terminal (`live`): a step still running after `DELAY_MS` gets a line naming it, updated
 * in place with its counts, and replaced by `  ✓ <title> (<elapsed>[, counts])` when it ends;
 * short steps stay silent. A user command (a hook, `databases[].init`) is named as it starts,
 * on a line of its own, since its own output follows. Off a terminal (only with `--verbose`):
 * `  · <title>` as each step starts, and `  ✓ <title> (<elapsed>)` as it ends. Nothing at all
 * with `--json` (unless `--verbose`) or `-q`: the caller makes no reporter then (io.ts).
 */

/** Steps shorter than this print nothing on a terminal (issue 13: "longer than about half a second"). */
export const DELAY_MS = 500;

/** Kinds of step that run the user's commands: named when they start, whatever they last. */
const USER_COMMANDS = new Set(["hook", "init", "verify", "warm"]);

export interface ProgressReporter {
  /** A step starts (the previous one, if any, has ended). */
  step: (title: string, kind?: string) => void;
  /** The running step's counts so far, or its end (`done`). */
  update: (progress: StepProgress) => void;
  /** Writes `text` (a warning, a notice) without breaking the progress line: it is redrawn after. */
  around: (write: () => void) => void;
  /** The command ended (`ok` false: it failed): closes the last step. */
  end: (ok?: boolean) => void;
}

/** `1.2 s`, `340 ms`. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `512 B`, `3.4 MB`, `1.2 GB` (powers of 1024, as `du -h`). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `12,345 files, 340.2 MB`, `18.0 MB` (no file count given), or "" (nothing counted). */
export function formatCounts(p: StepProgress | null): string {
  if (!p) return "";
  const parts: string[] = [];
  if (p.files !== undefined) parts.push(`${p.files.toLocaleString("en-US")} ${p.files === 1 ? "file" : "files"}`);
  if (p.bytes !== undefined) parts.push(formatBytes(p.bytes));
  return parts.join(", ");
}

interface Current {
  title: string;
  kind: string;
  start: number;
  /** Named on stderr (a line, or the live line). */
  shown: boolean;
  counts: StepProgress | null;
  timer: NodeJS.Timeout | null;
}

/**
 * A reporter writing to `write` (stderr). `live`: stderr is a terminal (lines updated in
 * place, kept to `columns()` characters); `verbose`: every step named at its start. `now` is
 * injectable for tests.
 */
export function progressReporter(
  write: (text: string) => void,
  options: { verbose: boolean; live: boolean; columns?: () => number },
  now = () => Date.now(),
): ProgressReporter {
  let current: Current | null = null;
  /** The live line is on screen, without its newline. */
  let partial = false;
  const liveLine = (c: Current) => {
    const counts = formatCounts(c.counts);
    const tail = `…${counts ? ` ${counts}` : ""}`;
    // One screen line, or erasing it would leave the wrapped part behind: the title gives way.
    const room = (options.columns?.() ?? 80) - 1 - 4 - tail.length;
    const title = c.title.length <= room ? c.title : `…${c.title.slice(c.title.length - Math.max(room - 1, 8))}`;
    write(`${partial ? "\r\u001b[K" : ""}  · ${title}${tail}`);
    partial = true;
  };
  const erase = () => {
    if (partial) write("\r\u001b[K");
    partial = false;
  };
  const show = (c: Current) => {
    c.shown = true;
    if (!options.live) write(`  · ${c.title}\n`);
    else if (USER_COMMANDS.has(c.kind)) write(`  · ${c.title}\n`);
    else liveLine(c);
  };
  const close = (ok: boolean) => {
    const c = current;
    if (!c) return;
    current = null;
    if (c.timer) clearTimeout(c.timer);
    if (!c.shown) return;
    erase();
    const counts = formatCounts(c.counts);
    write(`  ${ok ? "✓" : "✗"} ${c.title} (${formatElapsed(now() - c.start)}${counts ? `, ${counts}` : ""})\n`);
  };
  return {
    step(title, kind = "") {
      close(true);
      const c: Current = { title, kind, start: now(), shown: false, counts: null, timer: null };
      current = c;
      if (options.verbose || (options.live && USER_COMMANDS.has(kind))) show(c);
      else {
        c.timer = setTimeout(() => show(c), DELAY_MS);
        // A pending line never keeps wt alive.
        c.timer.unref();
      }
    },
    update(p) {
      if (p.done) return close(true);
      if (!current) return;
      current.counts = p;
      if (options.live && current.shown && !USER_COMMANDS.has(current.kind)) liveLine(current);
    },
    around(w) {
      const wasPartial = partial;
      erase();
      w();
      if (wasPartial && current) liveLine(current);
    },
    end: (ok = true) => close(ok),
  };
}
