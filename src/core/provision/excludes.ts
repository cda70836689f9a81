import { removeExcludes, setExcludes } from "../exclude.js";
import type { Provisioner } from "./types.js";

/**
 * The worktree's block in `<git-common-dir>/info/exclude`: the exact patterns of every path
 * the other provisioners own (`excludePatterns`, computed by `planNew`), so that wt's files
 * never show in `git status`.
 */
export const excludesProvisioner: Provisioner = {
  name: "excludes",
  inFolder: false,
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
    },
  ],
};
