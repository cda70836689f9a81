import { runDoctor } from "../../core/doctor.js";
import type { Io } from "../io.js";
import { renderDoctor } from "../render-checks.js";

/** The options of `wt doctor`, as commander parses them. */
export interface DoctorCommandOptions {
  fix?: boolean;
  dryRun?: boolean;
}

/**
 * `wt doctor [<id>...] [--fix] [--dry-run]`: the findings, then exit 0 when no error is left
 * and 3 otherwise (docs/contract.md), after the report is printed.
 */
export async function doctorCommand(io: Io, ids: string[], opts: DoctorCommandOptions): Promise<void> {
  const result = await runDoctor(io.ctx, { ids, fix: opts.fix === true, dryRun: opts.dryRun === true });
  if (io.globals.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(renderDoctor(result, io.globals.quiet === true));
  if (result.summary.errors > 0) process.exitCode = 3;
}
