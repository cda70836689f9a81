import path from "node:path";
import { mergeBase } from "../git/integrated.js";
import type { WorktreeEntry } from "../git/parse.js";
import { catFileExists, revParseHead } from "../git/refs.js";
import { resolveCommit } from "../git/repo.js";
import type { AdoptIdSource } from "./adopt-id.js";
import type { WtContext } from "./context.js";
import { type DatabasePlan, planDatabases, SIDECAR_SUFFIXES } from "./databases.js";
import { checkValues, expandEnvEntries, worktreeVariables } from "./envfile.js";
import { AdoptRefusedError, BaseNotFoundError } from "./errors.js";
import { isInside, lstatOrNull, safeJoin } from "./fs-safe.js";
import { type IncludePlanEntry, planIncludes, readIncludeCandidates } from "./include.js";
import { nameFor } from "./names.js";
import { portsForSlot } from "./ports.js";
import { neverIncluded } from "./provision/includes.js";
import { excludePatterns } from "./provision/index.js";
import { chooseSlot } from "./provision/record.js";
import type { NewPlan } from "./provision/types.js";
import { gitAt, type Session } from "./session.js";
import type { WorktreeRecord } from "./state.js";

/** What `wt adopt` was asked for, resolved and checked before the lock. */
export interface AdoptTarget {
  id: string;
  idFrom: AdoptIdSource;
  /** The worktree folder, absolute and real. */
  folder: string;
  /** git's entry for it. */
  entry: WorktreeEntry;
  /** The branch checked out there, or "" when its HEAD is detached (Codex's worktrees). */
  branch: string;
  base: string;
  records: WorktreeRecord[];
  entries: WorktreeEntry[];
  warn: (m: string) => void;
}

/** An adopt's plan: create's (without a checkout), and the includes left alone because the folder has them. */
export interface AdoptPlan extends NewPlan {
  /** `.worktreeinclude` entries the folder already has: never overwritten, reported. */
  kept: IncludePlanEntry[];
}

/**
 * Plans the adoption of an existing linked worktree: reads only and throws before anything
 * is written. The base commit is where the worktree's HEAD left the base (`git merge-base`), so
 * `--merged`'s `no-commits` rule and ahead/behind mean what they mean for a created worktree.
 * @throws BaseNotFoundError (3) when the base names no commit; AdoptRefusedError (3) when the
 *   env file, a database or a sidecar already exists in its place, or the branch tracks one of
 *   them; the errors of `allocateSlot`, `planIncludes`, `planDatabases`, `checkValues`.
 */
export async function planAdopt(session: Session, ctx: WtContext, t: AdoptTarget): Promise<AdoptPlan> {
  const { repo, config } = session;
  const at = gitAt(session, t.folder, ctx.signal);
  const baseTip = await resolveCommit(gitAt(session), t.base);
  if (baseTip === null) throw new BaseNotFoundError(t.base);
  const head = await revParseHead(at);
  const baseCommit = (await mergeBase(gitAt(session), head, baseTip)) ?? baseTip;
  const slot = await chooseSlot(session, t.id, t.records, t.warn);
  const name = nameFor(t.id, config, repo.repoName);
  const values = { repo: repo.repoName, id: t.id, name };
  const all = repo.bare
    ? []
    : await planIncludes(
        await readIncludeCandidates(gitAt(session, repo.mainPath, ctx.signal)),
        repo.mainPath,
        config.include.symlink,
        config.envFile,
        neverIncluded(session, [...t.entries.map((e) => e.path), ...t.records.map((r) => r.path), t.folder]),
      );
  const { bring, kept } = await splitIncludes(t.folder, all);
  for (const e of kept) t.warn(`not bringing ${e.path}: ${t.folder} already has it (kept as it is)`);
  const databases = await planDatabases(config.databases, gitAt(session, repo.mainPath, ctx.signal), t.folder, values);
  await refuseTaken(session, t, databases, bring, head);
  const record = adoptRecord(session, t, { name, baseCommit, slot, databases });
  const vars = worktreeVariables(record, repo.mainPath);
  checkValues(vars);
  record.excludes = excludePatterns({ ...record, included: bring }, repo.mainPath);
  return {
    record,
    how: { kind: "existing", branch: t.branch },
    baseCommit,
    includes: bring,
    kept,
    databases,
    vars,
    madeParents: null,
    entries: t.entries,
  };
}

/** The includes the folder lacks, and those it already has (a file, a folder or a link at the path). */
async function splitIncludes(
  folder: string,
  entries: IncludePlanEntry[],
): Promise<{ bring: IncludePlanEntry[]; kept: IncludePlanEntry[] }> {
  const bring: IncludePlanEntry[] = [];
  const kept: IncludePlanEntry[] = [];
  for (const e of entries) {
    ((await lstatOrNull(path.join(folder, e.path))) === null ? bring : kept).push(e);
  }
  return { bring, kept };
}

/**
 * wt deletes its env file and databases at cleanup, so it never takes over a file it did not
 * make: an env file already in the folder (that no include brings in this run), a database or a
 * sidecar already at its path, or one the checked-out commit tracks, refuses the adoption.
 */
async function refuseTaken(
  session: Session,
  t: AdoptTarget,
  databases: readonly DatabasePlan[],
  bring: readonly IncludePlanEntry[],
  head: string,
): Promise<void> {
  const envRel = session.config.envFile.split(path.sep).join("/");
  const targets: { file: string; what: string; rel: string | null }[] = [
    ...(bring.some((e) => e.path === envRel)
      ? []
      : [{ file: await safeJoin(t.folder, envRel), what: "the env file (`envFile`)", rel: envRel }]),
    ...databases.flatMap((d) =>
      ["", ...SIDECAR_SUFFIXES].map((x) => ({
        file: `${d.path}${x}`,
        what: `the database ${path.basename(d.path)}`,
        rel: isInside(t.folder, d.path) ? path.relative(t.folder, `${d.path}${x}`).split(path.sep).join("/") : null,
      })),
    ),
  ];
  const again = `wt adopt ${t.folder}`;
  for (const x of targets) {
    if ((await lstatOrNull(x.file)) !== null) {
      throw new AdoptRefusedError(
        `${x.file} already exists: wt would write it as ${x.what} and delete it at cleanup, and it never takes over a file it did not make`,
        `move it away (or set another \`envFile\` / database \`path\` in wt.config.json), then run \`${again}\` again`,
      );
    }
    if (x.rel !== null && (await catFileExists(gitAt(session, t.folder), head, x.rel))) {
      throw new AdoptRefusedError(
        `the checked-out commit tracks ${x.rel}, which wt would write as ${x.what}`,
        "set another `envFile` (or database `path`) in wt.config.json, e.g. .env.wt",
      );
    }
  }
}

/** The adopted worktree's record: `creating` until its steps ran, the branch never wt's. */
function adoptRecord(
  session: Session,
  t: AdoptTarget,
  p: { name: string; baseCommit: string; slot: number; databases: DatabasePlan[] },
): WorktreeRecord {
  const { config, repo } = session;
  const record: WorktreeRecord = {
    version: 1,
    id: t.id,
    name: p.name,
    branch: t.branch,
    path: t.folder,
    base: t.base,
    baseCommit: p.baseCommit,
    // wt did not make the branch: cleanup never deletes it (docs/contract.md, adopt).
    createdBranch: false,
    slot: p.slot,
    ports: portsForSlot(config.ports, p.slot),
    envFile: config.envFile,
    env: {},
    included: [],
    databases: p.databases.map((d) => ({
      engine: d.engine,
      path: d.path,
      env: d.env,
      source: d.template ? "template" : "empty",
    })),
    excludes: [],
    state: "creating",
    pid: process.pid,
    createdAt: new Date().toISOString(),
    adopted: true,
  };
  record.env = expandEnvEntries(config.env, worktreeVariables(record, repo.mainPath));
  return record;
}
