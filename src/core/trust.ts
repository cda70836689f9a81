import { remoteUrl } from "../git/repo.js";
import type { WtConfig } from "./config.js";
import type { WtContext } from "./context.js";
import { InterruptedError, UntrustedError } from "./errors.js";
import { nodeCrypto } from "./lazy-crypto.js";
import { gitAt, openSession, type Session } from "./session.js";
import { type RepoCommand, readTrustStore, type TrustEntry, updateTrustEntry } from "./trust-store.js";

export type { RepoCommand } from "./trust-store.js";

/**
 * Trust for the commands a repository brings (docs/contract.md, "Agents: Claude Code hooks,
 * trust"): `hooks.*` and `databases[].init` run only once this user trusted exactly that list
 * for this repository, as worktrunk's hash-pinned approvals and `git gtr trust` do. Core never
 * reads a terminal: the question goes through `ctx.confirm`, which the CLI sets only when stdin
 * and stderr are terminals.
 */

/**
 * Every command of wt.config.json that comes from the repository, in a canonical order: each
 * `hooks` list (keys sorted, so a hook phase added later is covered without a change here),
 * then each `databases[i].init`, then each `pool.warm` command.
 */
export function repositoryCommands(config: WtConfig): RepoCommand[] {
  const out: RepoCommand[] = [];
  const hooks = config.hooks as unknown as Record<string, readonly string[] | undefined>;
  for (const phase of Object.keys(hooks).sort()) {
    (hooks[phase] ?? []).forEach((command, i) => {
      out.push({ source: `hooks.${phase}[${i}]`, command });
    });
  }
  config.databases.forEach((db, i) => {
    if (db.init) out.push({ source: `databases[${i}].init`, command: db.init });
  });
  config.pool.warm.forEach((command, i) => {
    out.push({ source: `pool.warm[${i}]`, command });
  });
  return out;
}

/** The commands of `all` whose source starts with one of `prefixes` (`hooks.postCreate`, `databases`). */
export function commandsFrom(all: readonly RepoCommand[], prefixes: readonly string[]): RepoCommand[] {
  return all.filter((c) => prefixes.some((p) => c.source.startsWith(`${p}[`) || c.source.startsWith(`${p}.`)));
}

/** sha256 (hex) of the canonical list: a change to any command, its place or its order changes it. */
export function commandsDigest(commands: readonly RepoCommand[]): string {
  return nodeCrypto()
    .createHash("sha256")
    .update(JSON.stringify(commands.map((c) => [c.source, c.command])))
    .digest("hex");
}

/** True when the caller trusts the repository for this run: `--trust` (`ctx.trust`) or `WT_TRUST=1`. */
export function trustedForThisRun(ctx: WtContext): boolean {
  const v = ctx.env.WT_TRUST;
  return ctx.trust === true || v === "1" || v === "true" || v === "yes";
}

/** Where this repository's trust stands. */
export interface TrustStatus {
  /** The main worktree's real path (the key in the store). */
  main: string;
  /** Remote `origin`'s URL without credentials, or null. */
  origin: string | null;
  sha256: string;
  commands: RepoCommand[];
  /** True when the store holds exactly these commands for this path and origin. */
  trusted: boolean;
  /** True when an entry exists for this repository but its commands or origin differ. */
  changed: boolean;
  trustedAt: string | null;
}

/**
 * The trust of the session's repository. The key is the main worktree's real path and the
 * origin URL: the path is what the user looked at when trusting; the origin is where the code
 * comes from (a different repository cloned into the same folder later is not trusted), and
 * reading it costs one `git config`, where the root commit would walk the whole history.
 */
export async function trustStatus(session: Session): Promise<TrustStatus> {
  const commands = repositoryCommands(session.config);
  const sha256 = commandsDigest(commands);
  const main = session.repo.mainPath;
  const url = await remoteUrl(gitAt(session), "origin");
  const origin = url === null ? null : withoutCredentials(url);
  const entry = (await readTrustStore(session.env)).repos[main];
  const trusted = entry !== undefined && entry.sha256 === sha256 && entry.origin === origin;
  return {
    main,
    origin,
    sha256,
    commands,
    trusted,
    changed: entry !== undefined && !trusted,
    trustedAt: trusted ? entry.trustedAt : null,
  };
}

/** A remote URL with its user and password removed (a token in an https URL stays out of the store). */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url; // scp-like `git@host:path`: no password in it
  }
}

/** Records `status` (its commands, path and origin) as trusted. */
async function recordTrust(ctx: WtContext, status: TrustStatus): Promise<void> {
  const entry: TrustEntry = {
    main: status.main,
    origin: status.origin,
    sha256: status.sha256,
    commands: status.commands,
    trustedAt: new Date().toISOString(),
  };
  await updateTrustEntry(ctx, status.main, () => entry);
}

/** The commands as the prompt and the error list them. */
function listing(commands: readonly RepoCommand[]): string {
  return commands.map((c) => `  ${c.source}: ${c.command}`).join("\n");
}

/**
 * Throws unless the repository commands `verb` would run may run: none would run, the caller
 * trusts them for this run (`--trust`, `WT_TRUST=1`), the store trusts this exact list, or the
 * user says yes on a terminal (`ctx.confirm`; then it is recorded). Called while planning,
 * before anything is made. `--dry-run` never asks: it says what would be asked.
 * @param runs the commands this verb would run (a subset of `repositoryCommands`)
 * @throws UntrustedError (exit 2) naming `wt trust`; InterruptedError (130) when the question
 *   is interrupted.
 */
export async function requireTrust(
  session: Session,
  ctx: WtContext,
  need: { verb: string; runs: readonly RepoCommand[]; dryRun?: boolean },
): Promise<void> {
  if (need.runs.length === 0 || trustedForThisRun(ctx)) return;
  const status = await trustStatus(session);
  if (status.trusted) return;
  const why = status.changed ? "changed since you trusted them" : "which you have not trusted";
  const what = `${need.verb} would run commands from this repository's wt.config.json, ${why}:\n${listing(status.commands)}`;
  if (ctx.confirm && !need.dryRun) {
    let yes: boolean;
    try {
      yes = await ctx.confirm(`${what}\nTrust them (recorded for ${status.main}) and go on?`);
    } catch (e) {
      if (ctx.signal?.aborted) throw new InterruptedError();
      throw e;
    }
    if (yes) {
      await recordTrust(ctx, status);
      return;
    }
  }
  throw new UntrustedError(
    need.dryRun && ctx.confirm ? `${what}\n(without --dry-run, wt asks whether to trust them)` : what,
    "review them, then run `wt trust` (or pass --trust / set WT_TRUST=1 for one run; --no-hooks runs none of them)",
    status.commands,
  );
}

/** The result of `wt trust [--show | --revoke]`. */
export interface TrustResult extends TrustStatus {
  action: "trust" | "show" | "revoke";
  /** `--revoke`: true when an entry was removed. */
  revoked?: boolean;
}

/**
 * `wt trust`: records the repository's current commands as trusted (nothing to record when it
 * has none); `show`: says what they are and whether they are trusted; `revoke`: removes the
 * repository's entry.
 * @throws UsageError (2) outside a repository or without HOME/XDG_STATE_HOME; ConfigError (2)
 *   for an unreadable config or trust store; BusyError (4) when the store's lock stays held.
 */
export async function trustRepository(ctx: WtContext, action: TrustResult["action"]): Promise<TrustResult> {
  const session = await openSession(ctx);
  const status = await trustStatus(session);
  if (action === "show") return { ...status, action };
  if (action === "revoke") {
    let revoked = false;
    await updateTrustEntry(ctx, status.main, (entry) => {
      revoked = entry !== undefined;
      return null;
    });
    return { ...status, trusted: false, changed: false, trustedAt: null, action, revoked };
  }
  if (status.commands.length > 0 && !status.trusted) await recordTrust(ctx, status);
  return { ...(await trustStatus(session)), action };
}
