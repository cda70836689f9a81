import type { Readable } from "node:stream";
import { UsageError } from "../core/errors.js";

/** The most a hook payload may hold: Claude Code's are a few hundred bytes. */
const MAX_BYTES = 1024 * 1024;

/**
 * Reads one JSON hook payload from `stream` (stdin): up to the end of the stream, or sooner,
 * as soon as what arrived parses as JSON — a caller that keeps the pipe open must not hang the
 * hook (bkildow/wt-cli PR #8 met that). Gives up waiting after `waitMs` and returns what came.
 * No trailing newline is needed.
 * @returns the text read (parse it with `parseHookPayload`).
 * @throws UsageError (2) when stdin is a terminal (nothing piped) or holds more than 1 MiB.
 */
export function readHookInput(stream: Readable & { isTTY?: boolean }, waitMs = 5000): Promise<string> {
  if (stream.isTTY) {
    return Promise.reject(
      new UsageError(
        "this command reads Claude Code's hook payload on stdin, and stdin is a terminal",
        'pipe the JSON, e.g. echo \'{"name":"demo"}\' | wt hook claude-create',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.pause();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_BYTES) {
        finish(new UsageError("the hook payload on stdin is larger than 1 MiB", "pipe one JSON object"));
        return;
      }
      if (parses(Buffer.concat(chunks).toString("utf8"))) finish();
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(e);
    const timer = setTimeout(() => finish(), waitMs);
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
  });
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
