import { execFile } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { type Env, runningGitPids } from "../git/run.js";
import {
  cleanProcPath,
  lsofPort,
  parseCmdline,
  parseEnviron,
  parseListenSockets,
  parseLsofFields,
  parseProcStat,
  parsePsEnvLine,
  socketInode,
} from "./proc-parse.js";

/**
 * Which processes belong to a worktree (docs/contract.md, "Doctor, adopt, processes"): those
 * whose working directory is inside its folder, those whose environment carries its `WT_MAIN`
 * and `WT_ID` (everything `wt run`, hooks and `eval "$(wt env <id>)"` start, even after a
 * `chdir`), and those listening on its ports. Linux reads `/proc` (proc(5)); macOS asks
 * `lsof` and `ps`. wt itself and its ancestors (the shell that ran `wt cleanup` from inside
 * the worktree) never count.
 */

/** What wt knows of one process. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Owner's uid, or null when unknown. */
  uid: number | null;
  /** Its argv joined by spaces (the short name when argv is unreadable). */
  command: string;
  /** Working directory (real path), or null when unreadable. */
  cwd: string | null;
  /** `WT_MAIN` and `WT_ID` of its environment (only those), or null when unreadable. */
  env: Record<string, string> | null;
  /** Start time (Linux: clock ticks after boot), to tell a reused pid; null when unknown. */
  start: string | null;
  /** True when it has a controlling terminal (an interactive shell, an editor). */
  tty: boolean;
}

/** Every process wt can see, and who listens on which TCP port. */
export interface ProcessSnapshot {
  processes: Map<number, ProcessInfo>;
  /** TCP port -> pids listening on it (IPv4 and IPv6). */
  listeners: Map<number, Set<number>>;
}

/** A worktree whose processes are asked for. */
export interface WorktreeTarget {
  id: string;
  /** The worktree folder (absolute). */
  path: string;
  /** The main worktree (absolute, real): the `WT_MAIN` wt gives its processes. */
  main: string;
  /** Variable -> port. */
  ports: Readonly<Record<string, number>>;
}

/** A process that belongs to a worktree. */
export interface ProcessMatch {
  pid: number;
  ppid: number;
  command: string;
  cwd: string | null;
  tty: boolean;
  /** Why it belongs: `cwd`, `env`, `port:PORT=3101` (one entry per port). */
  why: string[];
  /** False for another user's process: wt never signals those. */
  reapable: boolean;
  /** Why it is not reapable, or null. */
  reason: "other-user" | null;
}

/**
 * Reads every visible process: Linux from `/proc`, elsewhere through `lsof` and `ps`.
 * @param env the caller's environment (`ctx.env`, `session.env`): `lsof` and `ps` run with it
 *   (and are found on its `PATH`); nothing below the CLI reads `process.env`
 * @param withSockets also map listening ports to pids (reads every process's fd table)
 * @param detail "cwd": on Linux read only each process's stat (parent, state) and working
 *   directory, leaving `command` "", `uid` and `env` null: what a question by folder alone
 *   needs (the pool's busy slots), in two reads per process instead of six (`environ` alone
 *   can be kilobytes each)
 */
export async function snapshotProcesses(
  env: Env,
  withSockets = true,
  detail: "full" | "cwd" = "full",
): Promise<ProcessSnapshot> {
  if (process.platform === "linux") return linuxSnapshot(withSockets, detail === "cwd");
  return lsofSnapshot(env, withSockets);
}

function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function linuxSnapshot(withSockets: boolean, cwdOnly = false): ProcessSnapshot {
  const processes = new Map<number, ProcessInfo>();
  const sockets = withSockets ? linuxListenSockets() : new Map<string, number>();
  const listeners = new Map<number, Set<number>>();
  for (const name of readOr(() => readdirSync("/proc"), [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const info = linuxProcess(pid, cwdOnly);
    if (!info) continue;
    processes.set(pid, info);
    if (sockets.size === 0) continue;
    for (const fd of readOr(() => readdirSync(`/proc/${pid}/fd`), [] as string[])) {
      const inode = socketInode(readOr(() => readlinkSync(`/proc/${pid}/fd/${fd}`), ""));
      const port = inode === null ? undefined : sockets.get(inode);
      if (port === undefined) continue;
      addListener(listeners, port, pid);
    }
  }
  return { processes, listeners };
}

/** Socket inode -> port of every TCP socket in LISTEN state (IPv4 and IPv6 tables). */
function linuxListenSockets(): Map<string, number> {
  const out = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const [inode, port] of parseListenSockets(readOr(() => readFileSync(table, "utf8"), ""))) {
      out.set(inode, port);
    }
  }
  return out;
}

function linuxProcess(pid: number, cwdOnly = false): ProcessInfo | null {
  const stat = parseProcStat(readOr(() => readFileSync(`/proc/${pid}/stat`, "utf8"), ""));
  // A zombie has exited: only its parent's wait() is left, there is nothing to stop.
  if (!stat || stat.state === "Z" || stat.state === "X") return null;
  if (cwdOnly) {
    const link = readOr(() => readlinkSync(`/proc/${pid}/cwd`), null as string | null);
    const cwd = link === null ? null : cleanProcPath(link);
    return { pid, ppid: stat.ppid, uid: null, command: "", cwd, env: null, start: stat.start, tty: stat.ttyNr !== 0 };
  }
  const uid = readOr(() => statSync(`/proc/${pid}`).uid, null as number | null);
  const argv = parseCmdline(readOr(() => readFileSync(`/proc/${pid}/cmdline`, "utf8"), ""));
  // The name alone is read only where there is no command line (a kernel thread).
  const comm = argv ? "" : readOr(() => readFileSync(`/proc/${pid}/comm`, "utf8").trim(), "");
  const cwdLink = readOr(() => readlinkSync(`/proc/${pid}/cwd`), null as string | null);
  const environ = readOr(() => readFileSync(`/proc/${pid}/environ`, "utf8"), null as string | null);
  const env = environ === null ? null : pickWtVars(parseEnviron(environ));
  return {
    pid,
    ppid: stat.ppid,
    uid,
    command: argv || `[${comm}]`,
    cwd: cwdLink === null ? null : cleanProcPath(cwdLink),
    env,
    start: stat.start,
    tty: stat.ttyNr !== 0,
  };
}

function addListener(listeners: Map<number, Set<number>>, port: number, pid: number): void {
  const set = listeners.get(port) ?? new Set<number>();
  set.add(pid);
  listeners.set(port, set);
}

function pickWtVars(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.WT_MAIN !== undefined) out.WT_MAIN = env.WT_MAIN;
  if (env.WT_ID !== undefined) out.WT_ID = env.WT_ID;
  return out;
}

/** Runs a tool and returns its stdout, or "" when it is missing or fails (lsof exits 1 when it finds nothing). */
function toolOut(cmd: string, args: string[], env: Env): Promise<string> {
  const options = { maxBuffer: 64 * 1024 * 1024, timeout: 5000, env: definedOnly(env) };
  return new Promise((resolve) => {
    execFile(cmd, args, options, (_e, stdout) => resolve(String(stdout ?? "")));
  });
}

/** `env` without unset entries, as a child process takes it. */
function definedOnly(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * macOS (and other systems without `/proc`): `ps -A -o pid=,ppid=,uid=,tty=,command=` for the
 * processes, one `lsof -d cwd -F pcn` for every working directory (never `+D`, which walks
 * the tree), `lsof -nP -iTCP -sTCP:LISTEN -F pn` for the listeners, and `ps -E` for the
 * environment (best effort: see `parsePsEnvLine`).
 */
async function lsofSnapshot(env: Env, withSockets: boolean): Promise<ProcessSnapshot> {
  const [psText, cwdText, listenText, envText] = await Promise.all([
    toolOut("ps", ["-A", "-ww", "-o", "pid=,ppid=,uid=,tty=,command="], env),
    toolOut("lsof", ["-w", "-d", "cwd", "-F", "pcn"], env),
    withSockets ? toolOut("lsof", ["-w", "-nP", "-iTCP", "-sTCP:LISTEN", "-F", "pn"], env) : Promise.resolve(""),
    toolOut("ps", ["-A", "-E", "-ww", "-o", "pid=,command="], env),
  ]);
  const processes = new Map<number, ProcessInfo>();
  for (const line of psText.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const tty = m[4] as string;
    processes.set(Number(m[1]), {
      pid: Number(m[1]),
      ppid: Number(m[2]),
      uid: Number(m[3]),
      command: m[5] as string,
      cwd: null,
      env: null,
      start: null,
      tty: tty !== "??" && tty !== "-" && tty !== "?",
    });
  }
  for (const p of parseLsofFields(cwdText)) {
    const info = processes.get(p.pid);
    if (info && p.names[0]) info.cwd = p.names[0];
  }
  for (const line of envText.split("\n")) {
    const parsed = parsePsEnvLine(line);
    const info = parsed ? processes.get(parsed.pid) : undefined;
    if (info && parsed) info.env = parsed.env;
  }
  const listeners = new Map<number, Set<number>>();
  for (const p of parseLsofFields(listenText)) {
    for (const name of p.names) {
      const port = lsofPort(name);
      if (port === null) continue;
      addListener(listeners, port, p.pid);
    }
  }
  return { processes, listeners };
}

/**
 * wt's own pid, every ancestor's (walking the parent pids up to init), and the git processes
 * wt's runner has running (`runningGitPids`) with their children: none of them is ever listed
 * or signalled. Killing the shell that ran `wt cleanup` inside the worktree would end the
 * user's session; the git that wt runs in the worktree while it reads the process table
 * (release reads it beside its `git status`) is wt's work. Other children of the process are
 * not held: a program using the library may have started the agents that work in the worktree.
 */
export function protectedPids(
  snapshot: ProcessSnapshot,
  self = process.pid,
  ownGit: Iterable<number> = runningGitPids(),
): Set<number> {
  const out = new Set<number>([self]);
  let pid = self;
  for (let depth = 0; depth < 1000; depth++) {
    const parent = snapshot.processes.get(pid)?.ppid ?? parentFromProc(pid);
    if (parent === null || parent <= 0 || out.has(parent)) break;
    out.add(parent);
    pid = parent;
  }
  const children = new Map<number, number[]>();
  for (const p of snapshot.processes.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const todo = [...ownGit].filter((p) => snapshot.processes.get(p)?.ppid === self);
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (out.has(next)) continue;
    out.add(next);
    todo.push(...(children.get(next) ?? []));
  }
  return out;
}

function parentFromProc(pid: number): number | null {
  return parseProcStat(readOr(() => readFileSync(`/proc/${pid}/stat`, "utf8"), ""))?.ppid ?? null;
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** True when `child` is `root` or inside it (both absolute, real). */
function inside(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/**
 * The processes of `snapshot` that belong to `target`, by pid, without wt and its ancestors.
 * @param uid the caller's uid: another user's process is listed but not reapable
 */
export function matchProcesses(
  snapshot: ProcessSnapshot,
  target: WorktreeTarget,
  skip: ReadonlySet<number>,
  uid: number | null = process.getuid?.() ?? null,
): ProcessMatch[] {
  const root = realOr(target.path);
  const reasons = new Map<number, string[]>();
  const add = (pid: number, why: string) => {
    if (skip.has(pid) || !snapshot.processes.has(pid)) return;
    const list = reasons.get(pid) ?? [];
    if (!list.includes(why)) list.push(why);
    reasons.set(pid, list);
  };
  for (const p of snapshot.processes.values()) {
    if (p.cwd !== null && (inside(root, p.cwd) || inside(target.path, p.cwd))) add(p.pid, "cwd");
    if (p.env?.WT_ID !== undefined && p.env.WT_MAIN !== undefined) {
      if (p.env.WT_ID.toLowerCase() === target.id.toLowerCase() && realOr(p.env.WT_MAIN) === target.main) {
        add(p.pid, "env");
      }
    }
  }
  for (const [name, port] of Object.entries(target.ports)) {
    for (const pid of snapshot.listeners.get(port) ?? []) add(pid, `port:${name}=${port}`);
  }
  return [...reasons.entries()]
    .sort(([a], [b]) => a - b)
    .map(([pid, why]) => {
      const p = snapshot.processes.get(pid) as ProcessInfo;
      const foreign = uid !== null && p.uid !== null && p.uid !== uid;
      return {
        pid,
        ppid: p.ppid,
        command: p.command,
        cwd: p.cwd,
        tty: p.tty,
        why,
        reapable: !foreign,
        reason: foreign ? ("other-user" as const) : null,
      };
    });
}

/**
 * Who listens on `port` (pids and commands), for messages such as "PORT=3101 is held by
 * pid 4242 (node server.js)"; wt and its ancestors left out.
 */
export function listenersOf(snapshot: ProcessSnapshot, port: number, skip: ReadonlySet<number>): ProcessInfo[] {
  return [...(snapshot.listeners.get(port) ?? [])]
    .filter((pid) => !skip.has(pid))
    .map((pid) => snapshot.processes.get(pid))
    .filter((p): p is ProcessInfo => p !== undefined);
}
