import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { writeAtomic } from "../../core/atomic.js";
import { CONFIG_FILE } from "../../core/config.js";
import { ConflictError } from "../../core/errors.js";
import { mainWorktreePath } from "../../core/resolve.js";
import { ignoredPaths } from "../../git/ignored.js";
import { planInit } from "../init-plan.js";
import type { Io } from "../io.js";

/** The options of `wt init`. */
export interface InitCommandOptions {
  dryRun?: boolean;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * `wt init [--dry-run]`: writes a commented wt.config.json and a .worktreeinclude into the main
 * worktree from its ignored files and package.json (init-plan.ts). Never overwrites.
 * @throws ConflictError (3) when either file exists; UsageError outside a repository.
 */
export async function initCommand(io: Io, opts: InitCommandOptions): Promise<void> {
  const main = await mainWorktreePath(io.ctx);
  const plan = planInit(
    await ignoredPaths({ cwd: main, env: io.ctx.env }),
    readOrNull(path.join(main, "package.json")),
  );
  const files = [
    [path.join(main, CONFIG_FILE), plan.config],
    [path.join(main, ".worktreeinclude"), plan.include],
  ] as const;
  if (opts.dryRun) {
    if (io.globals.json)
      io.out(`${JSON.stringify({ dryRun: true, files: Object.fromEntries(files), found: plan.found }, null, 2)}\n`);
    else for (const [file, text] of files) io.out(`# ${file} (dry run, not written)\n${text}\n`);
    return;
  }
  const taken = files.filter(([file]) => existsSync(file)).map(([file]) => file);
  if (taken.length > 0) {
    throw new ConflictError(
      `wt init writes only new files, and ${taken.join(" and ")} already exist${taken.length === 1 ? "s" : ""}`,
      "see what it would write with: wt init --dry-run",
    );
  }
  for (const [file, text] of files) await writeAtomic(file, text);
  if (io.globals.json)
    io.out(`${JSON.stringify({ dryRun: false, files: files.map(([f]) => f), found: plan.found }, null, 2)}\n`);
  else if (!io.globals.quiet) {
    io.out(`Wrote ${files.map(([f]) => f).join(" and ")}\n${plan.found.map((f) => `  found ${f}\n`).join("")}`);
  }
}
