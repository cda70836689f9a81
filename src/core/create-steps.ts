import { revParseHead } from "../git/refs.js";
import { unlockWorktree } from "../git/worktree.js";
import type { WtContext } from "./context.js";
import type { CopyManifest } from "./copy-manifest.js";
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
      if (!claim) out.head = await revParseHead(gitAt(session, record.path));
      record.state = hooksToRun ? "hooks-pending" : "ready";
      record.pid = process.pid;
      await writeRecord(repo.stateDir, record);
      if (!claim) await unlockWorktree(gitAt(session), record.path);
    },
  };
  return [...applySteps({ session, ctx, w, plan, manifest, out, claim }), guardRoot(ready, session, record.path)];
}
