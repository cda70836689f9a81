import type { DoctorResult } from "../core/doctor.js";
import type { PsResult } from "../core/ps.js";

/**
 * Plain-text renderers of `wt ps` and `wt doctor` (their own module beside render.ts so the
 * table renderer and chalk load only for the verbs that use them).
 */

/** `wt ps`: one block per worktree, one line per process: pid, why, command. */
export function renderPs(r: PsResult): string {
  if (r.worktrees.length === 0) return "no managed worktrees\n";
  const lines: string[] = [];
  for (const w of r.worktrees) {
    lines.push(`${w.id}  ${w.path}`);
    if (w.processes.length === 0) lines.push("  no processes");
    for (const p of w.processes) {
      const note = p.reapable ? "" : ` [${p.reason}: never stopped by wt]`;
      lines.push(`  ${String(p.pid).padStart(7)}  ${p.why.join(",")}  ${p.command}${note}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `wt doctor`: one line per finding, its fix or hint under it, and the summary. `quiet` (-q):
 * the errors and warnings alone, with no summary (nothing at all when all is well).
 */
export function renderDoctor(r: DoctorResult, quiet = false): string {
  const lines: string[] = [];
  for (const c of r.checks) {
    if (quiet && c.severity === "info") continue;
    const where = [c.id === null ? null : `id ${c.id}`, c.path].filter((s) => s !== null).join(" ");
    lines.push(`${c.severity.padEnd(7)} ${c.check}${where ? ` (${where})` : ""}: ${c.message}`);
    if (c.fix) {
      const state = c.fix.applied ? "fixed" : c.fix.error ? `fix failed: ${c.fix.error}` : "--fix would run";
      for (const cmd of c.fix.commands) lines.push(`          ${state}: ${cmd}`);
    } else if (c.hint) lines.push(`          hint: ${c.hint}`);
  }
  const s = r.summary;
  if (quiet) return lines.map((l) => `${l}\n`).join("");
  if (r.checks.length === 0) lines.push("no problems found");
  lines.push(
    `${s.errors} error(s), ${s.warnings} warning(s), ${s.fixed} fixed${r.dryRun ? " (dry run: nothing changed)" : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
