import { getStatus } from "../../core/status.js";
import type { Io } from "../index.js";
import { makeChalk, renderStatus } from "../render.js";

/** `wt status [<id>...]`: a table, or the JSON document. */
export async function statusCommand(io: Io, ids: string[]): Promise<void> {
  const result = await getStatus(io.ctx, ids);
  io.out(io.globals.json ? `${JSON.stringify(result, null, 2)}\n` : renderStatus(result, makeChalk()));
}
