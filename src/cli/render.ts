import { Chalk, type ChalkInstance } from "chalk";
import type { CleanupResult } from "../core/cleanup.js";
import type { CreateResult } from "../core/create.js";
import { shQuote } from "../core/envfile.js";
import type { MergeResult } from "../core/merge.js";
import type { StatusResult, StatusRow } from "../core/status.js";
import { type Column, type GiveStep, layoutTable, truncate } from "./table.js";

/**
 * Human renderers of core results. Colour follows NO_COLOR / FORCE_COLOR and is off when
 * stdout is not a terminal.
 */
export function makeChalk(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return new Chalk({ level: 0 });
  // FORCE_COLOR=0 (or false) turns colour off even on a terminal, as chalk and Node read it.
  if (env.FORCE_COLOR === "0" || env.FORCE_COLOR === "false") return new Chalk({ level: 0 });
  if (env.FORCE_COLOR !== undefined) return new Chalk({ level: 1 });
  return new Chalk({ level: isTTY ? 1 : 0 });
}

function formatPorts(ports: Record<string, number>, listening?: Record<string, boolean>, c?: ChalkInstance): string {
  const entries = Object.entries(ports);
  if (entries.length === 0) return "-";
  return entries
    .map(([k, v]) => {
      const text = `${k}=${v}`;
      if (!listening || !c) return text;
      return listening[k] ? `${c.green(text)} (listening)` : text;
    })
    .join(" ");
}

export function renderCreate(r: CreateResult, c: ChalkInstance): string {
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(c.bold(`Plan for worktree ${r.id} (dry run, nothing changed):`));
    for (const step of r.plan ?? []) lines.push(`  - ${step}`);
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    r.created ? c.green(`Created worktree ${r.id}`) : c.cyan(`Worktree ${r.id} already exists; checked and up to date`),
  );
  lines.push(`  path      ${r.path}`);
  lines.push(`  branch    ${r.branch} (base ${r.base}, head ${r.head.slice(0, 8)})`);
  if (r.branchExisted && r.created) lines.push(`  note      ${existingBranchNote(r)}`);
  lines.push(`  ports     ${formatPorts(r.ports)} (slot ${r.slot})`);
  lines.push(`  env file  ${r.envFile}`);
  if (r.included.length > 0) lines.push(`  included  ${r.included.map((i) => `${i.path} (${i.mode})`).join(", ")}`);
  for (const db of r.databases) lines.push(`  database  ${db.path} (${db.engine}, ${db.source}) as ${db.env}`);
  lines.push("");
  lines.push(`  cd ${shellPath(r.path)}`);
  return `${lines.join("\n")}\n`;
}

/** The branch was there before: checked out as it is, and how far it is from the base. */
function existingBranchNote(r: CreateResult): string {
  const counts =
    r.ahead === undefined || r.behind === undefined
      ? ""
      : `: ${r.ahead} commit(s) ahead of ${r.base}, ${r.behind} behind`;
  return `the branch ${r.branch} already existed and was checked out as it is${counts}`;
}

function shellPath(p: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

function stateText(row: StatusRow, c: ChalkInstance): string {
  switch (row.state) {
    case "ok":
      // Commits of its own, all on the base (merged, squashed or picked): `wt cleanup --merged` takes it.
      return row.integrated && (row.ahead ?? 0) > 0 ? c.cyan("merged") : c.green("ok");
    case "unmanaged":
      return c.dim("unmanaged");
    case "locked":
    case "incomplete":
      return c.yellow(row.state);
    default:
      return c.red(row.state);
  }
}

/** How `wt status` is laid out: the terminal's width (null when piped: full rows), and where the shell stands. */
export interface StatusLayout {
  /** Columns available, or null for no limit (piped, or `--wide`). */
  width: number | null;
  /** Path of the worktree the shell stands in (marked `*`), or null. */
  current: string | null;
}

/**
 * The order in which `wt status` gives way to a narrow terminal (README, "Status"): PATH is
 * shortened from the left (its last folders are the worktree's name), then AHEAD/BEHIND and
 * PORTS are dropped, BRANCH is shortened, then CHANGES and PATH are dropped.
 */
export const STATUS_GIVE_WAY: GiveStep[] = [
  { truncate: "PATH", to: 24 },
  { drop: "AHEAD/BEHIND" },
  { drop: "PORTS" },
  { truncate: "BRANCH", to: 16 },
  { drop: "CHANGES" },
  { drop: "PATH" },
  { truncate: "BRANCH", to: 8 },
];

/**
 * The `wt status` table: a `*` marks the worktree the shell stands in; rows fit
 * `layout.width` (giving way in `STATUS_GIVE_WAY` order, with a note saying what was hidden);
 * no line ends in a space; notes (reasons, databases) follow the table.
 */
export function renderStatus(
  r: StatusResult,
  c: ChalkInstance,
  layout: StatusLayout = { width: null, current: null },
): string {
  const rows = r.worktrees;
  const marked = rows.some((row) => row.path === layout.current);
  const columns: Column[] = [
    ...(marked ? [{ title: "", cells: rows.map((row) => (row.path === layout.current ? "*" : "")) }] : []),
    { title: "ID", cells: rows.map((row) => row.id ?? (row.path === r.main ? "(main)" : "-")) },
    {
      title: "BRANCH",
      keep: "start",
      cells: rows.map((row) => row.branch ?? (row.head ? `(detached ${row.head.slice(0, 8)})` : "-")),
    },
    { title: "STATE", cells: rows.map((row) => stateText(row, c)) },
    {
      title: "CHANGES",
      cells: rows.map((row) =>
        row.changes === null ? c.yellow("?") : row.dirty ? c.yellow(String(row.changes)) : "0",
      ),
    },
    {
      title: "AHEAD/BEHIND",
      cells: rows.map((row) => (row.ahead === null || row.behind === null ? "-" : `+${row.ahead}/-${row.behind}`)),
    },
    { title: "PORTS", cells: rows.map((row) => formatPorts(row.ports, row.listening, c)) },
    { title: "PATH", keep: "end", cells: rows.map((row) => row.path) },
  ];
  const bold = (t: string) => (c.level > 0 && t !== "" ? c.bold(t) : t);
  const table = layoutTable(columns, layout.width, STATUS_GIVE_WAY);
  const lines = table.lines.map((l, i) => (i === 0 ? l.replace(/[A-Z/]+/g, bold) : l));
  const notes = statusNotes(r);
  if (table.dropped.length > 0 || table.truncated.length > 0) {
    const hidden = [
      ...(table.dropped.length > 0 ? [`hidden ${table.dropped.join(", ")}`] : []),
      ...(table.truncated.length > 0 ? [`shortened ${table.truncated.join(", ")}`] : []),
    ];
    notes.unshift(
      `(to fit ${layout.width} columns: ${hidden.join("; ")})`,
      "(wt status --wide shows every column in full)",
    );
  }
  // A note is data too, but a line over the terminal's width wraps: shortened like the cells.
  if (layout.width !== null) {
    const w = layout.width;
    notes.splice(0, notes.length, ...notes.map((n) => truncate(n, w, "start")));
  }
  return `${lines.join("\n")}\n${notes.length > 0 ? `\n${notes.join("\n")}\n` : ""}`;
}

function statusNotes(r: StatusResult): string[] {
  const notes: string[] = [];
  for (const row of r.worktrees) {
    if (row.reason) notes.push(`${row.id ?? row.name}: ${row.state}: ${row.reason}`);
    for (const db of row.databases) {
      notes.push(
        `${row.id}: ${db.env}=${db.path} (${db.engine}, ${db.size === null ? "missing" : formatBytes(db.size)})`,
      );
    }
  }
  if (r.pool && r.pool.slots.length > 0) {
    // Idle pool slots, apart from the worktrees.
    const other = r.pool.slots.length - r.pool.idle;
    notes.push(
      `pool: ${r.pool.idle} idle slot${r.pool.idle === 1 ? "" : "s"}${other > 0 ? ` (${other} stale or damaged: wt pool status)` : ""}`,
    );
  }
  return notes;
}

/** `wt status -q`: the ids of the managed worktrees, one a line. */
export function renderStatusIds(r: StatusResult): string {
  return r.worktrees.flatMap((row) => (row.id ? [`${row.id}\n`] : [])).join("");
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function renderCleanup(r: CleanupResult, c: ChalkInstance): string {
  const lines: string[] = [];
  for (const w of r.removed) {
    if (r.dryRun) {
      lines.push(c.bold(`Plan for worktree ${w.id} (dry run, nothing changed):`));
      for (const step of w.plan ?? []) lines.push(`  - ${step}`);
      continue;
    }
    const branch = w.branchDeleted ? `branch ${w.branch} deleted` : `branch ${w.branch} kept: ${w.branchKept}`;
    lines.push(`${c.green("Removed")} ${w.id} (${w.path}); ${branch}`);
    if (!w.branchDeleted && w.branchKept?.startsWith("not merged")) {
      lines.push(`  merge it, or delete it with: git branch -D -- ${shQuote(w.branch)}`);
    }
    if (w.editedCopies?.length) lines.push(`  deleted copies edited since wt made them: ${w.editedCopies.join(", ")}`);
    if (w.ignoredRemoved.length > 0) {
      lines.push(
        `  deleted ignored files wt did not make: ${w.ignoredRemoved.map((i) => (i.path.endsWith("/") ? `${i.path} (${i.files} files)` : i.path)).join(", ")}`,
      );
    }
  }
  for (const s of r.skipped) lines.push(`${c.yellow("Skipped")} ${s.id}: ${s.reason}`);
  if (lines.length === 0) lines.push("Nothing to clean up.");
  return `${lines.join("\n")}\n`;
}

/** `wt merge`: what merged (or would), what was skipped and why, and a conflict with the commands that resolve it. */
export function renderMerge(r: MergeResult, c: ChalkInstance): string {
  const lines: string[] = [];
  const kind = r.strategy === "squash" ? "squash commit" : r.strategy === "ff-only" ? "fast-forward" : "merge commit";
  if (r.dryRun) lines.push(c.bold(`Plan for merging into ${r.target} (dry run, nothing moved):`));
  for (const m of r.merged) {
    lines.push(
      `${r.dryRun ? "  would merge" : c.green("Merged")} ${m.id} (${m.branch}) into ${r.target}: ${kind} ${m.commit.slice(0, 8)}`,
    );
  }
  for (const s of r.skipped) {
    lines.push(
      s.reason === "already-merged"
        ? `${c.dim("Skipped")} ${s.id}: already merged into ${r.target} (${s.how})`
        : `${c.yellow("Skipped")} ${s.id}: conflicts with ${r.target} in ${(s.files ?? []).join(", ")}`,
    );
  }
  if (r.dryRun) for (const step of r.steps) lines.push(`  - ${step}`);
  if (r.conflict) {
    const k = r.conflict;
    lines.push(c.red(`Conflict: ${k.id} (${k.branch}) does not merge cleanly into ${r.target}; conflicting files:`));
    for (const f of k.files) lines.push(`  ${f}`);
    if (r.pending.length > 0) lines.push(`Not attempted: ${r.pending.join(" ")}`);
    lines.push("No worktree was touched. Resolve it in the worktree, commit, then merge the rest:");
    for (const n of k.next) lines.push(`  ${n}`);
  }
  if (!r.dryRun && r.from !== r.to) {
    const wt = r.targetWorktree
      ? `; worktree ${r.targetWorktree} updated`
      : " (checked out nowhere: only the branch moved)";
    lines.push(`${r.target} is now ${r.to.slice(0, 8)} (was ${r.from.slice(0, 8)})${wt}`);
  }
  if (r.cleaned.length > 0) lines.push(`Cleaned up: ${r.cleaned.join(" ")}`);
  if (lines.length === 0) lines.push("Nothing to merge.");
  return `${lines.join("\n")}\n`;
}
