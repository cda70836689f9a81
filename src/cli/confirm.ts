import { createInterface } from "node:readline";

/**
 * Asks `question` on stderr and reads one line from stdin: yes for `y` or `yes` (any case),
 * no for anything else, an empty line or the end of input. Used only when stdin and stderr
 * are terminals (io.ts). The terminal stays in its normal line mode, so Ctrl-C is the usual
 * SIGINT (cli/index.ts aborts `signal`), which rejects the question.
 */
export function askYesNo(question: string, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
    let settled = false;
    const finish = (answer: boolean | Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      rl.close();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    const onAbort = () => finish(new Error("interrupted"));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    rl.once("close", () => finish(false));
    rl.once("line", (line) => finish(/^\s*y(es)?\s*$/i.test(line)));
    process.stderr.write(`${question} [y/N] `);
  });
}
