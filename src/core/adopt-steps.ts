import { rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { revParseHead } from "../git/refs.js";
import type { AdoptPlan, AdoptTarget } from "./adopt-plan.js";
import type { WtContext } from "./context.js";
import type { CopyManifest } from "./copy-manifest.js";
import { isInside, lstatOrNull } from "./fs-safe.js";
import { guardRoot, PROVISIONERS } from "./provision/index.js";
import type { ApplyScope, NewWorktree } from "./provision/types.js";
import { gitAt, type Session } from "./session.js";
import { writeRecord } from "./state.js";
import type { Step } from "./steps/step.js";

/**
 * The steps of an adoption: every provisioner's create steps but the checkout's (the record
 * and its slot, info/exclude, each include, the env file, each database and its init), then
 * mark the record ready. Steps that write in the folder first check that it is still the
 * worktree git registered. Their undo removes only what this run wrote: a copied include and
 * an env file this run made (a create's rollback removes the whole folder instead, which an
 * adoption never does).
 */
export function adoptSteps(
  session: Session,
  ctx: WtContext,
  t: AdoptTarget,
  plan: AdoptPlan,
  opts: { hooks: boolean; dryRun: boolean; warnings: string[] },
): Step[] {
  const { record } = plan;
  const w: NewWorktree = {
    id: t.id,
    name: record.name,
    values: { repo: session.repo.repoName, id: t.id, name: record.name },
    worktree: t.folder,
    branch: t.branch,
    branchFromFlag: false,
    base: t.base,
    records: t.records,
    warn: t.warn,
    warnings: opts.warnings,
    dryRun: opts.dryRun,
    hooks: opts.hooks,
    pool: false,
  };
  const manifest: CopyManifest = { version: 1, createdAt: record.createdAt, folders: {} };
  const scope: ApplyScope = { session, ctx, w, plan, manifest, out: { head: "" } };
  const steps = PROVISIONERS.filter((p) => p.name !== "checkout").flatMap((p) =>
    p.apply(scope).map((s) => {
      const undone = withAdoptUndo(s, t.folder, record.included);
      return p.inFolder ? guardRoot(undone, session, t.folder) : undone;
    }),
  );
  const ready: Step = {
    kind: "mark-ready",
    title: `mark worktree ${record.id} managed (adopted; its branch stays the user's)`,
    run: async () => {
      record.state = "ready";
      record.pid = process.pid;
      await writeRecord(session.repo.stateDir, record);
    },
  };
  return [...steps, ready];
}

/**
 * A copy or env-file step whose undo also deletes what its run made in the folder: a copy only
 * when the run recorded it as brought (`bringEntry` leaves a path the folder has alone), the
 * env file only when it was not there before the run.
 */
function withAdoptUndo(step: Step, folder: string, included: readonly { path: string }[]): Step {
  const target = typeof step.detail?.path === "string" ? step.detail.path : null;
  if (step.kind === "copy" && target !== null) {
    const { undo } = step;
    return {
      ...step,
      undo: async () => {
        await undo?.();
        if (included.some((e) => e.path === target))
          await rm(path.join(folder, target), { recursive: true, force: true });
      },
    };
  }
  if (step.kind === "database" && typeof step.detail?.path === "string" && isInside(folder, step.detail.path)) {
    return withMadeParents(step, folder, path.dirname(step.detail.path));
  }
  if (step.kind === "write-env" && typeof step.detail?.file === "string") {
    const file = step.detail.file;
    let made = false;
    const { run } = step;
    return {
      ...step,
      run: async () => {
        made = (await lstatOrNull(file)) === null;
        await run();
      },
      undo: async () => {
        if (made) await rm(file, { force: true });
      },
    };
  }
  return step;
}

/**
 * `step`, whose undo also removes the folders on the way to `dir` (inside `folder`) that its run
 * made, while they are empty (`rmdir`: never anything in them).
 */
function withMadeParents(step: Step, folder: string, dir: string): Step {
  let made: string | null = null;
  const { run, undo } = step;
  return {
    ...step,
    run: async () => {
      for (let at = dir; at !== folder && isInside(folder, at); at = path.dirname(at)) {
        if ((await lstatOrNull(at)) === null) made = at;
        else break;
      }
      await run();
    },
    undo: async () => {
      await undo?.();
      if (made === null) return;
      for (let at = dir; isInside(made, at); at = path.dirname(at)) {
        try {
          await rmdir(at);
        } catch {
          return;
        }
      }
    },
  };
}

/** The worktree's HEAD after the adoption (unchanged by it), for the result. */
export async function headOf(session: Session, folder: string): Promise<string> {
  return revParseHead(gitAt(session, folder));
}
