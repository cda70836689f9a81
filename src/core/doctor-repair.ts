import { lstatSync } from "node:fs";
import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { removeMissingWorktree, unlockWorktree } from "../git/worktree.js";
import { worktreeLinkProblem } from "../git/worktree-link.js";
import { type GoneFolderWork, goneFolderWork } from "./cleanup-check.js";
import { createLockOwner } from "./create-lock.js";
import { type DoctorCheck, type DoctorFacts, type Finding, finding } from "./doctor-types.js";
import { shQuote, worktreeVariables, writeEnvFile } from "./envfile.js";
import { excludeBlockIds, removeExcludes, setExcludes } from "./exclude.js";
import { isInside } from "./fs-safe.js";
import { idKey } from "./names.js";
import { processAlive } from "./process.js";
import { excludePatterns } from "./provision/index.js";
import { claimPorts, readRegistry, releasePorts, userStateDir } from "./slot-registry.js";
import { deleteRecord, readRecord, type WorktreeRecord, writeRecord } from "./state.js";
import { putBack, trashedWorktree } from "./trash.js";

/**
 * `wt doctor --fix` for the two mismatches a hand-made change leaves behind: a folder deleted
 * by hand (`folder-missing`) and a `git worktree move` (`moved`). Each fix loses nothing: no
 * folder that exists is deleted, no branch is deleted, no lock a user set is lifted, and each
 * re-checks its precondition under the repository lock before it changes anything.
 */

/** True when something (a link too, not followed) is at `p`. */
export function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Record and registration, no folder: the fix finishes what a cleanup would (the branch kept):
 * `git worktree remove <path>` of that entry only, the record (its slot, its ports in the
 * machine's registry) and its info/exclude block. None when a lock a user set holds the entry,
 * or when a database outside the folder is still there (its file is the user's to judge).
 */
export async function folderMissing(
  facts: DoctorFacts,
  record: WorktreeRecord,
  entry: WorktreeEntry,
): Promise<Finding> {
  const base = { id: record.id, path: record.path, check: "folder-missing", severity: "error" as const };
  const trashed = trashedWorktree(facts.repo.stateDir, facts.repo.commonDir, record.path);
  if (trashed !== null) return inTrash(base, facts, record, trashed);
  const main = facts.repo.mainPath;
  const owner = createLockOwner(entry.locked);
  const ownLock = owner !== null && !processAlive(owner);
  if (entry.locked !== null && !ownLock) {
    return finding({
      ...base,
      message: `the folder is gone but git still lists it and wt still holds its slot; git holds a lock on it (${entry.locked || "no reason"}), which wt never lifts unless it is its own`,
      hint: `if nothing needs it: \`git -C ${shQuote(main)} worktree unlock ${shQuote(record.path)}\`, then \`wt doctor --fix\` (or \`wt cleanup ${record.id}\`)`,
    });
  }
  const kept = record.databases.filter((db) => !isInside(record.path, db.path) && exists(db.path)).map((d) => d.path);
  if (kept.length > 0) {
    return finding({
      ...base,
      message: `the folder is gone but git still lists it and wt still holds its slot; the record names databases outside it: ${kept.join(", ")}`,
      hint: `keep or delete those files by hand, then \`wt cleanup ${record.id}\``,
    });
  }
  const { stateDir, commonDir } = facts.repo;
  const work = await goneFolderWork(facts.at, commonDir, record.path, entry);
  if (work !== null) return heldByGone(base, work, record.path);
  const hasBlock = (await excludeBlockIds(commonDir)).includes(record.id);
  const commands = [
    ...(ownLock
      ? [
          `git -C ${shQuote(main)} worktree unlock ${shQuote(record.path)}  # wt create's own lock (pid ${owner} is gone)`,
        ]
      : []),
    `git -C ${shQuote(main)} worktree remove ${shQuote(record.path)}`,
    `rm <git-common-dir>/wt/worktrees/${idKey(record.id)}.json  # frees slot ${record.slot}; branch ${record.branch || "(none)"} is kept`,
    ...(hasBlock ? [`remove the '# wt:begin ${record.id}' block from <git-common-dir>/info/exclude`] : []),
  ];
  return finding(
    { ...base, message: "the folder is gone but git still lists it and wt still holds its slot" },
    {
      commands,
      run: async () => {
        await recheckGone(stateDir, record);
        if (ownLock) await unlockWorktree(facts.at, record.path);
        await removeMissingWorktree(facts.at, record.path);
        await forgetRecord(facts, record, hasBlock);
      },
    },
  );
}

/**
 * The folder is in wt's trash, where a cleanup stopped before `git worktree remove` left it
 * (git still lists it, an agent may have written to it): the fix puts it back, for the next
 * `wt cleanup` to check like any other.
 */
function inTrash(
  base: Pick<DoctorCheck, "check" | "severity" | "id" | "path">,
  facts: DoctorFacts,
  record: WorktreeRecord,
  trashed: string,
): Finding {
  return finding(
    {
      ...base,
      message: `the folder is in wt's trash (${trashed}): a cleanup stopped before git forgot the worktree`,
    },
    {
      commands: [`mv ${shQuote(trashed)} ${shQuote(record.path)}`],
      run: async () => {
        await recheckGone(facts.repo.stateDir, record);
        if (!(await putBack(facts.repo.commonDir, trashed, record.path)))
          throw new Error(`could not move ${trashed} back`);
      },
    },
  );
}

/**
 * The finding, with no fix, for a registration whose folder is gone but whose admin dir holds
 * work (`goneFolderWork`): removing it would lose that.
 */
export function heldByGone(
  base: Pick<DoctorCheck, "check" | "severity" | "id" | "path">,
  work: GoneFolderWork,
  folder: string,
): Finding {
  return finding({
    ...base,
    message: `the folder is gone, but git still holds ${work.what} for it in ${work.admin}; removing the registration would lose them, so there is no fix`,
    hint: `if you moved the folder: \`git worktree repair <its new folder>\`, then \`wt doctor --fix\`; else save what you need (\`git branch <name> <commit>\`), then \`git worktree remove ${shQuote(folder)}\``,
  });
}

/**
 * Re-reads `record` under the repository lock: a fix whose record was rewritten (a create that
 * started since) or whose folder came back must not run.
 * @throws Error when the record or its folder changed since the check (the fix is then not applied).
 */
export async function recheckGone(stateDir: string, record: WorktreeRecord): Promise<void> {
  const now = await readRecord(stateDir, record.id);
  if (!now || now.path !== record.path || exists(record.path)) {
    throw new Error("the record or its folder changed since the check");
  }
}

/** Deletes `record` (frees its slot), its ports in the machine's registry and, when `hasBlock`, its info/exclude block. */
export async function forgetRecord(facts: DoctorFacts, record: WorktreeRecord, hasBlock: boolean): Promise<void> {
  const { stateDir, commonDir } = facts.repo;
  await deleteRecord(stateDir, record.id);
  await releasePorts(userStateDir(facts.at.env), commonDir, record.id);
  if (hasBlock) await removeExcludes(commonDir, record.id);
}

/**
 * The record's folder is gone and git lists its branch at `moved.path` (moved by hand): the
 * fix follows the move. The record takes the new path (databases inside the folder moved with
 * it, env entries naming the old folder are rewritten), the info/exclude block and the
 * machine's port registry follow, and the env file in the new folder is rewritten (its other
 * lines kept). None when the new folder's `.git` does not lead back to this repository.
 */
export function movedWorktree(facts: DoctorFacts, record: WorktreeRecord, moved: WorktreeEntry): Finding {
  const base = { id: record.id, path: record.path, check: "moved", severity: "error" as const };
  const message = `git lists this worktree (branch ${record.branch}) at ${moved.path}, not where wt made it; wt's env file, ports and databases still name the old place`;
  const to = moved.path;
  const link = worktreeLinkProblem(facts.repo.commonDir, to);
  if (link !== null) {
    return finding({
      ...base,
      message: `${message}; ${link}`,
      hint: `\`git -C ${shQuote(facts.repo.mainPath)} worktree repair ${shQuote(to)}\`, then \`wt doctor --fix\``,
    });
  }
  const { stateDir, commonDir, mainPath } = facts.repo;
  const machine = userStateDir(facts.at.env);
  const next = followMove(record, to, mainPath);
  return finding(
    { ...base, message },
    {
      commands: [
        `record worktree ${record.id} at ${shQuote(to)} (was ${shQuote(record.path)})`,
        `rewrite ${shQuote(path.join(to, record.envFile))} (WT_PATH and the paths inside the folder)`,
        `update the '# wt:begin ${record.id}' block of <git-common-dir>/info/exclude`,
      ],
      run: async () => {
        const now = await readRecord(stateDir, record.id);
        if (!now || now.path !== record.path || exists(record.path) || !exists(to))
          throw new Error("the record or the folders changed since the check");
        await writeEnvFile(to, next.envFile, worktreeVariables(next, mainPath));
        await setExcludes(commonDir, next.id, next.excludes);
        const registered = Object.values(readRegistry(machine)).some(
          (e) => e.repo === commonDir && idKey(e.id) === idKey(record.id),
        );
        if (registered) await claimPorts(machine, { repo: commonDir, id: next.id, path: to }, next.ports);
        await writeRecord(stateDir, next);
      },
      undo: async () => {
        await writeRecord(stateDir, record);
        await setExcludes(commonDir, record.id, record.excludes);
      },
    },
  );
}

/** The record as it reads once the folder is at `to`: every path inside the old folder moved along. */
function followMove(record: WorktreeRecord, to: string, mainPath: string): WorktreeRecord {
  const from = record.path;
  const move = (p: string) => (isInside(from, p) ? path.join(to, path.relative(from, p)) : p);
  const env = Object.fromEntries(
    Object.entries(record.env).map(([k, v]) => [
      k,
      v === from || v.startsWith(`${from}/`) ? to + v.slice(from.length) : v,
    ]),
  );
  const next: WorktreeRecord = {
    ...record,
    path: to,
    env,
    databases: record.databases.map((d) => ({ ...d, path: move(d.path) })),
  };
  next.excludes = excludePatterns(next, mainPath);
  return next;
}
