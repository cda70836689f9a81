import { readFileSync } from "node:fs";
import path from "node:path";
import { worktreeAdminDir } from "./worktree-link.js";

/** A full object id: SHA-1 (40 hex) or SHA-256 (64 hex). */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The commit `HEAD` of the linked worktree at `folder` names, read from git's files the way the
 * files ref backend stores them (gitrepository-layout(5)): `<admin>/HEAD` holds an object id
 * (detached) or `ref: refs/heads/<branch>`, and that branch's loose ref file
 * `<commonDir>/refs/heads/<branch>` holds its object id (a loose ref wins over `packed-refs`).
 * For `wt create`, right after `git worktree add` made both files: no `git rev-parse HEAD`.
 *
 * Returns null, for the caller to ask git, whenever that layout is not what is there: no tie
 * between the folder and its admin dir (`worktreeAdminDir`), a HEAD that is neither form, a
 * ref outside `refs/heads/` or with an empty, `.` or `..` component, a ref that is packed,
 * symbolic or not a plain id (reftable keeps `refs/heads` as a file, so it always lands here).
 */
export function readHeadCommit(commonDir: string, folder: string): string | null {
  const admin = worktreeAdminDir(commonDir, folder);
  if (admin === null) return null;
  const head = readTrimmed(path.join(admin, "HEAD"));
  if (head === null) return null;
  if (OBJECT_ID.test(head)) return head;
  const m = /^ref: (refs\/heads\/.+)$/.exec(head);
  const ref = m?.[1];
  if (ref === undefined || ref.split("/").some((part) => part === "" || part === "." || part === "..")) return null;
  const id = readTrimmed(path.join(commonDir, ...ref.split("/")));
  return id !== null && OBJECT_ID.test(id) ? id : null;
}

function readTrimmed(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}
