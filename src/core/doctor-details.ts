import { lstatSync, readlinkSync, type Stats } from "node:fs";
import { chmod } from "node:fs/promises";
import path from "node:path";
import { unlockWorktree } from "../git/worktree.js";
import { createLockOwner } from "./create-lock.js";
import { type DoctorFacts, type Finding, finding } from "./doctor-types.js";
import { linkedEntries, wanted } from "./doctor-worktrees.js";
import { shQuote, worktreeVariables, writeEnvFile } from "./envfile.js";
import { excludeBlockIds, removeExcludes, setExcludes } from "./exclude.js";
import { idKey } from "./names.js";
import { readListeningPorts } from "./ports.js";
import { processAlive } from "./process.js";
import { listenersOf, matchProcesses } from "./processes.js";
import type { WorktreeRecord } from "./state.js";
import { isTrashLock } from "./trash.js";

/**
 * The checks `wt doctor` runs on records whose record, folder and registration agree
 * (research round 2, §5b "Sub-checks"), and on wt's repository-wide files.
 */

function lstatOr(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** Two records holding one slot, or one port: both worktrees' servers would collide. */
export function checkSlots(facts: DoctorFacts): Finding[] {
  const out: Finding[] = [];
  const records = facts.records;
  for (const r of records) {
    if (!wanted(facts, r.id)) continue;
    const ports = new Set(Object.values(r.ports));
    const others = records.filter(
      (o) => o !== r && (o.slot === r.slot || Object.values(o.ports).some((p) => ports.has(p))),
    );
    if (others.length === 0) continue;
    out.push(
      finding({
        check: "slot-collision",
        severity: "error",
        id: r.id,
        path: r.path,
        message: `slot ${r.slot} (${
          Object.entries(r.ports)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ") || "no ports"
        }) is also held by ${others.map((o) => `${o.id} (slot ${o.slot})`).join(", ")}`,
        hint: `clean up one of them (\`wt cleanup ${others[0]?.id}\`) and create it again: \`wt create\` picks a free slot`,
      }),
    );
  }
  return out;
}

/** Ports of a healthy worktree that another process listens on. */
export function checkPorts(facts: DoctorFacts, record: WorktreeRecord): Finding[] {
  const out: Finding[] = [];
  const target = { id: record.id, path: record.path, main: facts.repo.mainPath, ports: {} };
  const own = new Set(matchProcesses(facts.snapshot, target, facts.skip).map((m) => m.pid));
  const kernel = readListeningPorts();
  for (const [name, port] of Object.entries(record.ports)) {
    // No skip list here: wt's own ancestor (the shell or a test runner) holding the port
    // still keeps this worktree's server off it.
    const holders = listenersOf(facts.snapshot, port, new Set()).filter((p) => !own.has(p.pid));
    const unseen =
      holders.length === 0 && kernel?.has(port) === true && (facts.snapshot.listeners.get(port)?.size ?? 0) === 0;
    if (holders.length === 0 && !unseen) continue;
    const who = unseen
      ? "a process wt cannot see (another user's?)"
      : holders.map((p) => `pid ${p.pid} (${p.command})`).join(", ");
    out.push(
      finding({
        check: "port-foreign",
        severity: "warning",
        id: record.id,
        path: record.path,
        message: `${name}=${port} is held by ${who}, not by this worktree's processes`,
        hint: unseen
          ? `find it: \`ss -ltnp 'sport = :${port}'\``
          : `stop it if it is not yours to keep: \`kill ${holders[0]?.pid}\``,
      }),
    );
  }
  return out;
}

/** The env file: there, a regular file, mode 0600 (it may hold secrets from `env`). */
export function checkEnvFile(facts: DoctorFacts, record: WorktreeRecord): Finding[] {
  const file = path.join(record.path, record.envFile);
  const base = { id: record.id, path: file };
  const st = lstatOr(file);
  if (st === null) {
    return [
      finding(
        {
          ...base,
          check: "env-file-missing",
          severity: "warning",
          message: `${record.envFile} is gone from the worktree`,
        },
        {
          commands: [`write ${shQuote(file)} (mode 0600) from wt's record`],
          run: async () => {
            if (lstatOr(file) !== null) throw new Error(`${file} exists again; left alone`);
            await writeEnvFile(record.path, record.envFile, worktreeVariables(record, facts.repo.mainPath));
          },
        },
      ),
    ];
  }
  if (!st.isFile()) {
    const what = st.isSymbolicLink() ? `a symlink to ${readlinkSync(file)}` : "not a regular file";
    return [
      finding({
        ...base,
        check: "env-file-not-regular",
        severity: "warning",
        message: `${record.envFile} is ${what}; wt writes a regular file there`,
        hint: `look at it, remove it, and run \`wt create ${record.id}\` to write it again`,
      }),
    ];
  }
  const mode = st.mode & 0o777;
  if (mode === 0o600) return [];
  return [
    finding(
      {
        ...base,
        check: "env-file-mode",
        severity: "warning",
        message: `${record.envFile} has mode ${mode.toString(8).padStart(4, "0")}, not 0600: other users may read it`,
      },
      {
        commands: [`chmod 600 ${shQuote(file)}`],
        run: async () => {
          const now = lstatOr(file);
          if (!now?.isFile()) throw new Error(`${file} is no longer a regular file; left alone`);
          await chmod(file, 0o600);
        },
        undo: async () => {
          await chmod(file, mode).catch(() => {});
        },
      },
    ),
  ];
}

/** Database files the record names that are gone. */
export function checkDatabases(record: WorktreeRecord): Finding[] {
  return record.databases
    .filter((db) => lstatOr(db.path) === null)
    .map((db) =>
      finding({
        check: "database-missing",
        severity: "error",
        id: record.id,
        path: db.path,
        message: `the ${db.engine} database ${db.env} is gone`,
        hint: `\`wt create ${record.id}\` checks the worktree and makes what is missing`,
      }),
    );
}

/** wt's own git lock left by a create that died after its last step, and a user's lock (reported only). */
export function checkGitLock(facts: DoctorFacts, record: WorktreeRecord): Finding[] {
  const entry = linkedEntries(facts).find((e) => e.path === record.path);
  if (!entry || entry.locked === null) return [];
  const base = { id: record.id, path: record.path };
  const pid = createLockOwner(entry.locked);
  if (isTrashLock(entry.locked)) {
    // In the trash: the folder-missing finding says so and its fix lifts the lock.
    if (!lstatSync(record.path, { throwIfNoEntry: false })) return [];
    // A cleanup stopped just before moving the folder; the next `wt cleanup` goes on past it.
    return [
      finding({
        ...base,
        check: "locked",
        severity: "info",
        message: `git lock of a wt cleanup that stopped before moving the folder (${entry.locked}); \`wt cleanup ${record.id}\` goes on past it`,
        hint: `to keep the worktree: \`git -C ${shQuote(facts.repo.mainPath)} worktree unlock ${shQuote(record.path)}\``,
      }),
    ];
  }
  if (pid === null) {
    return [
      finding({
        ...base,
        check: "locked",
        severity: "info",
        message: `git lock set by the user (${entry.locked || "no reason"}); wt never lifts it`,
      }),
    ];
  }
  if (pid === process.pid || processAlive(pid) || record.state === "creating") return [];
  const main = facts.repo.mainPath;
  return [
    finding(
      {
        ...base,
        check: "stale-create-lock",
        severity: "warning",
        message: `git still holds the lock of a wt create (pid ${pid}) that is gone`,
      },
      {
        commands: [`git -C ${shQuote(main)} worktree unlock ${shQuote(record.path)}`],
        run: () => unlockWorktree(facts.at, record.path),
      },
    ),
  ];
}

/** A record whose create or postCreate hooks did not finish, and whose process is gone. */
export function checkIncomplete(record: WorktreeRecord): Finding[] {
  if (
    record.state === "ready" ||
    (record.pid !== process.pid && processAlive(record.pid) && record.state === "creating")
  )
    return [];
  return [
    finding({
      check: "incomplete",
      severity: "warning",
      id: record.id,
      path: record.path,
      message:
        record.state === "creating"
          ? `its create (pid ${record.pid}) did not finish`
          : "its postCreate hooks have not all succeeded",
      hint: `\`wt create ${record.id}\` finishes it, or \`wt cleanup ${record.id}\` removes it`,
    }),
  ];
}

/**
 * info/exclude: a block of an id with no record (stale; removed by `--fix` unless some
 * unmanaged worktree may still hold that id's files, which the block keeps out of `git add -A`),
 * and a healthy record's block that is missing (written again by `--fix`).
 */
export async function checkExcludes(facts: DoctorFacts, healthy: readonly WorktreeRecord[]): Promise<Finding[]> {
  const { commonDir } = facts.repo;
  const blocks = await excludeBlockIds(commonDir);
  const out: Finding[] = [];
  const recordIds = new Set(facts.records.map((r) => idKey(r.id)));
  const unmanaged = linkedEntries(facts).some(
    (e) => !facts.records.some((r) => r.path === e.path) && lstatOr(e.path) !== null,
  );
  for (const id of blocks) {
    if (recordIds.has(idKey(id)) || !wanted(facts, id)) continue;
    const base = {
      check: "exclude-stale",
      severity: "warning" as const,
      id,
      path: path.join(commonDir, "info", "exclude"),
    };
    const message = `info/exclude holds wt's block for '${id}', which has no record`;
    if (unmanaged) {
      out.push(
        finding({
          ...base,
          message: `${message}; kept while an unmanaged worktree may hold that id's files`,
          hint: "deal with the unmanaged worktrees first (see above), then `wt doctor --fix`",
        }),
      );
      continue;
    }
    out.push(
      finding(
        { ...base, message },
        {
          commands: [`remove the '# wt:begin ${id}' block from <git-common-dir>/info/exclude`],
          run: () => removeExcludes(commonDir, id),
        },
      ),
    );
  }
  for (const r of healthy) {
    if (r.excludes.length === 0 || blocks.includes(r.id)) continue;
    out.push(
      finding(
        {
          check: "exclude-missing",
          severity: "warning",
          id: r.id,
          path: path.join(commonDir, "info", "exclude"),
          message: `wt's block for '${r.id}' is missing: its files show in \`git status\` and \`git add -A\``,
        },
        {
          commands: [
            `write the '# wt:begin ${r.id}' block (${r.excludes.length} entries) to <git-common-dir>/info/exclude`,
          ],
          run: () => setExcludes(commonDir, r.id, r.excludes),
        },
      ),
    );
  }
  return out;
}

/**
 * The repository lock (`<stateDir>/repo.lock`, see ./lock.ts) left by a wt that is gone:
 * reported only, since the next wt takes it over by itself (and only when its owner is dead).
 */
export function checkRepoLock(facts: DoctorFacts): Finding[] {
  const lockPath = path.join(facts.repo.stateDir, "repo.lock");
  let target: string;
  try {
    target = readlinkSync(lockPath);
  } catch {
    return [];
  }
  const m = /^wt-lock:1:(\d+):/.exec(target);
  if (!m || processAlive(Number(m[1]))) return [];
  return [
    finding({
      check: "stale-lock",
      severity: "info",
      id: null,
      path: lockPath,
      message: `the repository lock of wt pid ${m[1]}, which is gone; the next wt takes it over`,
    }),
  ];
}
