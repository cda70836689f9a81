import { copyFile } from "node:fs/promises";
import { copyInChildProcess } from "../copy.js";
import { BusyError, DatabaseOpenError } from "../errors.js";
import { loadDuckdb } from "./engines.js";

/**
 * DuckDB: writes at `temp` a copy of `source` (a template's real file, see `templateSource`),
 * or, without one, a database DuckDB itself creates (a 0-byte file is not a valid one).
 *
 * The template is opened read-write, which DuckDB allows to one process only, so a live
 * writer makes it fail (exit 4 naming the process DuckDB reports). `CHECKPOINT` folds rows a
 * crashed writer left in `.wal` into the file; the file is then copied while the lock is still
 * held. A file copy (85 ms for 94 MB here) rather than `ATTACH ... (READ_ONLY)` +
 * `COPY FROM DATABASE` (2.8 s): under DuckDB's exclusive lock after a checkpoint the file is
 * complete and nobody can change it, so the engine-level copy would only be slower.
 * Off the event loop: @duckdb/node-api runs open, connect and queries on libuv's thread pool
 * (its bindings return promises), and the copy is a child `cp` or libuv's `copyFile`.
 * @throws BusyError (exit 4) when another process holds the template; DatabaseOpenError (exit 6,
 *   code `command-failed`) when DuckDB cannot open it; UsageError (exit 2) when @duckdb/node-api is not installed
 */
export async function writeDuckdb(source: string | null, temp: string): Promise<void> {
  const { DuckDBInstance } = await loadDuckdb();
  // Extensions are never downloaded or loaded behind the user's back.
  const options = { autoinstall_known_extensions: "false", autoload_known_extensions: "false" };
  const target = source ?? temp;
  let instance: Awaited<ReturnType<typeof DuckDBInstance.create>>;
  try {
    instance = await DuckDBInstance.create(target, options);
  } catch (e) {
    const message = (e as Error).message;
    if (/lock/i.test(message)) {
      const pid = /PID (\d+)/.exec(message)?.[1];
      throw new BusyError(
        `the template database ${target} is held by another process${pid ? ` (pid ${pid})` : ""}: DuckDB allows one writer, so no consistent copy can be taken`,
        "stop that process and run the command again",
      );
    }
    throw new DatabaseOpenError("duckdb", target, message, source !== null);
  }
  try {
    const connection = await instance.connect();
    try {
      await connection.run("CHECKPOINT");
      // cp in a child process: closing a descriptor of the file here would drop DuckDB's lock.
      if (source !== null && !(await copyInChildProcess(source, temp))) await copyFile(source, temp);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
