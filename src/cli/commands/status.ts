import { getStatus } from "../../core/status.js";
import type { Io } from "../io.js";

/** `wt status [<id>...]`: a table, or the JSON document (which needs no table renderer). */
export async function statusCommand(io: Io, ids: string[]): Promise<void> {
  const result = await getStatus(io.ctx, ids);
  if (io.globals.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const [{ makeChalk }, { renderStatus }] = await Promise.all([import("../render.js"), import("../render-status.js")]);
  io.out(renderStatus(result, makeChalk()));
}
