import type { ChalkInstance } from "chalk";
import Table from "cli-table3";
import type { StatusResult } from "../core/status.js";
import { formatBytes, formatPorts, stateText } from "./render.js";

/**
 * The `wt status` table (its own module: cli-table3 is loaded only by the command that draws
 * a table, not by `wt create` or `wt cleanup`).
 */
export function renderStatus(r: StatusResult, c: ChalkInstance): string {
  const table = new Table({
    head: ["ID", "BRANCH", "STATE", "CHANGES", "AHEAD/BEHIND", "PORTS", "PATH"],
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: c.level > 0 ? ["bold"] : [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const row of r.worktrees) {
    const isMain = row.path === r.main;
    table.push([
      row.id ?? (isMain ? "(main)" : "-"),
      row.branch ?? (row.head ? `(detached ${row.head.slice(0, 8)})` : "-"),
      stateText(row, c),
      row.changes === null ? c.yellow("?") : row.dirty ? c.yellow(String(row.changes)) : "0",
      row.ahead === null || row.behind === null ? "-" : `+${row.ahead}/-${row.behind}`,
      formatPorts(row.ports, row.listening, c),
      row.path,
    ]);
  }
  const notes: string[] = [];
  for (const row of r.worktrees) {
    if (row.reason) notes.push(`${row.id ?? row.name}: ${row.state}: ${row.reason}`);
    for (const db of row.databases) {
      notes.push(
        `${row.id}: ${db.env}=${db.path} (${db.engine}, ${db.size === null ? "missing" : formatBytes(db.size)})`,
      );
    }
  }
  return `${table.toString()}\n${notes.length > 0 ? `\n${notes.join("\n")}\n` : ""}${poolLines(r)}`;
}

/** Idle pool slots, apart from the worktrees: one line. */
function poolLines(r: StatusResult): string {
  if (!r.pool || r.pool.slots.length === 0) return "";
  const idle = r.pool.idle;
  const other = r.pool.slots.length - idle;
  return `\npool: ${idle} idle slot${idle === 1 ? "" : "s"}${other > 0 ? ` (${other} stale or damaged: wt pool status)` : ""}\n`;
}
