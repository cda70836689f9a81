import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Checks, from the filesystem alone (no git process: `wt status` does it for every worktree),
 * that the linked worktree at `folder` is tied to the repository of `commonDir` the way
 * `git worktree add` ties it (gitrepository-layout(5), git-worktree(1) "DETAILS"):
 * `<folder>/.git` is a regular file `gitdir: <admin>`, `<admin>` is one of
 * `<commonDir>/worktrees/*`, and that admin dir's `gitdir` file names `<folder>/.git` back.
 *
 * Without this, git in a folder whose `.git` is gone answers for whatever repository encloses
 * it (a `worktreeDir` inside the main worktree), and a `.git` pointing at another admin dir
 * makes git compare the folder against another worktree's index: `wt cleanup` would then see
 * "no changes" and delete the user's work (issue 9, item 3).
 *
 * @returns null when the tie holds, else why not (a sentence for the user).
 */
export function worktreeLinkProblem(commonDir: string, folder: string): string | null {
  const tie = linkCheck(commonDir, folder);
  return typeof tie === "string" ? tie : null;
}

/**
 * The admin dir (`<commonDir>/worktrees/<id>`, real path) of the linked worktree at `folder`
 * when the tie `worktreeLinkProblem` checks holds, else null.
 */
export function worktreeAdminDir(commonDir: string, folder: string): string | null {
  const tie = linkCheck(commonDir, folder);
  return typeof tie === "string" ? null : tie.admin;
}

/**
 * Whether git keeps submodule repositories for the linked worktree at `folder`
 * (`<admin dir>/modules`, where `git submodule update --init` puts them): `git worktree move`
 * then refuses it ("working trees containing submodules cannot be moved or removed").
 */
export function hasModulesDir(commonDir: string, folder: string): boolean {
  const admin = worktreeAdminDir(commonDir, folder);
  return admin !== null && existsSync(path.join(admin, "modules"));
}

/**
 * The admin dir (`<commonDir>/worktrees/<id>`) whose `gitdir` file names `<folder>/.git`, read
 * from the admin dirs alone: for a worktree whose folder is gone (moved with `mv`, deleted), where
 * `worktreeAdminDir` has no `.git` file to start from. null when none does.
 */
export function adminDirNaming(commonDir: string, folder: string): string | null {
  const want = path.resolve(folder, ".git");
  return adminDirs(commonDir).find((d) => d.gitdir === want)?.admin ?? null;
}

/**
 * Every admin dir of `commonDir` (`<commonDir>/worktrees/*`) with the `.git` path its `gitdir`
 * file names, resolved from the admin dir (a relative one of `worktree.useRelativePaths`
 * included); one whose `gitdir` cannot be read (not an admin dir of a worktree) is left out.
 */
function adminDirs(commonDir: string): { admin: string; gitdir: string }[] {
  const root = path.join(commonDir, "worktrees");
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const found: { admin: string; gitdir: string }[] = [];
  for (const name of names) {
    const admin = path.join(root, name);
    try {
      found.push({ admin, gitdir: path.resolve(admin, readFileSync(path.join(admin, "gitdir"), "utf8").trim()) });
    } catch {
      // Not an admin dir of a worktree (or unreadable): none to list.
    }
  }
  return found;
}

/**
 * Where the folder `moved` (renamed away whole, e.g. into wt's trash, and named
 * `<basename>-…`) was a worktree of `commonDir` that git still lists: the path in the admin
 * dir's `TRASH_MARK` that names `moved`. An admin dir with no mark (a wt before it moved the
 * folder) ties by the path its `gitdir` names, whose basename is `basename`, and whose `.git`
 * file in `moved`, read as from that path (a relative `gitdir:` of
 * `worktree.useRelativePaths` included), leads back to that admin dir. null when no admin dir
 * is so tied to it.
 *
 * Without a mark, what is at that path now does not decide it: a folder made again there (an editor reopening
 * it) holds no `.git`, and one given a `.git` since (by `git worktree repair`, which writes the
 * file even where it then fails) ties to the same old admin dir. Only an admin dir made after
 * the move (`movedAtMs`) belongs to another worktree: `git worktree add` reused the name once
 * git had forgot the moved one. An admin dir's age is the mtime of its `commondir` file, which
 * `git worktree add` writes and nothing rewrites (gitrepository-layout(5),
 * "worktrees/<id>/commondir"); where it cannot be read, or `movedAtMs` is not known, the admin
 * dir counts as the moved folder's (the direction that keeps the folder).
 * @param movedAtMs when `moved` was moved (ms since the epoch), if known
 */
export function originOfMovedWorktree(
  commonDir: string,
  moved: string,
  basename: string,
  movedAtMs?: number,
): string | null {
  // The entry's `.git` file, for an admin dir without wt's mark (one a wt before it moved).
  let link = "";
  try {
    if (lstatSync(path.join(moved, ".git")).isFile()) {
      link = (/^gitdir: (.+)$/m.exec(readFileSync(path.join(moved, ".git"), "utf8"))?.[1] ?? "").trim();
    }
  } catch {
    // No `.git` file: only a mark can tie it.
  }
  for (const { admin, gitdir } of adminDirs(commonDir)) {
    const mark = trashMark(admin);
    if (mark !== null) {
      // wt's own mark: this admin dir is the entry's, or another one's.
      if (mark.entry === path.basename(moved)) return mark.origin;
      continue;
    }
    if (link === "") continue;
    const origin = path.dirname(gitdir);
    if (path.basename(origin) !== basename) continue;
    try {
      if (realpathSync(path.resolve(origin, link)) !== realpathSync(admin)) continue;
    } catch {
      continue; // Its `.git` leads nowhere: not this one.
    }
    if (movedAtMs !== undefined) {
      const made = mtimeOf(path.join(admin, "commondir"));
      // Made after the move: a newer worktree reused the name once git had forgot the moved one.
      if (made !== undefined && made >= movedAtMs) continue;
    }
    return origin;
  }
  return null;
}

/**
 * The file wt writes into a worktree's admin dir just before it moves the worktree into its
 * trash (`moveToTrash`): `<entry name> LF <the worktree's path> LF`. It ties the admin dir to
 * the entry whatever was done to either since (`git worktree repair` in either folder, copies
 * with new mtimes), and goes with the admin dir when git removes the worktree. git leaves
 * files it does not know in an admin dir alone (gitrepository-layout(5), "worktrees/<id>").
 */
export const TRASH_MARK = "wt-trashed";

/** The trash mark of `admin` (`TRASH_MARK`), or null when it has none or it is unreadable. */
function trashMark(admin: string): { entry: string; origin: string } | null {
  try {
    const [entry, origin] = readFileSync(path.join(admin, TRASH_MARK), "utf8").split("\n");
    return entry && origin && path.isAbsolute(origin) ? { entry, origin } : null;
  } catch {
    return null;
  }
}

/** `file`'s mtime in ms, or undefined when it cannot be read. */
function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The commits the per-worktree refs under `<admin>/refs` name (`refs/worktree/*`,
 * `refs/bisect/*`, `refs/rewritten/*`: gitglossary(7), "per-worktree ref"; git never packs
 * them, so each is a loose file holding an object id), read in process (`worktreeOwnRefs`
 * asks git for a reftable store). @throws the read's error for a file it cannot read. A symbolic ref (`ref: ...`) names another ref
 * and is left out. `{ ref, commit }`, refs relative to `<admin>` (`refs/worktree/keep`).
 */
export function looseWorktreeRefs(admin: string): { ref: string; commit: string }[] {
  const found: { ref: string; commit: string }[] = [];
  const walk = (rel: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(path.join(admin, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile()) {
        // A file that cannot be read throws: the caller asks git instead.
        const text = readFileSync(path.join(admin, child), "utf8").trim();
        if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text)) found.push({ ref: child, commit: text });
      }
    }
  };
  walk("refs");
  return found;
}

function linkCheck(commonDir: string, folder: string): string | { admin: string } {
  const dotGit = path.join(folder, ".git");
  let text: string;
  try {
    const st = lstatSync(dotGit);
    if (st.isDirectory()) return `${dotGit} is a folder (a repository of its own), not the link git worktree add made`;
    if (!st.isFile()) return `${dotGit} is not a regular file`;
    text = readFileSync(dotGit, "utf8");
  } catch {
    return `its .git file is gone (${dotGit})`;
  }
  const m = /^gitdir: (.+)$/m.exec(text);
  if (!m) return `${dotGit} holds no "gitdir:" line`;
  const admin = realOrNull(path.resolve(folder, (m[1] as string).trim()));
  const adminRoot = realOrNull(path.join(commonDir, "worktrees"));
  if (admin === null || adminRoot === null || path.dirname(admin) !== adminRoot) {
    return `${dotGit} points to ${(m[1] as string).trim()}, not to an admin dir of this repository (${adminRoot ?? path.join(commonDir, "worktrees")})`;
  }
  let back: string;
  try {
    back = readFileSync(path.join(admin, "gitdir"), "utf8").trim();
  } catch {
    return `${admin}/gitdir is missing`;
  }
  const backFolder = realOrNull(path.dirname(path.resolve(admin, back)));
  if (backFolder === null || backFolder !== realOrNull(folder)) {
    return `${dotGit} points to ${admin}, which belongs to the worktree at ${path.dirname(back)}`;
  }
  return { admin };
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
}

/** What `branchHolder` found: the folder of the worktree holding the branch, or null. */
export interface BranchHolder {
  where: string | null;
  /**
   * False when some worktree's HEAD file does not say where HEAD is (the reftable ref storage
   * keeps HEAD in the table, its file a placeholder): a null `where` then needs git's own
   * worktree list.
   */
  headsKnown: boolean;
}

/**
 * The worktree that holds `refs/heads/<branch>`, the way `git branch -D` refuses a branch as
 * "checked out" or "used by worktree" (git's branch.c, `prepare_checked_out_branches`;
 * wt-status.c, `wt_status_check_rebase` and `wt_status_check_bisect`): its HEAD names the ref;
 * or, while HEAD is detached, `rebase-merge/head-name` or `rebase-apply/head-name` names it,
 * `BISECT_START` names the branch (with `BISECT_LOG` present), or a line of
 * `rebase-merge/update-refs` names the ref. Read from the git dir of the main worktree
 * (`commonDir`; none for a bare repository) and of each linked one (`<commonDir>/worktrees/*`,
 * gitrepository-layout(5)), in process: no git run.
 * @param repo.mainPath the main worktree's folder, reported for `commonDir`
 */
export function branchHolder(
  repo: { commonDir: string; mainPath: string; bare: boolean },
  branch: string,
): BranchHolder {
  const ref = `refs/heads/${branch}`;
  const dirs = repo.bare ? [] : [{ admin: repo.commonDir, folder: repo.mainPath }];
  for (const d of adminDirs(repo.commonDir)) dirs.push({ admin: d.admin, folder: path.dirname(d.gitdir) });
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return null;
    }
  };
  let headsKnown = true;
  for (const { admin, folder } of dirs) {
    const head = read(path.join(admin, "HEAD"))?.trim() ?? null;
    if (head === `ref: ${ref}`) return { where: folder, headsKnown };
    // A symbolic HEAD is `ref: refs/heads/<b>` (refs/heads/.invalid under reftable); a
    // detached one, the commit's id.
    if (head === null || head === "ref: refs/heads/.invalid" || !/^(ref: refs\/|[0-9a-f]{40})/.test(head)) {
      headsKnown = false;
    }
    for (const headName of ["rebase-merge/head-name", "rebase-apply/head-name"]) {
      if (read(path.join(admin, headName))?.trim() === ref) return { where: folder, headsKnown };
    }
    const bisectFrom = existsSync(path.join(admin, "BISECT_LOG"))
      ? read(path.join(admin, "BISECT_START"))?.trim()
      : null;
    if (bisectFrom === branch || bisectFrom === ref) return { where: folder, headsKnown };
    const updates = read(path.join(admin, "rebase-merge", "update-refs"));
    if (updates?.split("\n").includes(ref)) return { where: folder, headsKnown };
  }
  return { where: null, headsKnown };
}
