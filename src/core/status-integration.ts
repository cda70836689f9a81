import type { IntegratedHow } from "../git/integrated.js";
import { listRemotes } from "../git/repo.js";
import type { GitAt } from "../git/run.js";

/** What `markIntegration` reads and writes of a status row. */
export interface IntegrationRow {
  branch: string | null;
  base: string | null;
  ahead: number | null;
  behind: number | null;
  integrated: boolean | null;
  integratedHow: IntegratedHow | null;
}

/** How many integration checks run at once (each a `git merge-tree` or two; 2 cores, issue 5). */
const PARALLEL = 4;

/**
 * Fills `integrated` / `integratedHow` of each row (docs/contract.md, "Integrated branches"). A row
 * 0 commits ahead of its base is an ancestor of it: integrated, with no further git process
 * (`same-commit` when also 0 behind), which is every fresh worktree, so `wt status` of many of
 * them costs nothing more. Only a branch with commits ahead gets the full rule
 * (`branchIntegration`: its base, then the base's local branch), a few at a time. Unknown
 * counts, a detached HEAD or a failing check leave null.
 * @param remotesOf the repository's remotes (`wt status` passes the list its default base read)
 * @returns `rows`, filled in
 */
export async function markIntegration<R extends IntegrationRow>(
  main: GitAt,
  rows: R[],
  remotesOf: () => Promise<string[]> = () => listRemotes(main),
): Promise<R[]> {
  const expensive: IntegrationRow[] = [];
  for (const row of rows) {
    if (row.ahead === null || row.base === null || row.branch === null) continue;
    if (row.ahead > 0) {
      expensive.push(row);
      continue;
    }
    row.integrated = true;
    row.integratedHow = row.behind === 0 ? "same-commit" : "ancestor";
  }
  if (expensive.length === 0) return rows;
  // Imported only when some branch is ahead: every module costs `wt status` start-up time.
  const { branchIntegration } = await import("./integration.js");
  const remotes = await remotesOf().catch(() => []);
  let next = 0;
  const worker = async () => {
    for (let row = expensive[next++]; row !== undefined; row = expensive[next++]) {
      const found = await branchIntegration(
        main,
        `refs/heads/${row.branch as string}`,
        row.base as string,
        remotes,
      ).catch(() => null);
      row.integrated = found?.integrated ?? null;
      row.integratedHow = found?.how ?? null;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, expensive.length) }, worker));
  return rows;
}
