import { type AdoptResult, adoptWorktree } from "../../core/adopt.js";
import type { Io } from "../io.js";
import { makeChalk } from "../render.js";

/** The options of `wt adopt`, as commander parses them (`hooks` is false only for an explicit --no-hooks). */
export interface AdoptCommandOptions {
  id?: string;
  hooks: boolean;
  dryRun?: boolean;
}

/** `wt adopt <path>`: JSON document, the path alone (--quiet), or a summary. */
export async function adoptCommand(io: Io, folder: string, opts: AdoptCommandOptions): Promise<void> {
  const result = await adoptWorktree(io.ctx, {
    path: folder,
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    hooks: opts.hooks !== false,
    dryRun: opts.dryRun === true,
  });
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (io.globals.quiet) io.out(`${result.path}\n`);
  else io.out(renderAdopt(result));
}

function renderAdopt(r: AdoptResult): string {
  const c = makeChalk();
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(c.bold(`Plan for adopting ${r.path} as worktree ${r.id} (dry run, nothing changed):`));
    for (const step of r.plan ?? []) lines.push(`  - ${step}`);
    return `${lines.join("\n")}\n`;
  }
  lines.push(c.green(`Adopted ${r.path} as worktree ${r.id}`));
  lines.push(
    `  branch    ${r.branch ?? "(detached HEAD)"} (base ${r.base}, head ${r.head.slice(0, 8)}); wt never deletes it`,
  );
  lines.push(
    `  ports     ${
      Object.entries(r.ports)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") || "-"
    } (slot ${r.slot})`,
  );
  lines.push(`  env file  ${r.envFile}`);
  if (r.included.length > 0) lines.push(`  included  ${r.included.map((i) => `${i.path} (${i.mode})`).join(", ")}`);
  if (r.kept.length > 0) lines.push(`  kept      ${r.kept.join(", ")} (already in the folder, left as they are)`);
  for (const db of r.databases) lines.push(`  database  ${db.path} (${db.engine}, ${db.source}) as ${db.env}`);
  return `${lines.join("\n")}\n`;
}
