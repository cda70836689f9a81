import { TrackedTargetError } from "../errors.js";
import { removeExcludes, setExcludes } from "../exclude.js";
import { firstTracked, probeStart, startPointOf } from "../plan-facts.js";
import { gitAt } from "../session.js";
import type { PlanScope, Provisioner } from "./types.js";

/**
 * The worktree's block in `<git-common-dir>/info/exclude`: the exact patterns of every path
 * the other provisioners own (`excludePatterns`), so that wt's files never show in `git
 * status`. It plans last, once every owned path is known.
 */
export const excludesProvisioner: Provisioner = {
  name: "excludes",
  inFolder: false,
  planAfter: "all",
  plan: planExcludes,
  apply: ({ session, plan: { record } }) => [
    {
      kind: "excludes",
      title: `keep wt's files out of git status (${record.excludes.length} entries in info/exclude)`,
      detail: { patterns: record.excludes },
      run: () => setExcludes(session.repo.commonDir, record.id, record.excludes),
      undo: () => removeExcludes(session.repo.commonDir, record.id),
    },
  ],
  complete: async (record, { session }) => [
    {
      kind: "excludes",
      title: "restore its info/exclude entries",
      run: () => setExcludes(session.repo.commonDir, record.id, record.excludes),
    },
  ],
  teardown: (record, { session }) => [
    {
      kind: "excludes",
      title: "remove its info/exclude entries",
      run: () => removeExcludes(session.repo.commonDir, record.id),
      // A later step failing (a release whose copy cannot be deleted) leaves wt's files hidden again.
      undo: () => setExcludes(session.repo.commonDir, record.id, record.excludes),
    },
  ],
};

/**
 * info/exclude cannot hide a tracked file: when the commit the worktree starts at tracks a path
 * a provisioner writes and lists in `untracked` (the env file, a database inside the worktree),
 * refuse before anything is made; else the patterns of every owned path go into the record.
 * @throws TrackedTargetError (exit 3) naming the first such path.
 */
async function planExcludes({ session, w, facts, plan, list }: PlanScope): Promise<void> {
  const { record, how, baseCommit, includes } = plan;
  const source = { ...record, included: includes };
  const start = { name: probeStart(how, w.base), commitish: startPointOf(how, baseCommit) };
  const tracked = await firstTracked(gitAt(session), facts, start, list.untrackedTargets(source));
  if (tracked) throw new TrackedTargetError(tracked.rel, tracked.what, w.worktree);
  record.excludes = list.excludePatterns(source, session.repo.mainPath);
}
