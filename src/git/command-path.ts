import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** PATH value -> command name -> the absolute file the child's own PATH search would run. */
const resolved = new Map<string, Map<string, string>>();

/**
 * The file a child started as `command` would run: the first `<dir>/<command>` on `searchPath`
 * that is an executable regular file, found once per process and PATH value. Node's spawn
 * otherwise lets the child try `execve` in every PATH entry before git's (8 failed tries per
 * git on a PATH of 9 entries, for each of the dozen gits of a `wt create`).
 * Returns `command` unchanged (the child then searches as before, and a missing one fails as
 * ENOENT the same way) when it holds a `/`, when PATH is unset, when an entry before the hit is
 * empty or relative (the child's own folder would decide), or when no entry has it.
 */
export function commandPath(command: string, searchPath: string | undefined): string {
  if (searchPath === undefined || command.includes("/")) return command;
  const byName = resolved.get(searchPath) ?? new Map<string, string>();
  const known = byName.get(command);
  if (known !== undefined) return known;
  for (const dir of searchPath.split(":")) {
    if (!path.isAbsolute(dir)) return command;
    const file = path.join(dir, command);
    if (!isExecutableFile(file)) continue;
    byName.set(command, file);
    resolved.set(searchPath, byName);
    return file;
  }
  return command;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
