import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withRepoLock } from "../../src/core/lock.js";
import { defaultBase } from "../../src/core/session.js";
import { startEarlyReads } from "../../src/git/early.js";
import { GitError } from "../../src/git/errors.js";
import { currentBranch, ignoredUntracked } from "../../src/git/refs.js";
import { listRemotes } from "../../src/git/repo.js";
import { dropEarlyGit, git, startEarlyGit } from "../../src/git/run.js";
import { makeRepo, type TestRepo, wtEnv } from "../helpers/repo.js";

// An early run is observed by what it read: each test lets it end, then changes the
// repository, so a call that took the early run answers with the old state and a call that
// ran git itself answers with the new one.
let repo: TestRepo;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  repo = makeRepo();
  repo.git("config", "wt.probe", "one");
  env = wtEnv();
});

afterEach(() => {
  dropEarlyGit();
  repo.remove();
});

const PROBE = ["config", "--get", "wt.probe"];

async function probe(options: { cwd?: string; env?: NodeJS.ProcessEnv; discover?: boolean } = {}): Promise<string> {
  const r = await git(PROBE, { cwd: options.cwd ?? repo.main, env: options.env ?? env, discover: options.discover });
  return r.stdout.trim();
}

describe("startEarlyGit (a read started before its caller's code loaded)", () => {
  it("is taken by the first call with the same argv, folder and environment object, once", async () => {
    await startEarlyGit(PROBE, { cwd: repo.main, env });
    repo.git("config", "wt.probe", "two");
    expect(await probe()).toBe("one");
    expect(await probe()).toBe("two");
  });

  it("is not taken by a call with another environment object, folder or discovery", async () => {
    const sub = path.join(repo.main, "sub");
    mkdirSync(sub);
    await startEarlyGit(PROBE, { cwd: repo.main, env });
    repo.git("config", "wt.probe", "two");
    expect(await probe({ env: { ...env } })).toBe("two");
    expect(await probe({ cwd: sub, discover: true })).toBe("two");
    expect(await probe({ discover: true })).toBe("two");
    // Still there for the call it was made for.
    expect(await probe()).toBe("one");
  });

  it("is dropped by dropEarlyGit (the executor's first step)", async () => {
    await startEarlyGit(PROBE, { cwd: repo.main, env });
    repo.git("config", "wt.probe", "two");
    dropEarlyGit();
    expect(await probe()).toBe("two");
  });

  it("reports its end and gets the taker's okCodes and errors applied when taken", async () => {
    // Each early run exits 1 (no such key); the key is set before the take, so a run the call
    // made itself would exit 0: what is seen below is the early run's exit.
    const missing = ["config", "--get", "wt.missing"];
    const end = await startEarlyGit(missing, { cwd: repo.main, env });
    expect(end).toEqual({ exitCode: 1, stdout: "" });
    repo.git("config", "wt.missing", "set");
    const ok = await git(missing, { cwd: repo.main, env, okCodes: [1] });
    expect(ok.exitCode).toBe(1);
    repo.git("config", "--unset", "wt.missing");
    await startEarlyGit(missing, { cwd: repo.main, env });
    repo.git("config", "wt.missing", "set");
    await expect(git(missing, { cwd: repo.main, env })).rejects.toBeInstanceOf(GitError);
    expect((await git(missing, { cwd: repo.main, env })).stdout).toBe("set\n");
  });
});

describe("startEarlyReads (what create starts while it loads)", () => {
  it("reads the main worktree's remotes and branch the way create then asks, and never its ignored files", async () => {
    repo.write(".gitignore", "*.local\n");
    repo.write(".worktreeinclude", "*.local\n");
    repo.commitAll("include");
    repo.write("a.local", "a");
    await startEarlyReads(repo.main, env, "create");
    repo.write("b.local", "b");
    repo.git("remote", "add", "late", repo.main);
    repo.git("switch", "-q", "-c", "other");
    const at = { cwd: repo.main, env };
    expect(await listRemotes(at)).toEqual([]);
    expect(await currentBranch(at)).toBe("main");
    // The ignored files are read under the lock, by create itself: always as they are now.
    expect((await ignoredUntracked(at)).sort()).toEqual(["a.local", "b.local"]);
    // Taken once: the next calls read the repository as it is now.
    expect(await listRemotes(at)).toEqual(["late"]);
    expect(await currentBranch(at)).toBe("other");
  });

  it("then reads origin's refs the way the default base asks (one for-each-ref), taken once", async () => {
    repo.git("remote", "add", "origin", repo.main);
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD");
    const session = { cwd: repo.main, env };
    // Resolves once every read it started has ended, the chained one included.
    await startEarlyReads(repo.main, env, "create");
    repo.git("update-ref", "refs/remotes/origin/master", "HEAD");
    repo.git("update-ref", "-d", "refs/remotes/origin/main");
    const repoContext = { mainPath: repo.main } as Parameters<typeof defaultBase>[0];
    expect(await defaultBase(repoContext, session.env)).toBe("origin/main");
    expect(await defaultBase(repoContext, session.env)).toBe("origin/master");
  });

  it("starts only the repository's location for release and cleanup", async () => {
    await startEarlyReads(repo.main, env, "repository");
    repo.git("remote", "add", "late", repo.main);
    repo.git("switch", "-q", "-c", "other");
    expect(await listRemotes({ cwd: repo.main, env })).toEqual(["late"]);
    expect(await currentBranch({ cwd: repo.main, env })).toBe("other");
  });

  it("is dropped when the repository lock is taken: nothing read under the lock is an early read", async () => {
    await startEarlyGit(PROBE, { cwd: repo.main, env });
    repo.git("config", "wt.probe", "two");
    const state = path.join(repo.root, "lock-state");
    const seen = await withRepoLock(state, { timeoutMs: 5000, purpose: "test" }, () => probe());
    expect(seen).toBe("two");
  });
});

describe("an early run and the process's life", () => {
  const RUN = pathToFileURL(path.resolve("dist/git/run.js")).href;
  /** A Node process that starts an early `sleep` through a git alias, then takes it or not. */
  function nodeWith(take: boolean): { ms: number; stdout: string } {
    const script = [
      `const { startEarlyGit, git } = await import(${JSON.stringify(RUN)});`,
      "const opts = { cwd: process.cwd(), env: process.env };",
      `const args = ["-c", "alias.nap=!sleep ${take ? 1 : 20} && echo rested", "nap"];`,
      "startEarlyGit(args, opts);",
      take ? "git(args, opts).then((r) => process.stdout.write(r.stdout));" : "",
    ].join("\n");
    const started = Date.now();
    const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: repo.main,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { ms: Date.now() - started, stdout };
  }

  it("an untaken one never keeps the process alive (a usage error, --help)", () => {
    // The nap is 20 s; the process ends with its own work, long before.
    expect(nodeWith(false).ms).toBeLessThan(15_000);
  });

  it("a taken one does, until it has ended", () => {
    expect(nodeWith(true).stdout).toBe("rested\n");
  });
});
