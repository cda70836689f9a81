import { batchCheckObjects, type ObjectInfo } from "../git/objects.js";
import { catFileExists } from "../git/refs.js";
import { listWorktrees, refExists, resolveCommit } from "../git/repo.js";
import type { GitAt } from "../git/run.js";
import type { AddWorktreeBranch } from "../git/worktree.js";
import type { WtContext } from "./context.js";
import { readIncludeCandidates } from "./include.js";
import { warmKeyFrom, warmKeyNames, withGitlinks } from "./pool/state.js";
import type { NewWorktree, PlanFacts, UntrackedTarget } from "./provision/types.js";
import { gitAt, type Session } from "./session.js";

/**
 * The name under which the batch asks whether the worktree's start tracks `rel`: the branch
 * (`refs/heads/<b>`), the origin branch it will track, or the base peeled to its commit.
 */
export function probeStart(how: AddWorktreeBranch, base: string): string {
  if (how.kind === "existing") return `refs/heads/${how.branch}`;
  if (how.kind === "track") return `refs/remotes/origin/${how.branch}`;
  return `${base}^{commit}`;
}

/** The commit-ish the worktree's checkout starts at (the base as its commit id). */
export function startPointOf(how: AddWorktreeBranch, baseCommit: string): string {
  if (how.kind === "existing") return `refs/heads/${how.branch}`;
  if (how.kind === "track") return `refs/remotes/origin/${how.branch}`;
  return baseCommit;
}

/** `<start>:<rel>`: the object `rel` names in `start`'s tree (gitrevisions(7)). */
const probeName = (start: string, rel: string) => `${start}:${rel}`;

/**
 * Reads what planning a new worktree needs from git, the three reads side by side: the worktree
 * list; one `cat-file --batch-check` for the base's commit, the local and the origin branch,
 * for each of the three possible start points whether it tracks each of `early` (the targets
 * known before any plan: the env file) and, for a claim, the warm key's files at the base; and
 * `.worktreeinclude` with the main worktree's ignored candidates. Reads only; refuses nothing (the provisioners' plans do, in their order).
 * @throws GitError (exit 6); ConfigError (exit 2) for a `.worktreeinclude` that is no regular file.
 */
export async function gatherFacts(
  session: Session,
  ctx: WtContext,
  w: NewWorktree,
  early: readonly UntrackedTarget[],
): Promise<PlanFacts> {
  const main = gitAt(session, session.repo.mainPath, ctx.signal);
  const refs = {
    base: `${w.base}^{commit}`,
    local: `refs/heads/${w.branch}`,
    origin: `refs/remotes/origin/${w.branch}`,
  };
  const starts = [refs.local, refs.origin, refs.base];
  const probes = early.flatMap((t) => starts.map((s) => probeName(s, t.rel)));
  // A claim's warm key at the base (`warmKeyFrom`), in the same run.
  const warm = w.pool ? warmKeyNames(refs.base, session.config.pool.warmKey) : [];
  const [entries, answers, include] = await Promise.all([
    listWorktrees(main),
    batchCheckObjects(main, [refs.base, refs.local, refs.origin, ...probes, ...warm]),
    session.repo.bare ? null : readIncludeCandidates(main, w.includeText),
  ]);
  const [baseCommit, localBranch, originBranch] = await Promise.all([
    commitOf(answers.get(refs.base), () => resolveCommit(main, w.base)),
    presentOr(answers.get(refs.local), () => refExists(main, refs.local)),
    presentOr(answers.get(refs.origin), () => refExists(main, refs.origin)),
  ]);
  const files = session.config.pool.warmKey;
  const warmAnswers =
    w.pool && baseCommit !== null ? await withGitlinks(main, baseCommit, files, warm, answers) : answers;
  const warmKey = w.pool ? await warmKeyFrom(files, warm, warmAnswers) : undefined;
  return { entries, baseCommit, localBranch, originBranch, include, probes: answers, warmKey };
}

/** The commit id of a `<name>^{commit}` answer; `ask` (a one-name verb) when the batch could not ask it. */
async function commitOf(info: ObjectInfo | undefined, ask: () => Promise<string | null>): Promise<string | null> {
  if (info === undefined) return ask();
  return info.state === "present" && info.type === "commit" ? info.oid : null;
}

async function presentOr(info: ObjectInfo | undefined, ask: () => Promise<boolean>): Promise<boolean> {
  return info === undefined ? ask() : info.state === "present";
}

/**
 * The first of `targets` (in order) that the worktree's start tracks, or null: answered from
 * the probes `gatherFacts` asked, the others in one more `cat-file --batch-check` run (none when
 * all were asked), a name the batch cannot carry by `cat-file -e`.
 * @param start `probeStart` of the plan; `commitish` its `startPointOf`
 * @throws GitError (exit 6)
 */
export async function firstTracked(
  at: GitAt,
  facts: Pick<PlanFacts, "probes">,
  start: { name: string; commitish: string },
  targets: readonly UntrackedTarget[],
): Promise<UntrackedTarget | null> {
  const names = targets.map((t) => probeName(start.name, t.rel));
  const more = await batchCheckObjects(
    at,
    names.filter((n) => !facts.probes.has(n)),
  );
  for (const [i, t] of targets.entries()) {
    const name = names[i] as string;
    const info = facts.probes.get(name) ?? more.get(name);
    const tracked = info !== undefined ? info.state === "present" : await catFileExists(at, start.commitish, t.rel);
    if (tracked) return t;
  }
  return null;
}
