import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { WT_BIN, wtEnv } from "./repo.js";

/** Real shells the shell-integration tests drive; each test skips cleanly when one is missing. */
export function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** A folder holding `wt` (a link to the built bin/wt.js), to put first on PATH as an installed wt would be. */
export function binDir(root: string): string {
  const dir = path.join(root, "bin");
  mkdirSync(dir, { recursive: true });
  try {
    symlinkSync(WT_BIN, path.join(dir, "wt"));
  } catch {
    // Already there.
  }
  return dir;
}

export interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` in a real shell (`bash --norc --noprofile -c`, `zsh -f -c`, `fish --no-config -c`)
 * with `wt` on PATH and a clean environment (no WT_*, git's fixed identity). `tty`: under a
 * pseudo-terminal (util-linux `script -qfec`), `cols` wide; stdout then carries the terminal's
 * output (CR LF line ends), stderr is merged into it; `input` is typed into the terminal.
 */
export function runShell(
  shell: "bash" | "zsh" | "fish",
  script: string,
  options: { cwd: string; bin: string; env?: Record<string, string>; tty?: boolean; cols?: number; input?: string },
): ShellRun {
  const argv =
    shell === "bash"
      ? ["bash", "--norc", "--noprofile", "-c", script]
      : shell === "zsh"
        ? ["zsh", "-f", "-c", script]
        : ["fish", "--no-config", "-c", script];
  const env = { ...wtEnv(options.env ?? {}), PATH: `${options.bin}:${process.env.PATH ?? ""}`, TERM: "xterm" };
  if (!options.tty) {
    const r = spawnSync(argv[0] as string, argv.slice(1), { cwd: options.cwd, env, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  // `script` runs one command line through /bin/sh: quote each word for it.
  const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
  const line = `stty cols ${options.cols ?? 80} rows 50 2>/dev/null; exec ${argv.map(q).join(" ")}`;
  const r = spawnSync("script", ["-qfec", line, "/dev/null"], {
    cwd: options.cwd,
    env,
    ...(options.input === undefined ? {} : { input: options.input }),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout.replace(/\r\n/g, "\n"), stderr: r.stderr };
}
