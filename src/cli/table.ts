import { stripVTControlCharacters } from "node:util";

/**
 * A plain-text table that fits a width: columns two spaces apart, no borders and no trailing
 * space. When the table is too wide, the columns give way in the order their `give` steps say
 * (truncate one, then drop another, ...); the caller states what was hidden from the result.
 */

/** One column: a title and one cell per row (cells may hold colour codes; truncated ones must not). */
export interface Column {
  title: string;
  cells: string[];
  /** How a truncated cell keeps its text: its end (a path's last folders) or its start. */
  keep?: "start" | "end";
}

/** One step of giving way: shrink a column to at most `to` characters, or drop it. */
export type GiveStep = { truncate: string; to: number } | { drop: string };

export interface TableLayout {
  lines: string[];
  /** Titles of the columns dropped. */
  dropped: string[];
  /** Titles of the columns whose cells were shortened. */
  truncated: string[];
}

const GAP = "  ";

/** Visible width of `text` (colour codes do not count). */
export function visibleWidth(text: string): number {
  return stripVTControlCharacters(text).length;
}

/** `text` shortened to `width` characters with an ellipsis, keeping its start or its end. */
export function truncate(text: string, width: number, keep: "start" | "end"): string {
  if (text.length <= width) return text;
  if (width <= 1) return "…".slice(0, width);
  return keep === "end" ? `…${text.slice(text.length - width + 1)}` : `${text.slice(0, width - 1)}…`;
}

function naturalWidth(c: Column): number {
  return Math.max(visibleWidth(c.title), ...c.cells.map(visibleWidth));
}

function totalWidth(cols: { width: number }[]): number {
  return cols.reduce((n, c) => n + c.width, 0) + GAP.length * Math.max(0, cols.length - 1);
}

/**
 * Lays `columns` out within `width` characters (null: no limit, every cell in full), applying
 * `give` in order until the table fits; a row still too wide is cut at `width` as a last resort.
 */
export function layoutTable(columns: Column[], width: number | null, give: GiveStep[]): TableLayout {
  let cols = columns.map((c) => ({ ...c, width: naturalWidth(c) }));
  const dropped: string[] = [];
  const truncated: string[] = [];
  for (const step of give) {
    if (width === null || totalWidth(cols) <= width) break;
    if ("drop" in step) {
      if (cols.some((c) => c.title === step.drop)) dropped.push(step.drop);
      cols = cols.filter((c) => c.title !== step.drop);
      continue;
    }
    const col = cols.find((c) => c.title === step.truncate);
    if (!col) continue;
    const to = Math.max(step.to, visibleWidth(col.title), col.width - (totalWidth(cols) - width));
    if (to < col.width) {
      col.width = to;
      col.cells = col.cells.map((cell) => truncate(cell, to, col.keep ?? "end"));
      truncated.push(col.title);
    }
  }
  const rowCount = columns[0]?.cells.length ?? 0;
  const render = (cellOf: (c: (typeof cols)[number]) => string) =>
    cols
      .map((c, i) => (i === cols.length - 1 ? cellOf(c) : pad(cellOf(c), c.width)))
      .join(GAP)
      .trimEnd();
  const lines = [render((c) => c.title)];
  for (let r = 0; r < rowCount; r++) lines.push(render((c) => c.cells[r] ?? ""));
  return { lines: width === null ? lines : lines.map((l) => cut(l, width)), dropped, truncated };
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleWidth(text)));
}

/** The last resort: a line cut at `width` visible characters (colour dropped from a cut line). */
function cut(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  return truncate(stripVTControlCharacters(line), width, "start").trimEnd();
}
