import { splitStatusRuns } from "./parse.js";
import { git, gitEnvCommand } from "./run.js";

/** `git status` as `wt status` reads it: porcelain v2, NUL-separated (git-status(1)). */
const STATUS_ARGS = ["status", "--porcelain=v2", "-z"];

/**
 * The POSIX shell loop that runs one group: for every folder given as an argument, its status
 * followed by a `\x01wt-end <exit code>` field, which no status entry can start with.
 */
const GROUP_SCRIPT = `for d do git -C "$d" ${STATUS_ARGS.join(" ")}; printf '\\001wt-end %d\\0' "$?"; done`;

/**
 * `git status --porcelain=v2 -z` in every folder of `worktrees`, `groups` folders at a time.
 *
 * Each group is one POSIX `sh` running its share of the statuses one after the other. Starting
 * a process from Node costs about 2 ms of its only thread (a fork of a large process), from
 * `sh` a fraction of that, and `wt status` of 50 worktrees must stay within 1.35x of raw git
 * run 4 at a time (issue 5). Where no `sh` can start, every status is its own git process.
 *
 * @param worktrees absolute worktree folders
 * @returns each folder's status output (NUL-terminated entries), or null where its `git status`
 *   failed (folder gone, not a worktree); same order as `worktrees`. Never rejects.
 */
export async function statusMany(worktrees: readonly string[], groups = 4): Promise<(string | null)[]> {
  const out: (string | null)[] = new Array(worktrees.length).fill(null);
  const n = Math.min(groups, worktrees.length);
  await Promise.all(
    Array.from({ length: n }, async (_, g) => {
      const members: number[] = [];
      for (let i = g; i < worktrees.length; i += n) members.push(i);
      const runs = await statusGroup(members.map((i) => worktrees[i] as string));
      for (const [k, i] of members.entries()) out[i] = runs[k] ?? null;
    }),
  );
  return out;
}

async function statusGroup(folders: readonly string[]): Promise<(string | null)[]> {
  if (folders.length > 1) {
    try {
      const r = await gitEnvCommand("sh", ["-c", GROUP_SCRIPT, "sh", ...folders], { cwd: "/" });
      const runs = splitStatusRuns(r.stdout);
      if (runs.length === folders.length) return runs.map((run) => (run.code === 0 ? run.output : null));
    } catch {
      // No sh here (or it was killed): one git process per folder below.
    }
  }
  const runs: (string | null)[] = [];
  for (const folder of folders) {
    runs.push(
      await git(STATUS_ARGS, { cwd: folder }).then(
        (r) => r.stdout,
        () => null,
      ),
    );
  }
  return runs;
}
