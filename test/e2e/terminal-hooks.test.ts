import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo, runWt, type TestRepo, trustRepo, WT_BIN, wtEnv } from "../helpers/repo.js";
import { binDir, runShell } from "../helpers/shell.js";

// Issue 13, item 4: progress of hooks, fetch and copies on a terminal; hooks get the terminal.
// Ports 485xx are this file's.
let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

const TTY_CHECK = 'if [ -t 0 ] && [ -t 1 ]; then echo "HOOK-SEES-TTY"; else echo "HOOK-SEES-NO-TTY"; fi';
const READ_LINE = 'read -r line; echo "HOOK-READ:$line"';

function setup(hooks: string[], extra: Record<string, unknown> = {}): { repo: TestRepo; bin: string } {
  const r = makeRepo({
    files: {
      "wt.config.json": JSON.stringify({
        ports: { PORT: 48500 },
        portSlots: 50,
        hooks: { postCreate: hooks },
        ...extra,
      }),
    },
  });
  repo = r;
  trustRepo(r.main);
  return { repo: r, bin: binDir(r.root) };
}

describe("hooks on the terminal", () => {
  it("a hook gets the terminal as stdin and stdout, reads a typed line, and is named with its time", () => {
    const { repo: r, bin } = setup([TTY_CHECK, READ_LINE, "sleep 0.3"]);
    const run = runShell("bash", "wt create 1 --no-fetch", { cwd: r.main, bin, tty: true, input: "typed words\n" });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("HOOK-SEES-TTY");
    expect(run.stdout).toContain("HOOK-READ:typed words");
    const out = run.stdout;
    // Named before its output, with its elapsed time after it, and before the summary.
    const named = out.indexOf(`  · run postCreate hook: ${TTY_CHECK}\n`);
    const output = out.indexOf("HOOK-SEES-TTY");
    const timed = out.search(/ {2}✓ run postCreate hook: sleep 0\.3 \(\d+ ms\)\n/);
    expect(named, out).toBeGreaterThanOrEqual(0);
    expect(output).toBeGreaterThan(named);
    expect(timed).toBeGreaterThan(output);
    expect(out.indexOf("Created worktree 1")).toBeGreaterThan(timed);
  });

  it("with --json or a captured stdout, the hook's stdout goes to the terminal's stderr: stdout stays one document", () => {
    const { repo: r, bin } = setup(["echo HOOK-STDOUT-LINE", TTY_CHECK]);
    const run = runShell(
      "bash",
      "wt create 2 --no-fetch --json > ../out.json; wt create 3 --no-fetch -q > ../path.txt",
      {
        cwd: r.main,
        bin,
        tty: true,
      },
    );
    expect(run.code, run.stdout).toBe(0);
    const doc = JSON.parse(readFileSync(path.join(r.main, "..", "out.json"), "utf8")) as { id: string };
    expect(doc.id).toBe("2");
    // The terminal (stderr) showed the hook's output; it still had a terminal on stdout.
    expect(run.stdout).toContain("HOOK-STDOUT-LINE");
    expect(run.stdout).toContain("HOOK-SEES-TTY");
    expect(readFileSync(path.join(r.main, "..", "path.txt"), "utf8")).not.toContain("HOOK");
  });

  it("off a terminal: stdin closed, output on stderr, named only with --verbose", async () => {
    const { repo: r } = setup([TTY_CHECK, "sleep 0.2"]);
    const plain = await runWt(r.main, ["create", "4", "--no-fetch"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain("HOOK-SEES-NO-TTY");
    expect(plain.stdout).not.toContain("HOOK");
    expect(plain.stderr).not.toMatch(/[·✓]/);
    const verbose = await runWt(r.main, ["--verbose", "create", "5", "--no-fetch"]);
    expect(verbose.stderr).toContain(`  · run postCreate hook: sleep 0.2\n`);
    expect(verbose.stderr).toMatch(/ {2}✓ run postCreate hook: sleep 0\.2 \(\d+ ms\)\n/);
  });

  it("a failing hook on the terminal is exit 6 and its line is marked ✗", () => {
    const { repo: r, bin } = setup(["echo FAILING-HOOK; exit 3"]);
    const run = runShell("bash", "wt create 6 --no-fetch; echo EXIT=$?", { cwd: r.main, bin, tty: true });
    expect(run.stdout).toContain("FAILING-HOOK");
    expect(run.stdout).toMatch(/ {2}✗ run postCreate hook: echo FAILING-HOOK; exit 3 \(\d+ ms\)/);
    expect(run.stdout).toContain("EXIT=6");
  });
});

describe("Ctrl-C at the terminal", () => {
  it("a hook that died of SIGINT before wt saw its own is an interrupt: exit 130 and the create rolls back", () => {
    // What a Ctrl-C looks like when the hook's death reaches wt first (seen once in a loaded CI
    // run): the hook's shell ends by SIGINT, here sent to itself, so wt never gets one.
    const { repo: r, bin } = setup(["kill -INT $$"]);
    const run = runShell("bash", "wt create 12 --no-fetch; echo EXIT=$?", { cwd: r.main, bin, tty: true });
    expect(run.stdout).toContain("EXIT=130");
    expect(r.git("branch", "--list", "feature/issue-12").trim()).toBe("");
  });

  it("reaches a hook running in wt's process group: it stops, the create rolls back, exit 130", () => {
    const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    const marker = path.join(tmpdir(), `wt-hook-started-${process.pid}-${Date.now()}`);
    const { repo: r, bin } = setup([`touch ${q(marker)}; sleep 30; echo "END""-OF-HOOK"`]);
    const done = `${marker}.done`;
    // Ctrl-C typed into the terminal once the hook runs: the terminal signals its foreground group.
    // The feeder keeps the terminal's input open until the command line has printed its exit
    // code: an input closed early ends the script session before a slow rollback finishes.
    const feeder = `while [ ! -e ${q(marker)} ]; do sleep 0.1; done; sleep 0.3; printf '\\003'; i=0; while [ ! -e ${q(done)} ] && [ $i -lt 500 ]; do sleep 0.1; i=$((i+1)); done`;
    // `script` runs its command through $SHELL, and the typed ^C reaches that shell too: dash
    // (/bin/sh here, and $SHELL when CI leaves it unset) then stops after wt instead of running the
    // echo; bash waits and goes on when its child handled the signal. So bash runs the line, under
    // a $SHELL fixed to /bin/sh whatever the machine's is.
    const inner = `node ${q(WT_BIN)} create 11 --no-fetch; echo EXIT=$?; touch ${q(done)}`;
    const line = `bash --norc --noprofile -c ${q(inner)}`;
    const run = spawnSync("bash", ["-c", `(${feeder}) | script -qfec ${q(line)} /dev/null`], {
      cwd: r.main,
      env: { ...wtEnv(), PATH: `${bin}:${process.env.PATH}`, SHELL: "/bin/sh" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stdout).toContain("EXIT=130");
    expect(run.stdout).not.toContain("END-OF-HOOK");
    expect(run.stdout).toMatch(/✗ run postCreate hook: touch/);
    expect(r.git("branch", "--list", "feature/issue-11").trim()).toBe("");
    rmSync(marker, { force: true });
    rmSync(done, { force: true });
  });
});

describe("fetch progress", () => {
  it("--verbose names the fetch of the base's remote and its time, before the steps", async () => {
    const r = makeRepo({
      origin: true,
      files: { "wt.config.json": JSON.stringify({ ports: { PORT: 48560 }, base: "origin/main" }) },
    });
    repo = r;
    const run = await runWt(r.main, ["--verbose", "create", "10"]);
    expect(run.code, run.stderr).toBe(0);
    // The step lines (the git commands, "  $ ...", come between them).
    const lines = run.stderr.split("\n").filter((l) => /^ {2}[·✓] /.test(l));
    expect(lines[0]).toBe("  · fetch origin");
    expect(run.stderr).toMatch(/^ {2}\$ git fetch .*origin/m);
    expect(lines[1]).toMatch(/^ {2}✓ fetch origin \(\d+ ms|\d+\.\d s\)$/);
  });
});

describe("copy progress", () => {
  /** A `cp` first on PATH that copies, then lingers: the copy outlasts half a second whatever the machine. */
  function slowCp(bin: string): void {
    const shim = path.join(bin, "cp");
    writeFileSync(shim, '#!/bin/sh\n/bin/cp "$@" || exit $?\nsleep 1.5\n');
    chmodSync(shim, 0o755);
  }

  it("on a terminal: files and bytes of a folder copy, updated in place, then the total with the time; never piped or with --json", async () => {
    const { repo: r, bin } = setup([], {});
    r.write(".gitignore", "fixtures/\n");
    r.write(".worktreeinclude", "fixtures/\n");
    for (let i = 0; i < 120; i++) r.write(`fixtures/f${i}.txt`, "x".repeat(1000));
    r.commitAll("fixtures are ignored");
    slowCp(bin);
    const run = runShell("bash", "wt create 7 --no-fetch", { cwd: r.main, bin, tty: true });
    expect(run.code, run.stdout).toBe(0);
    // Drawn in place: the line is erased (CR, erase to end of line) before it is drawn again.
    expect(run.stdout).toContain("  · copy fixtures/… 120 files, 117.2 kB\r\u001b[K");
    expect(run.stdout).toMatch(/ {2}✓ copy fixtures\/ \(\d\.\d s, 120 files, 117\.2 kB\)\n/);
    const piped = await runWt(r.main, ["create", "8", "--no-fetch"], { PATH: `${bin}:${process.env.PATH}` });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(/files|[·✓]/);
    const json = runShell("bash", "wt create 9 --no-fetch --json 2>&1 >/dev/null", { cwd: r.main, bin, tty: true });
    expect(json.stdout).not.toMatch(/files|[·✓]/);
  });
});
