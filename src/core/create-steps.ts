import { readHeadCommit } from "../git/head-file.js";
import { revParseHead } from "../git/refs.js";
import { unlockOwnLock } from "../git/worktree.js";
import type { WtContext } from "./context.js";
import type { CopyManifest } from "./copy-manifest.js";
import { createLockReason } from "./create-lock.js";
import type { PoolRecord } from "./pool/state.js";
import { applySteps, guardRoot } from "./provision/index.js";
import type { NewOutcome, NewPlan, NewWorktree } from "./provision/types.js";
import { gitAt, type Session } from "./session.js";
import { writeRecord } from "./state.js";
import type { Step } from "./steps/step.js";

/**
 * The steps of a new worktree, in order: every provisioner's (`applySteps`: record,
 * info/exclude, `git worktree add`, each include, the copy manifest, the env file, each database
 * and its init), then mark ready. Every step after the add that writes in the folder first
 * checks that it is still the worktree git made.
 * With no postCreate hook to run (`hooksToRun` false) the record becomes `ready` in this same
 * lock hold: a second hold to mark it would let a waiting cleanup in between, to find it
 * `hooks-pending` and refuse with `in-progress`.
 */
export function newSteps(
  session: Session,
  ctx: WtContext,
  w: NewWorktree,
  plan: NewPlan,
  out: NewOutcome,
  hooksToRun: boolean,
  claim: PoolRecord | null = null,
): Step[] {
  const { repo } = session;
  const { record } = plan;
  const manifest: CopyManifest = { version: 1, createdAt: record.createdAt, folders: {} };
  const ready: Step = {
    kind: "mark-ready",
    title: "mark the worktree ready",
    run: async () => {
      // A claimed slot is on the base's commit (the claim set out.head) and was never create-locked.
      // The new HEAD is read, not assumed (a post-checkout hook may have moved it): from git's
      // files when they are the plain layout, else by git beside the record write and the unlock.
      const head = claim
        ? null
        : Promise.resolve(readHeadCommit(repo.commonDir, record.path) ?? revParseHead(gitAt(session, record.path)));
      head?.catch(() => {}); // awaited below
      record.state = hooksToRun ? "hooks-pending" : "ready";
      record.pid = process.pid;
      const marked = (async () => {
        await writeRecord(repo.stateDir, record);
        if (!claim) await unlockOwnLock(gitAt(session), repo.commonDir, record.path, createLockReason(process.pid));
      })();
      const [readHead, mark] = await Promise.allSettled([head, marked]);
      if (readHead.status === "rejected") throw readHead.reason;
      if (mark.status === "rejected") throw mark.reason;
      if (readHead.value !== null) out.head = readHead.value;
    },
  };
  return [...applySteps({ session, ctx, w, plan, manifest, out, claim }), guardRoot(ready, session, record.path)];
}
