import { existsSync } from "node:fs";
import path from "node:path";
import { type HiddenEdit, hiddenEdits } from "./hidden-edits.js";
import { parseStatusV2, type StatusEntry, splitStatusRuns, splitTextRuns } from "./parse.js";
import { type Env, type GitAt, git, gitEnvCommand } from "./run.js";

/** `git status` as `wt status` reads it: porcelain v2, NUL-separated (git-status(1)). */
export const STATUS_ARGS = ["status", "--porcelain=v2", "-z"] as const;

/** One git run of `gitInEach`: the folder it runs in and an optional last argument. */
export interface FolderJob {
  /** Absolute folder (`git -C`). */
  cwd: string;
  /** Appended after the fixed arguments when given (user data: passed as an argument, never as script text). */
  lastArg?: string;
}

/**
 * The POSIX shell loop that runs one group: arguments come in pairs (folder, last argument or
 * empty), and every run is followed by a NUL, then a `\x01wt-end <exit code>` NUL-terminated
 * field, which no porcelain entry or count can start with (the NUL before it puts it at the
 * start of a field also after output that is not NUL-terminated, a count of `rev-list`). `fixed` is wt's own constant arguments, never user data.
 * Each git gets the folder's parent as `GIT_CEILING_DIRECTORIES`, as `git()` gives it (see
 * `GitOptions.discover`): a worktree whose `.git` is gone fails rather than answering for the
 * repository around it; `${d%/*}` costs no process.
 */
function groupScript(fixed: readonly string[]): string {
  return `while [ "$#" -gt 1 ]; do d=$1; a=$2; shift 2; c=\${d%/*}; case $c in *:*) c=;; esac; GIT_CEILING_DIRECTORIES=\${c:-/} git -C "$d" ${fixed.join(" ")} \${a:+"$a"}; printf '\\0\\001wt-end %d\\0' "$?"; done`;
}

/**
 * `git -C <cwd> <args> [<lastArg>]` for every job, `groups` jobs at a time.
 *
 * Each group is one POSIX `sh` running its share of the jobs one after the other. Starting a
 * process from Node costs about 2 ms of its only thread (a fork of a large process), from `sh`
 * a fraction of that, and `wt status` of 50 worktrees must stay within 1.35x of raw git run 4 at
 * a time (issue 5). Where no `sh` can start, every job is its own git process.
 *
 * @param args wt's fixed arguments (letters, digits, `-`, `=`, `.` only: they go into the script)
 * @returns each job's stdout, or null where its git failed (folder gone, not a worktree, bad
 *   revision); same order as `jobs`. Never rejects.
 */
export async function gitInEach(
  args: readonly string[],
  jobs: readonly FolderJob[],
  env: Env,
  groups = 4,
): Promise<(string | null)[]> {
  if (args.some((a) => !/^[\w=.-]+$/.test(a))) throw new Error(`gitInEach: not a plain argument in ${args.join(" ")}`);
  const out: (string | null)[] = new Array(jobs.length).fill(null);
  const n = Math.min(groups, jobs.length);
  await Promise.all(
    Array.from({ length: n }, async (_, g) => {
      const members: number[] = [];
      for (let i = g; i < jobs.length; i += n) members.push(i);
      const runs = await runGroup(
        env,
        args,
        members.map((i) => jobs[i] as FolderJob),
      );
      for (const [k, i] of members.entries()) out[i] = runs[k] ?? null;
    }),
  );
  return out;
}

/** `git status --porcelain=v2 -z` in every folder (`gitInEach`). */
export function statusMany(worktrees: readonly string[], env: Env, groups = 4): Promise<(string | null)[]> {
  return gitInEach(
    STATUS_ARGS,
    worktrees.map((cwd) => ({ cwd })),
    env,
    groups,
  );
}

async function runGroup(env: Env, args: readonly string[], jobs: readonly FolderJob[]): Promise<(string | null)[]> {
  if (jobs.length > 1) {
    try {
      const shArgs = jobs.flatMap((j) => [j.cwd, j.lastArg ?? ""]);
      const r = await gitEnvCommand("sh", ["-c", groupScript(args), "sh", ...shArgs], {
        cwd: "/",
        env,
        discover: true, // the script sets each git's ceiling
      });
      const runs = args.includes("-z") ? splitStatusRuns(r.stdout) : splitTextRuns(r.stdout);
      if (runs.length === jobs.length) return runs.map((run) => (run.code === 0 ? run.output : null));
    } catch {
      // No sh here (or it was killed): one git process per job below.
    }
  }
  const runs: (string | null)[] = [];
  for (const job of jobs) {
    const full = job.lastArg ? [...args, job.lastArg] : [...args];
    runs.push(
      await git(full, { cwd: job.cwd, env }).then(
        (r) => r.stdout,
        () => null,
      ),
    );
  }
  return runs;
}

/**
 * What `git status` shows as changed in the worktree at `at.cwd` (untracked files one by one,
 * ignored ones left out), then the edits it cannot show (`hiddenEdits`: files marked
 * `--skip-worktree` or `--assume-unchanged`, as `.M` entries with `hidden` set): what cleanup
 * refuses to delete, release to reset and a claim to take. Both reads run side by side.
 * @throws GitError (exit 6).
 */
export async function statusPorcelain(at: GitAt): Promise<StatusEntry[]> {
  const [out, hidden] = await Promise.all([
    git(["status", "--porcelain=v2", "-z", "--untracked-files=all"], at),
    hiddenEdits(at),
  ]);
  return withHiddenEdits(parseStatusV2(out.stdout), hidden);
}

/**
 * `entries` without ignored files, then `hidden` as `.M` entries with `hidden` set (a path git
 * status lists already, e.g. staged before it was marked, is listed once).
 */
export function withHiddenEdits(entries: readonly StatusEntry[], hidden: readonly HiddenEdit[]): StatusEntry[] {
  const shown = entries.filter((e) => e.kind !== "ignored");
  const listed = new Set(shown.map((e) => e.path));
  for (const h of hidden) {
    if (!listed.has(h.path)) shown.push({ kind: "changed", xy: ".M", path: h.path, hidden: h.bit });
  }
  return shown;
}

/**
 * One entry as a line of `git status --short` (porcelain v2 writes an unchanged side as `.`,
 * short format as a space), a hidden edit followed by the bit that hides it.
 */
export function shortStatusLine(e: StatusEntry): string {
  return `${e.xy.replace(/\./g, " ")} ${e.path}${e.hidden ? ` (marked ${e.hidden})` : ""}`;
}

/**
 * Commits ahead of and behind `base` for HEAD of each folder (`git rev-list --left-right
 * --count <base>...HEAD`, run through `gitInEach`), or null where git could not tell.
 */
export async function aheadBehindInEach(
  jobs: readonly { cwd: string; base: string }[],
  env: Env,
  groups = 4,
): Promise<({ ahead: number; behind: number } | null)[]> {
  const outputs = await gitInEach(
    ["rev-list", "--left-right", "--count", "--end-of-options"],
    jobs.map((j) => ({ cwd: j.cwd, lastArg: `${j.base}...HEAD` })),
    env,
    groups,
  );
  return outputs.map((text) => {
    const m = text === null ? null : /^(\d+)\s+(\d+)/.exec(text);
    return m ? { behind: Number(m[1]), ahead: Number(m[2]) } : null;
  });
}

/**
 * Whether the index of the worktree whose admin dir is `admin` holds staged changes
 * (`git --git-dir=<admin> diff-index --cached --quiet HEAD`: exit 1), which needs no working
 * tree: for a worktree whose folder is gone, whose index goes with its admin dir.
 * @returns null when git cannot tell (no HEAD commit, a damaged index)
 */
export async function stagedInAdminDir(at: GitAt, admin: string): Promise<boolean | null> {
  // No index (a `worktree add` killed before it wrote one): nothing staged, not "all deleted".
  if (!existsSync(path.join(admin, "index"))) return false;
  const r = await git(["--git-dir", admin, "diff-index", "--cached", "--quiet", "HEAD", "--"], {
    ...at,
    okCodes: [1, 128],
  });
  return r.exitCode === 0 ? false : r.exitCode === 1 ? true : null;
}
