/**
 * Pure parsers for what the kernel (Linux `/proc`, proc(5)) and `lsof`/`ps` (macOS) say about
 * processes. Kept apart from the readers in ./processes.ts so each format is tested on canned
 * text (paths with spaces, command names with `)` in them, deleted working directories).
 */

/** Fields of `/proc/<pid>/stat` that wt uses. */
export interface ProcStat {
  /** One letter: R running, S sleeping, T stopped, Z zombie... (proc(5) field 3). */
  state: string;
  /** Field 4. */
  ppid: number;
  /** Field 7: the controlling terminal's device number, 0 when there is none. */
  ttyNr: number;
  /** Field 22: start time in clock ticks after boot (tells a reused pid from the old one). */
  start: string;
}

/**
 * Parses `/proc/<pid>/stat`. Field 2, the command name, sits in parentheses and may itself
 * hold spaces and `)`, so the fields are counted after the LAST `)` (proc(5)).
 * @returns null when the text is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close === -1) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(" ");
  const [state, ppid, , , tty] = fields;
  const start = fields[19];
  if (!state || ppid === undefined || tty === undefined || start === undefined) return null;
  if (!/^-?\d+$/.test(ppid) || !/^-?\d+$/.test(tty)) return null;
  return { state, ppid: Number(ppid), ttyNr: Number(tty), start };
}

/** `/proc/<pid>/environ`: NUL-separated `NAME=value` entries (a value may hold `=` and newlines). */
export function parseEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** `/proc/<pid>/cmdline`: NUL-separated argv, shown space-joined; "" for a kernel thread. */
export function parseCmdline(text: string): string {
  return text.replace(/\0+$/, "").split("\0").join(" ");
}

/**
 * The working directory `readlink /proc/<pid>/cwd` gave: the kernel appends " (deleted)"
 * when the folder was removed while the process stood in it (a dev server left behind by a
 * cleanup), which is exactly the case to find.
 */
export function cleanProcPath(link: string): string {
  return link.endsWith(" (deleted)") ? link.slice(0, -" (deleted)".length) : link;
}

/**
 * The listening TCP sockets of `/proc/net/tcp` or `/proc/net/tcp6` (proc(5)): `local_address`
 * (field 2) is `HEXIP:HEXPORT`, `st` (field 4) `0A` is TCP_LISTEN, `inode` is field 10.
 * @returns socket inode -> port.
 */
export function parseListenSockets(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const inode = fields[9];
    if (fields[3] !== "0A" || !local || !inode || inode === "0") continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    if (Number.isInteger(port)) out.set(inode, port);
  }
  return out;
}

/** The inode of a `readlink /proc/<pid>/fd/<n>` answer `socket:[12345]`, or null for any other file. */
export function socketInode(link: string): string | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? (m[1] as string) : null;
}

/** One process of `lsof -F` output. */
export interface LsofProcess {
  pid: number;
  command: string;
  /** The `n` fields in order (a path for `-d cwd`, `host:port` for `-iTCP`). */
  names: string[];
}

/**
 * Parses `lsof -F pcn` output (lsof(8), "OUTPUT FOR OTHER PROGRAMS"): one field per line,
 * its first character saying which: `p` pid (starts a process set), `c` command, `f` file
 * descriptor, `n` name. Unknown fields are ignored.
 */
export function parseLsofFields(text: string): LsofProcess[] {
  const out: LsofProcess[] = [];
  let current: LsofProcess | null = null;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const key = line[0];
    const value = line.slice(1);
    if (key === "p") {
      current = { pid: Number(value), command: "", names: [] };
      out.push(current);
    } else if (current && key === "c") current.command = value;
    else if (current && key === "n") current.names.push(value);
  }
  return out.filter((p) => Number.isInteger(p.pid) && p.pid > 0);
}

/** The port of an lsof TCP name (`*:3000`, `127.0.0.1:3000`, `[::1]:3000`), or null. */
export function lsofPort(name: string): number | null {
  const m = /:(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * `WT_MAIN` and `WT_ID` from one line of macOS `ps -E -ww -o pid=,command=`, which prints the
 * environment after the command, space-separated: best effort, since a value holding a space
 * cannot be told from the next entry there (Linux reads `/proc/<pid>/environ` exactly).
 */
export function parsePsEnvLine(line: string): { pid: number; env: Record<string, string> } | null {
  const m = /^\s*(\d+)\s(.*)$/.exec(line);
  if (!m) return null;
  const env: Record<string, string> = {};
  for (const name of ["WT_MAIN", "WT_ID"]) {
    const found = new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(m[2] as string);
    if (found) env[name] = found[1] as string;
  }
  return { pid: Number(m[1]), env };
}
