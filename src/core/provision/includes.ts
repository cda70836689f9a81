import { readlink, symlink, unlink } from "node:fs/promises";
import path from "node:path";
import type { WtContext } from "../context.js";
import {
  type CopyManifest,
  MANIFEST_FILE_LIMIT,
  readCopyManifest,
  scanCopiedFolder,
  writeCopyManifest,
} from "../copy-manifest.js";
import { countWhileCopying } from "../copy-progress.js";
import { lstatOrNull, removeBelow } from "../fs-safe.js";
import { bringEntry, editedCopies, fingerprintFile, type IncludePlanEntry, planIncludes } from "../include.js";
import { worktreeDirHolder } from "../names.js";
import { poolHolder } from "../pool/state.js";
import { realOrRealParents } from "../real-parent.js";
import type { Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import { trashDir } from "../trash.js";
import type { AuditReport, AuditScope, NewPlan, PlanScope, Provisioner } from "./types.js";

/**
 * What `.worktreeinclude` brings from the main worktree: each entry copied or linked (and
 * recorded, copied files with a fingerprint), a manifest of copied folders for cleanup's
 * edited-copy check; at cleanup each link is unlinked, never followed. Its plan matches
 * `.worktreeinclude` against git's ignored files; its audit reports the copies edited since.
 */
export const includesProvisioner: Provisioner = {
  name: "includes",
  inFolder: true,
  plan: planIncluded,
  audit: auditCopies,
  owned: (source) => source.included.map((e) => e.path),
  apply: ({ session, ctx, w, plan, manifest }) => [
    ...plan.includes.map((entry) => includeStep(session, ctx, plan, entry, manifest, w.warn)),
    ...(plan.includes.some((e) => e.mode === "copy" && e.isDirectory)
      ? [
          {
            kind: "manifest" as const,
            title: "record what was copied, file by file (for cleanup's edited-copy check)",
            // Removed with the record (deleteRecord), also by a rollback.
            run: () => writeCopyManifest(session.repo.stateDir, plan.record.id, manifest),
          },
        ]
      : []),
  ],
  complete: async (record, { warn }) => {
    for (const entry of record.included) {
      if ((await lstatOrNull(path.join(record.path, entry.path))) === null) {
        warn(
          `${entry.path} (brought by .worktreeinclude) is gone from ${record.path}; run \`wt cleanup ${record.id}\` and create again to bring it back`,
        );
      }
    }
    return [];
  },
  teardown: (record) =>
    record.included
      .filter((i) => i.mode === "symlink")
      .map((l): Step => {
        const at = path.join(record.path, l.path);
        let target: string | null = null;
        return {
          kind: "unlink",
          title: `unlink ${l.path} (never followed)`,
          // Checked to still be a link, and never followed.
          run: async () => {
            if (!(await lstatOrNull(at))?.isSymbolicLink()) return;
            target = await readlink(at);
            await unlink(at);
          },
          // A later step failing: the link comes back as it was, unless something took its place.
          undo: async () => {
            if (target !== null && (await lstatOrNull(at)) === null) await symlink(target, at);
          },
        };
      }),
};

/** Copies or links one `.worktreeinclude` entry and records it (with a fingerprint for copied files). */
function includeStep(
  session: Session,
  ctx: WtContext,
  plan: NewPlan,
  entry: IncludePlanEntry,
  manifest: CopyManifest,
  warn: (m: string) => void,
): Step {
  const { repo, config } = session;
  const { record } = plan;
  const worktree = record.path;
  const target = path.join(worktree, entry.path);
  // A copy begun where nothing was (so wt's alone) and not yet recorded: its undo deletes what
  // is there. A claimed slot goes back into the pool, where a copy cut short by Ctrl-C or an
  // error would be the next claimer's ("the branch already has it").
  let unrecorded = false;
  return {
    kind: entry.mode === "symlink" ? "link" : "copy",
    title: `${entry.mode === "symlink" ? "link" : "copy"} ${entry.path}${entry.isDirectory ? "/" : ""}`,
    detail: { path: entry.path },
    run: async () => {
      const startedMs = Date.now();
      // A long copy shows its files and bytes as they come (the CLI's progress line).
      const counter =
        entry.mode === "copy" ? countWhileCopying(path.join(worktree, entry.path), ctx.onStepProgress) : null;
      let brought = false;
      unrecorded = entry.mode === "copy" && (await lstatOrNull(target)) === null;
      try {
        brought = await bringEntry(repo.mainPath, worktree, entry, ctx.signal);
      } finally {
        await counter?.stop(brought);
      }
      if (!brought) {
        unrecorded = false;
        warn(`not bringing ${entry.path}: the branch already has it (the branch's own content wins)`);
        return;
      }
      const copy = entry.mode === "copy";
      // A folder also when the entry was a link to one, copied as the folder it names (`bringEntry`).
      const folder =
        entry.isDirectory || (copy && (await lstatOrNull(path.join(worktree, entry.path)))?.isDirectory() === true);
      const fingerprint =
        copy && !folder && entry.path !== config.envFile
          ? await fingerprintFile(path.join(worktree, entry.path))
          : undefined;
      record.included.push({
        path: entry.path,
        mode: entry.mode,
        ...(fingerprint ? { fingerprint } : {}),
        ...(copy && folder ? { copiedAtMs: startedMs } : {}),
      });
      unrecorded = false;
      if (copy && folder) await addToManifest(manifest, worktree, entry.path);
    },
    undo: async () => {
      // Links first, and never followed: the main worktree's node_modules is at stake.
      if (entry.mode === "symlink") await unlink(target).catch(() => {});
      // Through real folders only (`removeBelow`), never a link's target.
      else if (unrecorded) await removeBelow(worktree, target, warn).catch(() => {});
    },
  };
}

/**
 * Adds the files of a folder just copied into the worktree to `manifest`, unless that would
 * take it over `MANIFEST_FILE_LIMIT` (then cleanup compares that folder by times only).
 */
async function addToManifest(manifest: CopyManifest, worktree: string, rel: string): Promise<void> {
  const held = Object.values(manifest.folders).reduce((n, f) => n + f.length, 0);
  const files = await scanCopiedFolder(path.join(worktree, rel), MANIFEST_FILE_LIMIT - held);
  if (files !== null) manifest.folders[rel] = files;
}

/**
 * Folders `.worktreeinclude` never brings (issue 9, item 14): `worktrees` (every registered and
 * recorded worktree, and the one being made or adopted), the folders holding worktrees and pool
 * slots, and wt's trash. Absolute paths.
 */
export function neverIncluded(session: Session, worktrees: readonly string[]): string[] {
  const { repo, config } = session;
  return [
    ...worktrees,
    realOrRealParents(worktreeDirHolder(config, repo.mainPath, repo.repoName)),
    realOrRealParents(poolHolder(config.pool, repo.mainPath, repo.repoName)),
    trashDir(repo.stateDir),
  ];
}

/**
 * The includes' part of a plan: what `.worktreeinclude` brings (`planIncludes`, from the facts'
 * listing), never another worktree, the folders holding worktrees or pool slots, or wt's trash
 * (issue 9, item 14); a warning for a linked `node_modules`.
 * @throws as `planIncludes`.
 */
async function planIncluded({ session, w, facts, plan }: PlanScope): Promise<void> {
  const { repo, config } = session;
  const never = neverIncluded(session, [
    ...facts.entries.map((e) => e.path),
    ...w.records.map((r) => r.path),
    w.worktree,
  ]);
  plan.includes = await planIncludes(facts.include, repo.mainPath, config.include.symlink, config.envFile, never);
  for (const e of plan.includes) {
    if (e.mode === "symlink" && path.basename(e.path) === "node_modules") {
      w.warn(
        `${e.path} is a symlink to the main worktree's: an install (npm/pnpm/yarn) inside this worktree changes the main worktree's dependencies`,
      );
    }
  }
}

/**
 * The includes' part of cleanup's report: copies edited since wt made them (`editedCopies`,
 * with the copy manifest), and the files added inside copied folders count as the user's.
 */
async function auditCopies(record: WorktreeRecord, { session, ownFiles }: AuditScope): Promise<AuditReport> {
  const manifest = readCopyManifest(session.repo.stateDir, record);
  const copies = await editedCopies(record.path, record.included, ownFiles, manifest);
  const added = new Set(copies.added);
  return { edited: copies.listed, userFile: (rel) => added.has(rel) };
}
