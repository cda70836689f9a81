import type { EnvFormat } from "../../core/envfile.js";
import { worktreeEnvText } from "../../core/resolve.js";
import type { Io } from "../index.js";

/** `wt env <id> [--format sh|dotenv|json|fish]`; --json is the same as --format json. */
export async function envCommand(io: Io, id: string, format: EnvFormat): Promise<void> {
  io.out(await worktreeEnvText(io.ctx, id, io.globals.json ? "json" : format));
}
