import { mkdir, rmdir } from "node:fs/promises";
import path from "node:path";
import { GitError } from "../../git/errors.js";
import { hiddenEdits } from "../../git/hidden-edits.js";
import { attachHead, detachInPlace, headAndPrevious, moveWorktree, switchDetach } from "../../git/pool.js";
import { revParseHead } from "../../git/refs.js";
import { resolveCommit } from "../../git/repo.js";
import { type GitAt, git } from "../../git/run.js";
import { lockOwnWorktree, removeWorktree } from "../../git/worktree.js";
import { BusyError, DirtyWorktreeError } from "../errors.js";
import { removeBelow } from "../fs-safe.js";
import { gitAt, type Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import { POOL_LOCK_REASON, writePoolRecord } from "./state.js";

// The steps of `wt release` (release.ts decides which): each acts once the checks have passed.

/**
 * The first step: HEAD detached where the checks saw it (`head`, from git's worktree list read
 * beside the worktree's status), by `detachInPlace`, which changes no file and which git
 * refuses when HEAD no longer resolves to `head`. So a commit made in the worktree since the
 * checks stops the release before anything changed (BusyError, exit 4), and the branch a later
 * step may delete no longer moves with HEAD. Undone, when HEAD was on `branch`, by putting it
 * back there, only while HEAD is still at `head` and the branch still exists at `head` (a
 * later step may have deleted it: HEAD on a missing branch would show every file as added).
 */
export function detachStep(record: WorktreeRecord, at: GitAt, head: string, branch: string | null): Step {
  let detached = false;
  return {
    kind: "detach",
    title: `detach HEAD where the checks saw it (${head.slice(0, 8)}): a commit made since stops the release`,
    run: async () => {
      if (!(await detachInPlace(at, head, "wt release: detach"))) throw movedError(record, head);
      detached = true;
    },
    undo: async () => {
      if (!detached || branch === null) return;
      const [now, tip] = await Promise.all([
        revParseHead(at).catch(() => null),
        resolveCommit(at, `refs/heads/${branch}`).catch(() => null),
      ]);
      if (now === head && tip === head) await attachHead(at, branch, "wt release: undone");
    },
  };
}

/**
 * The switch to the base (`git switch --detach`, only files that differ change) from the HEAD
 * the first step detached, checked again just before (`detachInPlace` at `head`, a no-op git
 * refuses when HEAD moved) and after (`headAndPrevious`: HEAD must be the base, and the
 * switch's reflog entry must have moved from `head`): a commit made on the detached HEAD
 * meanwhile stops the release (exit 4), with HEAD on that commit (switched back to it when the
 * switch had left it), never left on no branch. Nothing to do when `head` is the base's commit.
 */
export function resetStep(
  record: WorktreeRecord,
  at: GitAt,
  head: string | null,
  base: { name: string; commit: string },
): Step {
  return {
    kind: "reset",
    title: `leave branch ${record.branch}: switch to ${base.name} (${base.commit.slice(0, 8)}), detached; ignored files (the warm state) stay`,
    run: async () => {
      if (head === base.commit) return;
      if (head !== null && !(await detachInPlace(at, head, "wt release: detach"))) throw movedError(record, head, true);
      await switchDetach(at, base.commit);
      if (head === null) return;
      const now = await headAndPrevious(at);
      // Moved since the switch: a commit on top of the base, left where it is.
      if (now.head !== base.commit) throw movedError(record, head, true);
      if (now.previous !== null && now.previous !== head) {
        await switchDetach(at, now.previous);
        throw movedError(record, head, true);
      }
    },
  };
}

/** `late`: wt's files were already deleted (the env file, copies and links; wt doctor names them). */
function movedError(record: WorktreeRecord, head: string, late = false): BusyError {
  return new BusyError(
    `worktree ${record.id} changed while it was being released (HEAD is no longer at ${head.slice(0, 8)}); ${late ? "its branch and commits were left as they are, wt's own files (env file, copies, links) were already removed" : "nothing was reset"}`,
    `run \`wt release ${record.id}\` again once nothing works in ${record.path}`,
  );
}

/** Deletes a file or folder `.worktreeinclude` copied in (a copy wt made: the next claim copies it again). */
export function removeCopyStep(
  record: WorktreeRecord,
  rel: string,
  warn: (m: string) => void,
  title = `delete ${rel} (copied in by wt)`,
): Step {
  return {
    kind: "delete-file",
    title,
    // Never through a symlinked folder (it would delete the link target's file), never a link's target.
    run: async () => {
      await removeBelow(record.path, path.join(record.path, rel), warn);
    },
  };
}

/**
 * The pool is full (or the tree has initialised submodules): the tree goes, its ignored files
 * with it. Without `--force`, so that git refuses, as it removes, a file an agent changed or made
 * after the checks: exit 5, the tree left as it is. git removes a tree with submodules only with
 * `--force`: there `git status` is asked again right before it, which narrows the window to
 * that of one git run.
 * @throws DirtyWorktreeError (exit 5) for changes found at the removal.
 */
export function removeStep(session: Session, record: WorktreeRecord, moduled: boolean): Step {
  const why = moduled ? "it has initialised submodules" : "the pool is full";
  const changed = () =>
    new DirtyWorktreeError(
      `${record.path} changed while it was being released: git status shows changes, so it was not removed; wt's files for it (env file, copies, links) are already gone and HEAD is detached at the base`,
      `move the changes away (a commit made there now is on no branch), then run \`wt release ${record.id}\` again`,
      { path: record.path },
    );
  return {
    kind: "remove-worktree",
    title: `remove worktree ${record.path} (${why})`,
    run: async () => {
      const at = gitAt(session);
      if (moduled) {
        // Inside the submodules too, whatever `submodule.<name>.ignore` says.
        const r = await git(
          ["status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=none"],
          gitAt(session, record.path),
        );
        if (r.stdout.length > 0 || (await hiddenEdits(gitAt(session, record.path))).length > 0) throw changed();
        await removeWorktree(at, record.path, { locked: false });
        return;
      }
      try {
        await removeWorktree(at, record.path, { locked: false, onlyClean: true });
      } catch (e) {
        if (e instanceof GitError && /contains modified or untracked files/.test(e.stderrTail)) throw changed();
        throw e;
      }
    },
  };
}

/** Moves the tree into the pool (`git worktree move`, a rename), git-locks it and records it idle. */
export function returnStep(
  session: Session,
  record: WorktreeRecord,
  to: { n: number; folder: string; baseCommit: string },
): Step {
  const { repo } = session;
  const at = gitAt(session);
  return {
    kind: "return-slot",
    title: `move it back into the pool as ${to.folder}, locked ("${POOL_LOCK_REASON}")`,
    run: async () => {
      await mkdir(path.dirname(to.folder), { recursive: true });
      await rmdir(to.folder).catch(() => {});
      await moveWorktree(at, record.path, to.folder);
      // Locked in process (`lockOwnWorktree`: the lock file created, never overwritten), else by git.
      await lockOwnWorktree(at, repo.commonDir, to.folder, POOL_LOCK_REASON);
      await writePoolRecord(repo.stateDir, {
        version: 1,
        n: to.n,
        path: to.folder,
        base: record.base,
        baseCommit: to.baseCommit,
        warmKey: record.pool?.warmKey ?? "",
        state: "idle",
        ...(record.pool?.warmFiles ? { warmFiles: record.pool.warmFiles } : {}),
        pid: process.pid,
        createdAt: new Date().toISOString(),
      });
    },
  };
}
