import type { Command } from "commander";
import type { GlobalOptions, Io } from "./io.js";

/** What every group of commands needs to run one: its Io, Ctrl-C handling, progress's end. */

/** The `Io` of a command run through commander (io.ts is loaded only then: `wt --version` never needs it). */
export async function makeIo(program: Command, signal?: AbortSignal): Promise<Io> {
  const { ioFor } = await import("./io.js");
  return ioFor(program.opts<GlobalOptions>(), signal);
}

/**
 * Ctrl-C and SIGTERM abort the running command, which rolls back and exits 130. A second
 * signal does not stop the rollback.
 */
export function interruptible(io: { err: (t: string) => void }): AbortController {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      process.stderr.write(`\n${sig}: stopping and rolling back what this run made…\n`);
      controller.abort(sig);
    } else {
      process.stderr.write("still rolling back; wt exits when it is done\n");
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  void io;
  return controller;
}

/** Runs one command through commander: its Io, the command, then the end of its progress. */
export async function withIo(program: Command, run: (io: Io) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const io = await makeIo(program, signal);
  try {
    await run(io);
  } catch (error) {
    io.finish(false);
    throw error;
  }
  io.finish(true);
}
