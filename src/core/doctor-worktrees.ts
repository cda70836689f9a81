import { lstatSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import type { WorktreeEntry } from "../git/parse.js";
import { removeMissingWorktree } from "../git/worktree.js";
import { worktreeLinkProblem } from "../git/worktree-link.js";
import { goneFolderWork } from "./cleanup-check.js";
import { createLockOwner } from "./create-lock.js";
import { isPoolSlot, releaseUnfinished } from "./doctor-pool.js";
import { exists, folderMissing, forgetRecord, heldByGone, movedWorktree, recheckGone } from "./doctor-repair.js";
import { type DoctorFacts, type Finding, finding } from "./doctor-types.js";
import { shQuote } from "./envfile.js";
import { excludeBlockIds } from "./exclude.js";
import { movedEntry } from "./moved.js";
import { idKey } from "./names.js";
import { readPoolRecords } from "./pool/state.js";
import { processAlive } from "./process.js";
import type { WorktreeRecord } from "./state.js";
import { trashedWorktree } from "./trash.js";

/**
 * The three-way check of seed 002 (research round 2, §5): for every managed id and every
 * worktree git lists, wt's record (R), the folder with a `.git` file that leads back to this
 * repository (D) and git's registration (G), held against each other.
 */

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function samePath(a: string, b: string): boolean {
  return a === b || real(a) === real(b);
}

/** The linked worktrees git lists (not the main worktree, not a bare repository's entry). */
export function linkedEntries(facts: DoctorFacts): WorktreeEntry[] {
  return facts.entries.filter((e) => !e.bare && !samePath(e.path, facts.repo.mainPath));
}

/** True when the user asked about `id` (or about everything). */
export function wanted(facts: DoctorFacts, id: string): boolean {
  return facts.ids.length === 0 || facts.ids.some((x) => idKey(x) === idKey(id));
}

/**
 * Findings about records, folders and registrations; `healthy` receives the records whose
 * three facts agree (the detail checks look at those).
 */
export async function checkWorktrees(facts: DoctorFacts, healthy: WorktreeRecord[]): Promise<Finding[]> {
  const out: Finding[] = [];
  const linked = linkedEntries(facts);
  const claimed = new Set<WorktreeEntry>();
  for (const file of facts.unreadable) {
    out.push(
      finding({
        check: "record-unreadable",
        severity: "error",
        id: null,
        path: file,
        message: "wt cannot read this record, so its worktree shows as unmanaged",
        hint: `look at it, then delete it (\`rm ${shQuote(file)}\`) to forget the worktree`,
      }),
    );
  }
  const slots = readPoolRecords(facts.repo.stateDir).map((r) => r.path);
  const taken = (folder: string) =>
    facts.records.some((r) => samePath(r.path, folder)) || slots.some((s) => samePath(s, folder));
  for (const record of facts.records) {
    const entry = linked.find((e) => samePath(e.path, record.path)) ?? null;
    if (entry) claimed.add(entry);
    const moved = entry === null ? movedEntry(facts.repo.commonDir, record, linked, taken) : null;
    if (moved) claimed.add(moved);
    if (!wanted(facts, record.id)) continue;
    const f = await checkRecord(facts, record, entry, moved);
    if (f) out.push(f);
    else healthy.push(record);
  }
  if (facts.ids.length === 0) {
    for (const entry of linked) {
      const found = claimed.has(entry) ? null : await checkUnmanagedEntry(facts, entry);
      if (found) out.push(found);
    }
    out.push(...strayFolders(facts, linked));
  }
  return out;
}

async function checkRecord(
  facts: DoctorFacts,
  record: WorktreeRecord,
  entry: WorktreeEntry | null,
  moved: WorktreeEntry | null,
): Promise<Finding | null> {
  const base = { id: record.id, path: record.path };
  if (record.state === "creating" && record.pid !== process.pid && processAlive(record.pid)) {
    return finding({
      ...base,
      check: "create-in-progress",
      severity: "info",
      message: `wt create (pid ${record.pid}) is making it now`,
    });
  }
  if (moved) return (await releaseUnfinished(facts, record, moved)) ?? movedWorktree(facts, record, moved);
  const folder = exists(record.path);
  if (!folder && entry) return folderMissing(facts, record, entry);
  if (!folder) {
    // git lists it in wt's trash (`git worktree repair` run inside it): neither stale nor moved.
    const trashed = trashedWorktree(facts.repo.stateDir, facts.repo.commonDir, record.path);
    if (trashed !== null) {
      return finding({
        ...base,
        check: "folder-missing",
        severity: "error",
        message: `the worktree is in wt's trash (${trashed}), left there by a stopped cleanup, and git lists it there now (\`git worktree repair\` was run inside it)`,
        hint: `\`mv ${shQuote(trashed)} ${shQuote(record.path)}\`, then \`git -C ${shQuote(facts.repo.mainPath)} worktree repair ${shQuote(record.path)}\``,
      });
    }
    return staleRecord(facts, record);
  }
  if (!entry) {
    return finding({
      ...base,
      check: "unregistered-folder",
      severity: "error",
      message:
        "the folder is there but git no longer lists it (its admin dir under .git/worktrees was deleted); wt never deletes a folder that exists",
      hint: `save any work in it, move it aside (\`mv ${shQuote(record.path)} ${shQuote(`${record.path}.saved`)}\`), then \`wt cleanup ${record.id}\` and \`wt create ${record.id}\``,
    });
  }
  const link = worktreeLinkProblem(facts.repo.commonDir, record.path);
  // A stopped cleanup's folder in the trash, its path made again since (`trashLeftovers`), with
  // or without a `.git` (`git worktree repair` writes one into whatever folder is there).
  const trashed = trashedWorktree(facts.repo.stateDir, facts.repo.commonDir, record.path);
  if (trashed !== null) {
    return finding({
      ...base,
      check: "broken-link",
      severity: "error",
      message: `the worktree is in wt's trash (${trashed}), left there by a stopped cleanup; what is at its path now is another folder (${link ?? "its .git was made again since"})`,
      hint: `move what is at ${shQuote(record.path)} aside, then \`wt doctor --fix\` puts the worktree back`,
    });
  }
  if (link !== null) {
    return finding({
      ...base,
      check: "broken-link",
      severity: "error",
      message: link,
      hint: `\`git -C ${shQuote(facts.repo.mainPath)} worktree repair ${shQuote(record.path)}\` may restore the link`,
    });
  }
  return null;
}

/** Record, no folder, no registration: the fix drops the record and its exclude block (nothing else is left to lose). */
async function staleRecord(facts: DoctorFacts, record: WorktreeRecord): Promise<Finding> {
  const base = { id: record.id, path: record.path, check: "stale-record", severity: "error" as const };
  const kept = record.databases.filter((db) => exists(db.path)).map((db) => db.path);
  if (kept.length > 0) {
    return finding({
      ...base,
      message: `the folder and git's registration are gone; the record still names databases outside it: ${kept.join(", ")}`,
      hint: `keep or delete those files by hand, then \`wt cleanup ${record.id}\``,
    });
  }
  const { stateDir, commonDir } = facts.repo;
  const hasBlock = (await excludeBlockIds(commonDir)).includes(record.id);
  const commands = [
    `rm <git-common-dir>/wt/worktrees/${idKey(record.id)}.json  # frees slot ${record.slot} (and its ports in the machine's registry)`,
  ];
  if (hasBlock) commands.push(`remove the '# wt:begin ${record.id}' block from <git-common-dir>/info/exclude`);
  return finding(
    { ...base, message: "the folder and git's registration are both gone; only wt's record is left" },
    {
      commands,
      run: async () => {
        await recheckGone(stateDir, record);
        await forgetRecord(facts, record, hasBlock);
      },
    },
  );
}

/** A registration no record has: unmanaged (folder there) or prunable (folder gone). */
async function checkUnmanagedEntry(facts: DoctorFacts, entry: WorktreeEntry): Promise<Finding | null> {
  const base = { id: null, path: entry.path };
  // A pool slot is wt's, not a worktree to adopt (`wt pool status` tells its state).
  if (isPoolSlot(facts, entry.path)) return null;
  if (exists(entry.path)) {
    return finding({
      ...base,
      check: "unmanaged",
      severity: "info",
      message: `a worktree wt does not manage (branch ${entry.branch ?? "detached"}); not a fault`,
      hint: `leave it, or make it a managed one: \`wt adopt ${shQuote(entry.path)}\``,
    });
  }
  if (entry.locked !== null) {
    const own = createLockOwner(entry.locked);
    return finding({
      ...base,
      check: "git-prunable",
      severity: "warning",
      message: `the folder is gone and git keeps the registration locked (${entry.locked || "no reason"})${own === null ? ": a lock wt did not set, so wt leaves it" : ""}`,
      hint: `if nothing needs it: \`git -C ${shQuote(facts.repo.mainPath)} worktree unlock ${shQuote(entry.path)}\`, then \`wt doctor --fix\``,
    });
  }
  const main = facts.repo.mainPath;
  const work = await goneFolderWork(facts.at, facts.repo.commonDir, entry.path, entry);
  if (work !== null) return heldByGone({ ...base, check: "git-prunable", severity: "warning" }, work, entry.path);
  return finding(
    {
      ...base,
      check: "git-prunable",
      severity: "warning",
      message: `git lists a worktree whose folder is gone (${entry.prunable ?? "folder missing"})${entry.branch ? `; it keeps branch ${entry.branch} "checked out"` : ""}`,
    },
    {
      commands: [`git -C ${shQuote(main)} worktree remove ${shQuote(entry.path)}`],
      run: async () => {
        if (exists(entry.path)) throw new Error(`${entry.path} exists again; left alone`);
        await removeMissingWorktree(facts.at, entry.path);
      },
    },
  );
}

/**
 * Folders in wt's worktree folders that neither git nor a record knows (a stray copy, a
 * worktree whose admin dir and record are both gone): `wt create` of that name fails on them.
 */
function strayFolders(facts: DoctorFacts, linked: WorktreeEntry[]): Finding[] {
  const known = new Set([...linked.map((e) => real(e.path)), ...facts.records.map((r) => real(r.path))]);
  // The pool's own folder (`.pool` inside the worktrees' folder by default) is wt's.
  if (facts.poolHolder !== null) known.add(real(facts.poolHolder));
  const out: Finding[] = [];
  for (const dir of facts.worktreeDirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const p = path.join(dir, name);
      let isDir = false;
      try {
        isDir = lstatSync(p).isDirectory();
      } catch {}
      if (!isDir || known.has(real(p))) continue;
      out.push(
        finding({
          id: null,
          path: p,
          check: "orphan-folder",
          severity: "warning",
          message:
            "a folder among the worktrees that neither git nor wt knows; `wt create` of this name fails while it is there",
          hint: `look inside, then move it aside or delete it yourself (\`mv ${shQuote(p)} ${shQuote(`${p}.saved`)}\`): wt never deletes it`,
        }),
      );
    }
  }
  return out;
}
