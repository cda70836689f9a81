import path from "node:path";
import { SIDECAR_SUFFIXES } from "../databases.js";
import { exactPattern } from "../exclude.js";
import { checkWorktreeRoot, isInside } from "../fs-safe.js";
import type { Session } from "../session.js";
import type { WorktreeRecord } from "../state.js";
import type { Step } from "../steps/step.js";
import { checkoutProvisioner } from "./checkout.js";
import { databasesProvisioner } from "./databases.js";
import { auditEnvFile, envFileProvisioner } from "./envfile.js";
import { excludesProvisioner } from "./excludes.js";
import { includesProvisioner } from "./includes.js";
import { recordProvisioner } from "./record.js";
import type {
  ApplyScope,
  AuditReport,
  OwnedSource,
  Provisioner,
  RecreateScope,
  TeardownScope,
  UntrackedTarget,
} from "./types.js";

/**
 * Every thing a worktree gets, in the order create makes them (cleanup removes them in the
 * reverse order). A new concern is one file and one entry here.
 */
export const PROVISIONERS: readonly Provisioner[] = [
  recordProvisioner,
  excludesProvisioner,
  checkoutProvisioner,
  includesProvisioner,
  envFileProvisioner,
  databasesProvisioner,
];

/**
 * The one list of what wt itself writes into a worktree, worktree-relative and `/`-separated,
 * from every provisioner's `owned`: it feeds info/exclude at create and cleanup's "wt's own
 * files" (never reported as the user's ignored files), so the two cannot drift apart.
 */
export function ownedPaths(source: OwnedSource): string[] {
  return [...new Set(PROVISIONERS.flatMap((p) => p.owned?.(source) ?? []))];
}

/**
 * The order in which `planNew` runs the provisioners' `plan`: list order, except that one plans
 * after those its `planAfter` names (the checkout before the record, which holds the branch
 * the checkout chose; the databases before the env file, which holds their paths), and a
 * `planAfter: "all"` (info/exclude, which covers every owned path) after every other one.
 * So the refusals come in the order the facts they need come in.
 * @throws Error (a bug) when `planAfter` entries form a circle.
 */
export function planOrder(list: readonly Provisioner[] = PROVISIONERS): Provisioner[] {
  const known = new Set(list.map((p) => p.name));
  const pending = list.filter((p) => p.planAfter !== "all");
  const order: Provisioner[] = [];
  const planned = new Set<string>();
  while (pending.length > 0) {
    const i = pending.findIndex((p) =>
      ((p.planAfter as readonly string[] | undefined) ?? []).every((n) => planned.has(n) || !known.has(n)),
    );
    if (i < 0)
      throw new Error(`provisioners plan after each other in a circle: ${pending.map((p) => p.name).join(", ")}`);
    const [next] = pending.splice(i, 1) as [Provisioner];
    order.push(next);
    planned.add(next.name);
  }
  return [...order, ...list.filter((p) => p.planAfter === "all")];
}

/** Every provisioner's `untracked`, in list order: the paths a new worktree's start may not track. */
export function untrackedTargets(source: OwnedSource): UntrackedTarget[] {
  return PROVISIONERS.flatMap((p) => p.untracked?.(source) ?? []);
}

/**
 * Every provisioner's `audit` of `record` (they only read, so side by side), in list order:
 * what cleanup reports and what `cleanup.protect` guards.
 */
export async function auditReports(record: WorktreeRecord, session: Session): Promise<AuditReport[]> {
  const scope = { session, owned: ownedPaths(record), ownFiles: ownFiles(record) };
  return Promise.all(PROVISIONERS.map((p) => p.audit?.(record, scope) ?? Promise.resolve({})));
}

/**
 * The copies of `record` edited, replaced or added to since wt brought them (the includes'
 * audit), and the env file when lines were added to it (`auditEnvFile`): what a release,
 * which deletes them, would lose.
 */
export async function editedCopiesOf(record: WorktreeRecord, session: Session): Promise<string[]> {
  const scope = { session, owned: ownedPaths(record), ownFiles: ownFiles(record) };
  const reports = await Promise.all([includesProvisioner.audit?.(record, scope), auditEnvFile(record, scope)]);
  return reports.flatMap((r) => r?.edited ?? []);
}

/** Absolute paths of the files wt writes after the copies: the env file, databases and sidecars. */
export function ownFiles(record: WorktreeRecord): Set<string> {
  return new Set([
    path.join(record.path, record.envFile),
    ...record.databases.flatMap((d) => [d.path, ...SIDECAR_SUFFIXES.map((x) => `${d.path}${x}`)]),
  ]);
}

/**
 * The exact info/exclude patterns of `ownedPaths`, plus the worktree folder itself when it
 * lies inside the main worktree (`trees/101` must not show in the main worktree's status).
 */
export function excludePatterns(source: OwnedSource, mainPath: string): string[] {
  const patterns = ownedPaths(source).map(exactPattern);
  if (isInside(mainPath, source.path) && source.path !== mainPath) {
    patterns.push(`${exactPattern(path.relative(mainPath, source.path).split(path.sep).join("/"))}/`);
  }
  return patterns;
}

/**
 * Create's steps from every provisioner, in order. A step that writes in the worktree folder
 * first checks that it is still the worktree git made (`checkWorktreeRoot`), its undo too: an
 * undo that unlinks `<worktree>/.env` must not unlink the main worktree's through a swapped-in link.
 */
export function applySteps(scope: ApplyScope): Step[] {
  const { record } = scope.plan;
  return PROVISIONERS.flatMap((p) => {
    const steps = p.apply(scope);
    return p.inFolder ? steps.map((s) => guardRoot(s, scope.session, record.path)) : steps;
  });
}

/** Re-create's steps from every provisioner that checks and completes, in create's order. */
export async function completeSteps(record: WorktreeRecord, scope: RecreateScope): Promise<Step[]> {
  const steps: Step[] = [];
  for (const p of PROVISIONERS) steps.push(...((await p.complete?.(record, scope)) ?? []));
  return steps;
}

/** Cleanup's steps from every provisioner, from the record alone, in the reverse of create's order. */
export function teardownSteps(record: WorktreeRecord, scope: TeardownScope, except: readonly string[] = []): Step[] {
  return [...PROVISIONERS]
    .reverse()
    .filter((p) => !except.includes(p.name))
    .flatMap((p) => p.teardown?.(record, scope) ?? []);
}

/** `step`, its run and its undo each first checking that `worktree` is still the folder git registered. */
export function guardRoot(step: Step, session: Session, worktree: string): Step {
  const { run, undo } = step;
  const check = () => checkWorktreeRoot(worktree, session.repo.commonDir);
  return {
    ...step,
    run: async () => {
      await check();
      await run();
    },
    ...(undo
      ? {
          undo: async () => {
            await check();
            await undo();
          },
        }
      : {}),
  };
}
