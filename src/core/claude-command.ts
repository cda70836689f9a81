import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

/** How this wt is running: the node executable and wt's own `bin/wt.js`. */
export interface WtInvocation {
  /** `process.execPath` of the running node (absolute, real). */
  execPath: string;
  /** Absolute path of wt's `bin/wt.js` in this installation. */
  binPath: string;
}

/**
 * The command line that starts this wt from any folder, for a settings file that outlives the
 * shell it was written from (Claude Code runs hooks through a shell with its own PATH, where
 * `wt` may be missing or be another program — Windows Terminal's `wt`):
 * - run through npx (the package sits in npm's `_npx` cache, which npm may purge at any time):
 *   `npx --yes issue-worktree` (`--yes`: npx must never stop to ask inside a hook);
 * - else `<node> <real path of bin/wt.js>`, where `<node>` is the first `node` on PATH that is the
 *   running executable (`/usr/bin/node`, `/opt/homebrew/bin/node`): that name survives upgrades
 *   of the same Node installation, while `process.execPath` names a versioned folder
 *   (`/opt/homebrew/Cellar/node/22.1.0/bin/node`) that an upgrade deletes. When no PATH entry
 *   is the running node (nvm, a shim), the running executable's own path is written: it keeps
 *   working until that Node version is removed, and `wt claude install` rewrites it.
 * Both words are shell-quoted when they hold anything but plain path characters.
 * @param env the environment whose PATH is searched.
 */
export function wtCommandPrefix(env: Readonly<Record<string, string | undefined>>, run: WtInvocation): string {
  const bin = realOrSelf(run.binPath);
  if (bin.split(path.sep).includes("_npx")) return "npx --yes issue-worktree";
  return `${shellQuote(stableNode(env.PATH ?? "", run.execPath))} ${shellQuote(bin)}`;
}

/** The first `node` on `pathVar` that is the same file as `execPath`, else `execPath`. */
function stableNode(pathVar: string, execPath: string): string {
  const running = realOrSelf(execPath);
  for (const dir of pathVar.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, "node");
    if (existsSync(candidate) && realOrSelf(candidate) === running) return candidate;
  }
  return execPath;
}

/** `text` as one word for a POSIX shell: bare when it holds only safe characters, else single-quoted. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_/.,:@%+=-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
