import type { EnvFormat } from "../../core/envfile.js";
import { worktreeEnvText } from "../../core/resolve.js";
import type { Io } from "../io.js";

/** The options of `wt env`: commander checks `--format` against the choices and defaults it to sh. */
export interface EnvCommandOptions {
  format: EnvFormat;
}

/** `wt env [<id>] [--format sh|dotenv|json|fish]`; --json is the same as --format json. */
export async function envCommand(io: Io, id: string | undefined, format: EnvFormat): Promise<void> {
  io.out(await worktreeEnvText(io.ctx, id, io.globals.json ? "json" : format));
}
