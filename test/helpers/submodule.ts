import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitSync, type TestRepo } from "./repo.js";

/** git with file-transport submodules allowed (git >= 2.38.1 refuses them by default). */
export function gitFile(cwd: string, ...args: string[]): string {
  return gitSync(cwd, "-c", "protocol.file.allow=always", ...args);
}

/**
 * Adds submodule `lib` to the main worktree of `repo` (not committed: the caller's config
 * commit takes it), with a local bare repository as its origin (no network).
 * @returns the submodule's bare origin
 */
export function addLibSubmodule(repo: TestRepo): string {
  const libOrigin = path.join(repo.root, "lib.git");
  const libSrc = path.join(repo.root, "lib-src");
  gitSync(repo.root, "init", "-q", "--bare", "-b", "main", libOrigin);
  mkdirSync(libSrc);
  gitSync(libSrc, "init", "-q", "-b", "main");
  writeFileSync(path.join(libSrc, "lib.txt"), "lib\n");
  gitSync(libSrc, "add", "lib.txt");
  gitSync(libSrc, "commit", "-q", "-m", "lib");
  gitSync(libSrc, "push", "-q", libOrigin, "main");
  gitFile(repo.main, "submodule", "add", "-q", libOrigin, "lib");
  return libOrigin;
}
