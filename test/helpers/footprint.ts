import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { GIT_ENV, gitSync, WT_BIN } from "./repo.js";

/**
 * Everything `wt create` can leave behind in a repository, to compare before and after a
 * refused, failed or interrupted run: branches, registered worktrees, records, the
 * info/exclude file, the worktrees folder and any extra paths (database files, sidecars).
 */
export function footprint(main: string, worktreesDir: string, extra: string[] = []) {
  const gitDir = path.join(main, ".git");
  const records = path.join(gitDir, "wt", "worktrees");
  const exclude = path.join(gitDir, "info", "exclude");
  return {
    branches: gitSync(main, "branch", "--format=%(refname:short)").split("\n").sort(),
    worktrees: gitSync(main, "worktree", "list", "--porcelain")
      .split("\n")
      .filter((l) => l.startsWith("worktree ")),
    adminDirs: existsSync(path.join(gitDir, "worktrees")) ? readdirSync(path.join(gitDir, "worktrees")).sort() : [],
    records: existsSync(records) ? readdirSync(records).sort() : [],
    exclude: existsSync(exclude) ? readFileSync(exclude, "utf8").replace(/\n+$/, "") : "",
    folders: existsSync(worktreesDir) ? readdirSync(worktreesDir).sort() : [],
    extra: extra.filter((p) => existsSync(p)),
  };
}

export interface Started {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built `wt` without waiting for it. */
export function startWt(cwd: string, args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [WT_BIN, ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr?.on("data", (b: Buffer) => {
    err += b.toString();
  });
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, stdout: () => out, exit };
}

/**
 * Resolves once `check()` is true: the observable event a test waits for (a file appearing,
 * a line on stderr). Polls every 5 ms; rejects after `timeoutMs` or when `started` exits first.
 */
export function waitUntil(check: () => boolean, what: string, started?: Started, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    started?.exit.then(() => {
      exited = true;
    });
    const poll = () => {
      if (check()) resolve();
      else if (exited) reject(new Error(`wt exited before ${what}:\n${started?.stderr()}`));
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}
