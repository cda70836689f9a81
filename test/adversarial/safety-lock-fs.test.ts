import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { startWt, waitUntil } from "../helpers/footprint.js";
import {
  branchExists,
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  trustRepo,
  WT_BIN,
  type WtRun,
  wtEnv,
} from "../helpers/repo.js";

// Issue 9, items 10, 12 (the lock) and 16. Port bases of this file: 47000..49999.

let repo: TestRepo | undefined;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  repo?.remove();
  repo = undefined;
});

const lockPath = (main: string) => path.join(main, ".git", "wt", "repo.lock");

/**
 * Spawns the built wt with stdin a pipe whose writer never closes it, as a terminal's or a
 * pipeline's stdin is (so a read of /dev/stdin blocks for ever), and SIGKILLs it after `ms`:
 * a hang fails the test instead of the suite. The pipe is a FIFO this process holds open for
 * reading and writing: Node's own "pipe" stdio is a socket, and opening /dev/stdin on a socket
 * fails at once (ENXIO) rather than blocking.
 */
function runWithin(cwd: string, args: string[], ms: number, env: Record<string, string> = {}): Promise<WtRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "wt-stdin-"));
  const fifo = path.join(dir, "stdin");
  execFileSync("mkfifo", [fifo]);
  const stdin = openSync(fifo, "r+");
  cleanups.push(() => {
    closeSync(stdin);
    rmSync(dir, { recursive: true, force: true });
  });
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [WT_BIN, ...args], {
      cwd,
      env: wtEnv(env),
      stdio: [stdin, "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A repository whose `wt create 101` holds the lock while a database init runs `touch <marker>; sleep <s>`. */
function slowInitRepo(port: number, seconds: number): { repo: TestRepo; marker: string } {
  const r = makeRepo();
  const marker = path.join(r.root, "init-started");
  r.write(
    "wt.config.json",
    JSON.stringify({
      ports: { PORT: port },
      // Only the create of 101 is slow: the others run the same init.
      databases: [{ path: "data/{name}.db", init: `[ "$WT_ID" != 101 ] || { touch '${marker}'; sleep ${seconds}; }` }],
    }),
  );
  r.commitAll("config");
  trustRepo(r.main);
  return { repo: r, marker };
}

/** The host tag wt puts in its lock token (FNV-1a of the host name). */
function hostTag(): string {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(hostname(), "utf8")) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

function startTime(pid: number): string {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ")[19] as string;
}

describe("config and include files that never end (item 10)", () => {
  it("a FIFO as .worktreeinclude is exit 2 naming it, without waiting for a writer", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47000 } }));
    repo.commitAll("config");
    execFileSync("mkfifo", [path.join(repo.main, ".worktreeinclude")]);
    const run = await runWithin(repo.main, ["create", "1", "--json"], 15_000);
    expect(run.signal, "wt hung on the FIFO").toBeNull();
    expect(run.code, run.stderr).toBe(2);
    expect(json<ErrorJson>(run).error.message).toMatch(/\.worktreeinclude is a FIFO/);
    expect(json<ErrorJson>(run).error.code).toBe("invalid-config");
    expect(branchExists(repo.main, "feature/issue-1")).toBe(false);
    // Refused before the lock: nothing waits behind it.
    expect(existsSync(lockPath(repo.main))).toBe(false);
  });

  it("a committed .worktreeinclude -> /dev/stdin is exit 2 naming it, with stdin a pipe left open", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47100 } }));
    symlinkSync("/dev/stdin", path.join(repo.main, ".worktreeinclude"));
    repo.commitAll("include is a link to stdin");
    const run = await runWithin(repo.main, ["create", "1"], 15_000);
    expect(run.signal, "wt hung reading /dev/stdin").toBeNull();
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(path.join(repo.main, ".worktreeinclude"));
    expect(run.stderr).toMatch(/is a symlink to .*, not to a file inside the main worktree/);
  });

  it("a committed wt.config.json -> /dev/stdin is exit 2 naming it, for create and cleanup", async () => {
    repo = makeRepo();
    symlinkSync("/dev/stdin", path.join(repo.main, "wt.config.json"));
    repo.commitAll("config is a link to stdin");
    for (const args of [
      ["create", "1"],
      ["cleanup", "--all"],
    ]) {
      const run = await runWithin(repo.main, args, 15_000);
      expect(run.signal, `wt ${args[0]} hung reading /dev/stdin`).toBeNull();
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(path.join(repo.main, "wt.config.json"));
    }
  });

  it("a link to a regular file inside the main worktree is read; an oversized file is exit 2", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47200 } }));
    repo.write(".gitignore", "secrets.txt\n");
    repo.write("conf/include.txt", "secrets.txt\n");
    symlinkSync("conf/include.txt", path.join(repo.main, ".worktreeinclude"));
    repo.commitAll("include through a link");
    repo.write("secrets.txt", "s3cret\n");
    const created = json<CreateResult>(await runWithin(repo.main, ["create", "1", "--json"], 30_000));
    expect(created.included).toEqual([{ path: "secrets.txt", mode: "copy" }]);
    rmSync(path.join(repo.main, ".worktreeinclude"));
    writeFileSync(path.join(repo.main, ".worktreeinclude"), `# padding\n${"x".repeat(2 * 1024 * 1024)}\n`);
    const big = await runWithin(repo.main, ["create", "2"], 15_000);
    expect(big.code, big.stderr).toBe(2);
    expect(big.stderr).toMatch(/\.worktreeinclude is \d+ bytes, over wt's limit/);
  });

  it("a folder as .worktreeinclude is exit 2 naming it, not an internal error (item 16)", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47300 } }));
    repo.commitAll("config");
    mkdirSync(path.join(repo.main, ".worktreeinclude"));
    const run = await runWithin(repo.main, ["create", "1", "--json"], 15_000);
    expect(run.code, run.stderr).toBe(2);
    expect(json<ErrorJson>(run).error.message).toMatch(/\.worktreeinclude is a folder/);
    expect(run.stderr).not.toMatch(/internal error/);
  });
});

describe("a lock whose owner is alive is never taken over (item 12)", () => {
  it("a stopped wt create keeps its lock past 6 s: the next create waits and exits 4; no slot is shared", async () => {
    const made = slowInitRepo(47400, 2);
    repo = made.repo;
    const first = startWt(repo.main, ["create", "101", "--json"]);
    cleanups.push(() => {
      first.child.kill("SIGCONT");
      first.child.kill("SIGKILL");
    });
    await waitUntil(() => existsSync(made.marker), "the init of 101", first);
    first.child.kill("SIGSTOP");
    const second = await runWt(repo.main, ["create", "1101", "--json"], { WT_LOCK_TIMEOUT: "7" });
    expect(second.code, second.stderr).toBe(4);
    const error = json<ErrorJson>(second).error;
    expect(error.code).toBe("lock-busy");
    expect(error.message).toMatch(new RegExp(`pid ${first.child.pid}, wt create 101.*stopped`));
    expect(error.hint).toContain(`kill -CONT ${first.child.pid}`);
    expect(second.stderr).not.toMatch(/took over/);
    first.child.kill("SIGCONT");
    expect((await first.exit).code, first.stderr()).toBe(0);
    expect((JSON.parse(first.stdout()) as CreateResult).ports).toEqual({ PORT: 47501 });
    const again = json<CreateResult>(await runWt(repo.main, ["create", "1101", "--json"]));
    expect(again.ports).toEqual({ PORT: 47502 });
  }, 60_000);

  it("a SIGKILLed holder's lock is taken over, with a warning naming it", async () => {
    const made = slowInitRepo(47600, 30);
    repo = made.repo;
    const first = startWt(repo.main, ["create", "101"]);
    await waitUntil(() => existsSync(made.marker), "the init of 101", first);
    first.child.kill("SIGKILL");
    await first.exit;
    expect(lstatSync(lockPath(repo.main)).isSymbolicLink()).toBe(true);
    const next = await runWt(repo.main, ["create", "1101", "--json"], { WT_LOCK_TIMEOUT: "5" });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(
      new RegExp(`took over a repository lock left by a process that is gone \\(pid ${first.child.pid}, wt create 101`),
    );
    expect(json<CreateResult>(next).warnings.join("\n")).toMatch(/took over/);
    expect(existsSync(lockPath(repo.main))).toBe(false);
  }, 60_000);

  it("a live pid with the recorded start time holds; the same pid with another start time (reused) does not", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47700 } }));
    repo.commitAll("config");
    const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
    cleanups.push(() => sleeper.kill("SIGKILL"));
    const pid = sleeper.pid as number;
    mkdirSync(path.dirname(lockPath(repo.main)), { recursive: true });
    symlinkSync(`wt-lock:1:${pid}:${startTime(pid)}:${hostTag()}:aaaaaa`, lockPath(repo.main));
    const held = await runWt(repo.main, ["create", "1", "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(held.code, held.stderr).toBe(4);
    expect(json<ErrorJson>(held).error.code).toBe("lock-busy");
    rmSync(lockPath(repo.main));
    symlinkSync(`wt-lock:1:${pid}:1:${hostTag()}:bbbbbb`, lockPath(repo.main));
    const reused = await runWt(repo.main, ["create", "1", "--json"], { WT_LOCK_TIMEOUT: "1" });
    expect(reused.code, reused.stderr).toBe(0);
    expect(reused.stderr).toMatch(/took over .*pid \d+.*its pid now belongs to another process/);
  });

  it("a holder whose lock was removed stops before its next step, rolls back and exits 4", async () => {
    const made = slowInitRepo(47800, 5);
    repo = made.repo;
    const first = startWt(repo.main, ["create", "101", "--json"]);
    await waitUntil(() => existsSync(made.marker), "the init of 101", first);
    rmSync(lockPath(repo.main));
    const { code } = await first.exit;
    expect(code, first.stderr()).toBe(4);
    expect(JSON.parse(first.stdout()).error.code).toBe("lock-lost");
    expect(branchExists(repo.main, "feature/issue-101")).toBe(false);
    expect(existsSync(path.join(repo.root, "app-worktrees", "issue-101"))).toBe(false);
  }, 60_000);
});

describe("repo.lock that is not a lock (item 16)", () => {
  it("a regular file or a folder with files is exit 3 naming the exact path to remove", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 47900 } }));
    repo.commitAll("config");
    const lock = lockPath(repo.main);
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, "junk\n");
    const file = await runWt(repo.main, ["create", "1", "--json"], { WT_LOCK_TIMEOUT: "30" });
    expect(file.code, file.stderr).toBe(3);
    expect(json<ErrorJson>(file).error.code).toBe("lock-foreign");
    expect(json<ErrorJson>(file).error.hint).toContain(`rm -r '${lock}'`);
    rmSync(lock);
    mkdirSync(lock);
    writeFileSync(path.join(lock, "x"), "");
    const dir = await runWt(repo.main, ["cleanup", "--all", "--json"], { WT_LOCK_TIMEOUT: "30" });
    expect(dir.code, dir.stderr).toBe(3);
    expect(json<ErrorJson>(dir).error.message).toMatch(/a folder with files in it/);
    rmSync(lock, { recursive: true });
    expect((await runWt(repo.main, ["create", "1"])).code).toBe(0);
  });

  it("an empty lock folder an older wt left with no owner note is taken over once it is old", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 48000 } }));
    repo.commitAll("config");
    const lock = lockPath(repo.main);
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const run = await runWt(repo.main, ["create", "1"], { WT_LOCK_TIMEOUT: "1" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/took over a repository lock .*an empty lock folder an older wt left/);
  });
});

/** Mounts a tmpfs of `size` at a fresh folder (root only); null where mounting is not allowed. */
function mountTmpfs(size: string): string | null {
  const dir = mkdtempSync(path.join(tmpdir(), "wt-full-"));
  if (spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]).status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  cleanups.push(() => {
    spawnSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function fillDisk(dir: string): void {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(path.join(dir, `fill-${Date.now()}-${i}`), chunk);
    } catch {
      break;
    }
  }
  // Smaller pieces until not even one page is left.
  for (let i = 0; ; i++) {
    try {
      writeFileSync(path.join(dir, `fill-small-${Date.now()}-${i}`), Buffer.alloc(1024));
    } catch {
      return;
    }
  }
}

const canMount = process.getuid?.() === 0 && process.platform === "linux";

describe("a full disk, an immutable file, a path too long (item 16)", () => {
  it.skipIf(!canMount)("on a full disk create exits 4 (disk-full) and cleanup still removes a worktree", async () => {
    const mount = mountTmpfs("8m");
    if (mount === null) return;
    const main = path.join(mount, "app");
    mkdirSync(main);
    gitSync(main, "init", "-q", "-b", "main");
    writeFileSync(path.join(main, "wt.config.json"), JSON.stringify({ ports: { PORT: 48100 } }));
    gitSync(main, "add", "-A");
    gitSync(main, "commit", "-q", "-m", "config");
    expect((await runWt(main, ["create", "1"])).code).toBe(0);
    fillDisk(mount);
    const clean = await runWt(main, ["cleanup", "1", "--json"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(path.join(mount, "app-worktrees", "issue-1"))).toBe(false);
    expect(existsSync(lockPath(main))).toBe(false);
    expect(branchExists(main, "feature/issue-1")).toBe(false);
    // The cleanup freed space (git's admin folder; its trash, deleted in the background):
    // once that is done, fill what it freed, then create.
    const trash = path.join(main, ".git", "wt", "trash");
    await waitUntil(() => !existsSync(trash) || readdirSync(trash).length === 0, "the trash to empty");
    fillDisk(mount);
    const create = await runWt(main, ["create", "2", "--json"]);
    expect(create.code, create.stderr).toBe(4);
    expect(json<ErrorJson>(create).error.code).toBe("disk-full");
    expect(create.stderr).not.toMatch(/internal error/);
    expect(branchExists(main, "feature/issue-2")).toBe(false);
  });

  it("chattr +i .git/info/exclude: create is exit 3 naming the file, and rolls back", async (ctx) => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 48200 } }));
    repo.commitAll("config");
    const exclude = path.join(repo.main, ".git", "info", "exclude");
    if (spawnSync("chattr", ["+i", exclude]).status !== 0) ctx.skip();
    cleanups.push(() => spawnSync("chattr", ["-i", exclude]));
    const run = await runWt(repo.main, ["create", "1", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const error = json<ErrorJson>(run).error;
    expect(error.code).toBe("permission-denied");
    expect(error.message).toContain(exclude);
    expect(error.hint).toMatch(/chattr -i/);
    expect(branchExists(repo.main, "feature/issue-1")).toBe(false);
  });

  it("a worktree folder over PATH_MAX, or with a name over NAME_MAX, is exit 2 before anything is made", async () => {
    repo = makeRepo();
    const deep = `../${Array.from({ length: 22 }, () => "d".repeat(200)).join("/")}/{name}`;
    for (const worktreeDir of [deep, `../${"n".repeat(300)}/{name}`]) {
      repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 48300 }, worktreeDir }));
      const run = await runWt(repo.main, ["create", "1", "--json"]);
      expect(run.code, run.stderr).toBe(2);
      expect(json<ErrorJson>(run).error.code).toBe("path-too-long");
      expect(run.stderr).not.toMatch(/internal error/);
      expect(branchExists(repo.main, "feature/issue-1")).toBe(false);
    }
  });
});
