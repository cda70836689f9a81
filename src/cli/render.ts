import { Chalk, type ChalkInstance } from "chalk";
import type { CleanupResult } from "../core/cleanup.js";
import type { CreateResult } from "../core/create.js";
import { shQuote } from "../core/envfile.js";
import type { StatusRow } from "../core/status.js";

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

export function formatPorts(
  ports: Record<string, number>,
  listening?: Record<string, boolean>,
  c?: ChalkInstance,
): string {
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
  lines.push(`  ports     ${formatPorts(r.ports)} (slot ${r.slot})`);
  lines.push(`  env file  ${r.envFile}`);
  if (r.included.length > 0) lines.push(`  included  ${r.included.map((i) => `${i.path} (${i.mode})`).join(", ")}`);
  for (const db of r.databases) lines.push(`  database  ${db.path} (${db.engine}, ${db.source}) as ${db.env}`);
  lines.push("");
  lines.push(`  cd ${shellPath(r.path)}`);
  return `${lines.join("\n")}\n`;
}

function shellPath(p: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

export function stateText(row: StatusRow, c: ChalkInstance): string {
  switch (row.state) {
    case "ok":
      return c.green("ok");
    case "unmanaged":
      return c.dim("unmanaged");
    case "locked":
    case "incomplete":
      return c.yellow(row.state);
    default:
      return c.red(row.state);
  }
}

export function formatBytes(n: number): string {
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
