import { dropEarlyGit } from "../../git/run.js";
import { InterruptedError, WtError } from "../errors.js";
import type { Step } from "./step.js";

/**
 * The one executor: every verb's steps (./step.ts) run here, in order, each named through
 * `onStep` first (`--verbose`), and on failure or interruption the completed ones are undone
 * in reverse.
 */
export interface ExecuteOptions {
  /**
   * Aborted by Ctrl-C/SIGTERM, or by a lost repository lock (its reason then is the error to
   * throw): the current step's children are stopped, then rollback.
   */
  signal?: AbortSignal;
  /** Told each step's title and kind before it runs (progress on stderr). */
  onStep?: (title: string, kind: string) => void;
  /** Told about undo steps that failed: rollback goes on, and the user should know. */
  onWarning?: (message: string) => void;
}

/**
 * Runs `steps` in order. On any error, or when `signal` aborts between or during steps,
 * undoes every completed step (newest first) and rethrows; an abort is rethrown as
 * `InterruptedError` (exit 130), or as its reason when that is a `WtError` (a lost lock: exit 4).
 * @returns once every step ran: a function that undoes them all (newest first), for a
 *   caller whose later work, outside the plan, is interrupted (create's postCreate hooks)
 */
export async function executeSteps(steps: readonly Step[], options: ExecuteOptions = {}): Promise<() => Promise<void>> {
  const done: Step[] = [];
  const undoDone = async () => {
    for (const step of [...done].reverse()) {
      if (!step.undo) continue;
      try {
        await step.undo();
      } catch (undoError) {
        options.onWarning?.(`could not undo "${step.title}": ${(undoError as Error).message}`);
      }
    }
  };
  // Reads started before the verb's code loaded are for its planning, not for after a change.
  dropEarlyGit();
  try {
    for (const step of steps) {
      if (options.signal?.aborted) throw abortError(options.signal);
      options.onStep?.(step.title, step.kind);
      // Pushed before it runs: a step that fails or is interrupted half-way (git killed
      // mid-checkout) is undone too, so every undo must tolerate a partial run.
      done.push(step);
      await step.run();
    }
    if (options.signal?.aborted) throw abortError(options.signal);
  } catch (error) {
    await undoDone();
    if (options.signal?.aborted) throw abortError(options.signal);
    throw error;
  }
  return undoDone;
}

/** A `WtError` reason (the lock was lost: exit 4) is thrown as it is; a signal name is exit 130. */
function abortError(signal: AbortSignal): WtError {
  return signal.reason instanceof WtError ? signal.reason : new InterruptedError(signalName(signal));
}

function signalName(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  return typeof reason === "string" && reason.startsWith("SIG") ? reason : "SIGINT";
}
