import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeAtomic } from "./atomic.js";
import type { WtContext } from "./context.js";
import { ConfigError, UsageError } from "./errors.js";
import { withRepoLock } from "./lock.js";

/**
 * The user's trust store: `$XDG_STATE_HOME/wt/trust.json` (default `~/.local/state/wt/`), one
 * entry per repository. It lives in the user's state, never in the repository, so a repository
 * cannot ship its own approval.
 */

/** One command that comes from the repository, named by where it is in wt.config.json. */
export interface RepoCommand {
  /** `hooks.postCreate[0]`, `databases[1].init`, ... */
  source: string;
  command: string;
}

/** What `wt trust` recorded for one repository. */
export interface TrustEntry {
  /** The main worktree's real path: the key of the entry. */
  main: string;
  /** Where the repository comes from (remote `origin`, credentials removed), or null. */
  origin: string | null;
  /** sha256 (hex) of the canonical command list (`commandsDigest`). */
  sha256: string;
  /** The commands trusted, for `wt trust --show` after they changed. */
  commands: RepoCommand[];
  /** ISO 8601. */
  trustedAt: string;
}

interface TrustFile {
  version: 1;
  repos: Record<string, TrustEntry>;
}

/**
 * The folder of the trust store. XDG Base Directory spec: `$XDG_STATE_HOME` when it is set to
 * an absolute path (a relative one is invalid and ignored), else `$HOME/.local/state`.
 * @throws UsageError (exit 2) when neither gives an absolute folder.
 */
export function trustDir(env: WtContext["env"]): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "wt");
  const home = env.HOME;
  if (home && path.isAbsolute(home)) return path.join(home, ".local", "state", "wt");
  throw new UsageError(
    "wt cannot find where to keep its trust store: neither XDG_STATE_HOME nor HOME is an absolute folder",
    "set HOME (or XDG_STATE_HOME), or pass --trust / set WT_TRUST=1 for this run",
  );
}

/** Absolute path of `trust.json`. */
export function trustFile(env: WtContext["env"]): string {
  return path.join(trustDir(env), "trust.json");
}

/**
 * Reads the trust store; a missing file is an empty store.
 * @throws ConfigError (exit 2) naming the file when it is not a trust store wt wrote: wt
 *   neither trusts from it nor overwrites what it cannot read.
 */
export async function readTrustStore(env: WtContext["env"]): Promise<TrustFile> {
  const file = trustFile(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, repos: {} };
    throw e;
  }
  try {
    const doc = JSON.parse(text) as TrustFile;
    if (doc?.version === 1 && typeof doc.repos === "object" && doc.repos !== null) return doc;
  } catch {
    // reported below
  }
  throw new ConfigError(`${file} is not a trust store wt can read`, `remove it (\`rm '${file}'\`) and trust again`);
}

/**
 * Changes the entry of `main` under the store's lock (the repository lock code, on the store's
 * folder: two `wt trust` at once never lose each other's entry), written atomically (temp
 * file and rename).
 * @param change gets the current entry (or undefined) and returns the new one, or null to remove it.
 */
export async function updateTrustEntry(
  ctx: WtContext,
  main: string,
  change: (entry: TrustEntry | undefined) => TrustEntry | null,
): Promise<void> {
  const dir = trustDir(ctx.env);
  await withRepoLock(dir, { timeoutMs: 10_000, purpose: "wt trust", onWait: ctx.onNotice }, async (held) => {
    const store = await readTrustStore(ctx.env);
    const next = change(store.repos[main]);
    if (next === null) delete store.repos[main];
    else store.repos[main] = next;
    held.throwIfLost();
    await writeAtomic(path.join(dir, "trust.json"), `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  });
}
