import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitSync, type TestRepo, WT_BIN, worktreesDir, wtEnv } from "./repo.js";

/** Every file below `dir` (relative, sorted), symlinks not followed; [] when it is missing. */
export function filesUnder(dir: string): string[] {
  return entriesUnder(dir).filter((e) => !e.endsWith("/"));
}

/** Every entry below `dir` (relative, sorted; folders end in `/`), symlinks not followed. */
function entriesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        out.push(`${r}/`);
        walk(path.join(abs, d.name), r);
      } else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

export interface FootprintOptions {
  /** The worktrees folder whose entries are recorded; default `<repo>-worktrees` beside the main worktree. */
  worktreesDir?: string;
  /** Paths recorded by whether they exist (database files, sidecars). */
  extra?: string[];
  /** Each branch with the commit it points at, not only its name. */
  branchHeads?: boolean;
  /** The worktree list's HEAD, branch, detached, locked and prunable lines, not only the paths. */
  worktreeDetails?: boolean;
  /** .git/info/exclude byte for byte (null when missing) instead of without its trailing newlines. */
  exactExclude?: boolean;
  /** What lies beside the main worktree: a folder a failed run left there shows. */
  beside?: boolean;
  /**
   * `git status --porcelain --untracked-files=all` of the main worktree; `"ignored"` adds
   * `--ignored`, so a stray write into it shows even where git ignores it.
   */
  mainStatus?: "untracked" | "ignored";
}

/**
 * Everything `wt` can leave behind in a repository, to compare before and after a refused,
 * failed or interrupted run: branches, registered worktrees, git's admin folders, records
 * under .git/wt/worktrees, the info/exclude file, the worktrees folder, and what `options`
 * adds (extra paths, branch heads, lock/prunable/HEAD lines, what lies beside the main
 * worktree, the main worktree's status).
 */
export function footprint(main: string, options: FootprintOptions = {}) {
  const gitDir = path.join(main, ".git");
  const exclude = path.join(gitDir, "info", "exclude");
  const folder = options.worktreesDir ?? worktreesDir(main);
  const excludeText = existsSync(exclude) ? readFileSync(exclude, "utf8") : null;
  const worktreeLine = options.worktreeDetails
    ? (l: string) => /^(worktree|locked|prunable|HEAD|branch|detached)\b/.test(l)
    : (l: string) => l.startsWith("worktree ");
  const status = options.mainStatus;
  return {
    branches: gitSync(
      main,
      "for-each-ref",
      options.branchHeads ? "--format=%(refname) %(objectname)" : "--format=%(refname)",
      "refs/heads",
    )
      .split("\n")
      .filter(Boolean)
      .sort(),
    worktrees: gitSync(main, "worktree", "list", "--porcelain").split("\n").filter(worktreeLine),
    adminDirs: existsSync(path.join(gitDir, "worktrees")) ? readdirSync(path.join(gitDir, "worktrees")).sort() : [],
    records: entriesUnder(path.join(gitDir, "wt", "worktrees")),
    exclude: options.exactExclude ? excludeText : (excludeText ?? "").replace(/\n+$/, ""),
    folders: existsSync(folder) ? readdirSync(folder).sort() : [],
    ...(options.extra ? { extra: options.extra.filter((p) => existsSync(p)) } : {}),
    ...(options.beside ? { beside: readdirSync(path.dirname(main)).sort() } : {}),
    ...(status
      ? {
          mainStatus: gitSync(
            main,
            "status",
            "--porcelain",
            ...(status === "ignored" ? ["--ignored"] : []),
            "--untracked-files=all",
          ),
        }
      : {}),
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
    env: wtEnv(env),
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

/**
 * Makes `repo` slow to check out and to copy into a worktree: `modules` × 150 tracked files
 * under src/, committed with `ignore` as .gitignore, and an ignored node_modules of
 * `packages` × 20 files that `.worktreeinclude` copies.
 */
export function addBigTree(repo: TestRepo, modules: number, packages: number, ignore = "node_modules/\n"): void {
  for (let d = 0; d < modules; d++) {
    const dir = path.join(repo.main, "src", `mod${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 150; f++) writeFileSync(path.join(dir, `f${f}.ts`), `export const v${f} = ${f};\n`.repeat(20));
  }
  repo.write(".gitignore", ignore);
  repo.write(".worktreeinclude", "node_modules/\n");
  repo.commitAll("big tree");
  for (let p = 0; p < packages; p++) {
    const dir = path.join(repo.main, "node_modules", `pkg${p}`, "lib");
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 20; f++) writeFileSync(path.join(dir, `m${f}.js`), "module.exports = 1;\n");
  }
}
