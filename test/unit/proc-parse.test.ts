import { describe, expect, it } from "vitest";
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
} from "../../src/core/proc-parse.js";
import { protectedPids } from "../../src/core/processes.js";

/** The /proc, lsof and ps formats wt reads (proc(5), lsof(8)), on canned text. */
describe("process parsers", () => {
  it("/proc/<pid>/stat: fields counted after the last ')', so a command name with ') ' in it does not shift them", () => {
    const line = "4242 (my) (odd) name) S 17 4242 4242 34817 4242 4194304 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10";
    expect(parseProcStat(line)).toEqual({ state: "S", ppid: 17, ttyNr: 34817, start: "987654" });
    expect(parseProcStat("garbage")).toBeNull();
  });

  it("environ and cmdline are NUL-separated; a value keeps its '=' and newlines", () => {
    expect(parseEnviron("WT_ID=101\0WT_MAIN=/a b/app\0X=1=2\nz\0")).toEqual({
      WT_ID: "101",
      WT_MAIN: "/a b/app",
      X: "1=2\nz",
    });
    expect(parseCmdline("node\0-e\0listen(3101)\0")).toBe("node -e listen(3101)");
  });

  it("a deleted working directory loses the kernel's ' (deleted)' suffix", () => {
    expect(cleanProcPath("/w/issue-101 (deleted)")).toBe("/w/issue-101");
    expect(cleanProcPath("/w/issue 101")).toBe("/w/issue 101");
  });

  it("/proc/net/tcp: only LISTEN rows (0A), port from hex, inode field 10", () => {
    const text = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:0C1D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 55501 1 0000000000000000 100 0 0 10 0",
      "   1: 0100007F:0C1D 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 55502 1 0000000000000000 20 4 30 10 -1",
      "   2: 00000000000000000000000000000000:B1E5 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 55503 1",
    ].join("\n");
    expect([...parseListenSockets(text)]).toEqual([
      ["55501", 3101],
      ["55503", 45541],
    ]);
    expect(socketInode("socket:[55501]")).toBe("55501");
    expect(socketInode("/dev/null")).toBeNull();
  });

  it("lsof -F pcn and -F pn: one set per 'p' line; ports from *:N, host:N and [::1]:N", () => {
    const cwd = "p101\ncnode\nfcwd\nn/w/issue 101\np202\nczsh\nfcwd\nn/home/u\n";
    expect(parseLsofFields(cwd)).toEqual([
      { pid: 101, command: "node", names: ["/w/issue 101"] },
      { pid: 202, command: "zsh", names: ["/home/u"] },
    ]);
    const listen = parseLsofFields("p303\nf22\nn*:3101\nf23\nn[::1]:3101\n");
    expect(listen[0]?.names.map(lsofPort)).toEqual([3101, 3101]);
    expect(lsofPort("127.0.0.1:45501")).toBe(45501);
  });

  it("ps -E: WT_MAIN and WT_ID picked out of the command's tail", () => {
    expect(parsePsEnvLine("  77 node server.js PATH=/bin WT_MAIN=/r/app WT_ID=101 HOME=/u")).toEqual({
      pid: 77,
      env: { WT_MAIN: "/r/app", WT_ID: "101" },
    });
    expect(parsePsEnvLine("  78 sleep 5 XWT_ID=9")).toEqual({ pid: 78, env: {} });
  });
});

describe("protectedPids", () => {
  const info = (pid: number, ppid: number) => ({
    pid,
    ppid,
    uid: 0,
    command: `p${pid}`,
    cwd: "/w",
    env: null,
    start: null,
    tty: false,
  });
  const snapshot = {
    processes: new Map(
      [99, 100, 101, 102, 103, 200, 201].map((pid) => [
        pid,
        info(
          pid,
          ({ 99: 1, 100: 99, 101: 100, 102: 101, 103: 100, 200: 1, 201: 200 } as Record<number, number>)[pid] as number,
        ),
      ]),
    ),
    listeners: new Map<number, Set<number>>(),
  };
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  it("holds wt, its ancestors, and the git it runs with that git's children", () => {
    // 101 is a git wt's runner has running (102 its child); 103 another child of the process.
    expect(sorted(protectedPids(snapshot, 100, [101]))).toEqual([1, 99, 100, 101, 102]);
  });
  it("never holds another child of the process (a library user's agent) or a stranger", () => {
    expect(sorted(protectedPids(snapshot, 100, []))).toEqual([1, 99, 100]);
    // A pid the runner once had that is now someone else's (reused) is not held either.
    expect(sorted(protectedPids(snapshot, 100, [201]))).toEqual([1, 99, 100]);
  });
});
