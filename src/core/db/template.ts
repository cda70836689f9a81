import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { access, lstat, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { GitAt } from "../../git/run.js";
import { trackedAmong } from "../../git/tracked.js";
import { ConfigError, ConflictError } from "../errors.js";
import { isInside } from "../fs-safe.js";

/**
 * Resolves a configured `databases[].template` against the main worktree and checks it.
 *
 * The rule (docs/contract.md "Databases"; issue 9, items 4 and 9): the template's path AS
 * CONFIGURED must lie inside the main worktree, so that a cloned repository cannot name the
 * user's files (`"../outside/x.sqlite"`, an absolute path elsewhere). A symlink at that path
 * (or a symlinked folder on the way) is resolved: `ln -s /elsewhere/agent.db data/agent.db` is
 * a user sharing one database between checkouts, and the worktree gets a real file with the
 * content of the file the link leads to (`templateSource`), never the link itself. Whatever
 * the path leads to must be a regular file: a folder, FIFO or device is refused (a FIFO would
 * block the copy forever while wt holds the repository lock).
 * @param configured the config's value, placeholders already expanded
 * @param main the main worktree (`cwd`), with the caller's environment for git
 * @param key the config key for messages, e.g. `databases[0].template`
 * @returns the absolute path as configured (inside `mainPath`; not resolved)
 * @throws ConfigError (exit 2, naming `key`) for a path outside the main worktree or one that
 *   is not a regular file; ConflictError (exit 3, code `template-missing`) for a missing or
 *   unreadable template (a dangling symlink included)
 */
export async function resolveTemplate(configured: string, main: GitAt, key: string): Promise<string> {
  const mainPath = main.cwd;
  const template = path.resolve(mainPath, configured);
  if (template === mainPath || !isInside(mainPath, template)) {
    throw new ConfigError(
      `${key}: the template ${template} is outside the main worktree ${mainPath}; a template must be a file inside the main worktree`,
      "put the template database in the main worktree (e.g. data/agent.db) and name it relative to it; a symlink there may lead to a file elsewhere",
    );
  }
  const source = await templateSource(template, key);
  await refuseCommittedEscape(template, source, main, key);
  return template;
}

/**
 * A template that leads out of the main worktree is the user's own link (`ln -s
 * /elsewhere/agent.db data/agent.db`, untracked) or an attack: a link committed to the
 * repository would let a freshly cloned repository copy any database the user can read into a
 * worktree (issue 9, item 9). So when the real file is outside the main worktree, no symlink on
 * the configured path may be one git tracks.
 * @throws ConfigError (exit 2, naming `key`) for a committed link that leads out
 */
async function refuseCommittedEscape(template: string, source: string, main: GitAt, key: string): Promise<void> {
  const mainPath = main.cwd;
  if (isInside(await realpath(mainPath), source)) return;
  const links: string[] = [];
  const parts = path.relative(mainPath, template).split(path.sep);
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join("/");
    const st = await lstat(path.join(mainPath, rel)).catch(() => null);
    if (st?.isSymbolicLink()) links.push(rel);
  }
  const committed = await trackedAmong(main, links);
  if (committed.length > 0) {
    throw new ConfigError(
      `${key}: the template ${template} leads to ${source}, outside the main worktree, through the symlink ${committed[0]} committed to the repository; a repository may not make wt copy files from elsewhere`,
      "put the template database in the main worktree, or make the link yourself without committing it (e.g. a git-ignored link)",
    );
  }
}

/**
 * The real file a template path leads to (`realpath(3)`: every symlink resolved), checked to
 * be a readable regular file. The engines open this file, not the link: SQLite and DuckDB
 * resolve links themselves, so their locks and `-wal`/`.wal` files are the real file's, and
 * `cp -a` of a link would copy the link (a relative one then dangles in the worktree).
 * @param key the config key for messages (or a description such as "the template")
 * @throws as `resolveTemplate`
 */
export async function templateSource(template: string, key: string): Promise<string> {
  let source: string;
  try {
    source = await realpath(template);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP") {
      throw new ConfigError(
        `${key}: the template ${template} is a symlink loop`,
        "point `template` at a database file",
      );
    }
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EACCES") throw e;
    const link = await lstat(template).then(
      (st) => st.isSymbolicLink(),
      () => false,
    );
    throw missingTemplate(template, key, link ? "a symlink whose target is missing" : "not found");
  }
  const st = await stat(source);
  if (!st.isFile()) {
    const via = source === template ? "" : ` (a symlink to ${source})`;
    throw new ConfigError(
      `${key}: the template ${template}${via} is ${kindOf(st)}, not a regular file`,
      "point `template` at a SQLite or DuckDB database file",
    );
  }
  try {
    await access(source, constants.R_OK);
  } catch {
    throw missingTemplate(template, key, "not readable");
  }
  return source;
}

function missingTemplate(template: string, key: string, why: string): ConflictError {
  return new ConflictError(
    `database template ${why}: ${template} (${key})`,
    "create the template database, or remove `template` to start from an empty database",
    "template-missing",
  );
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a file";
}
