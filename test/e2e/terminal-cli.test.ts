import { spawnSync } from "node:child_process";
import { readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/core/config.js";
import { makeRepo, runWt, type TestRepo, WT_BIN, wtEnv } from "../helpers/repo.js";
import { binDir, runShell } from "../helpers/shell.js";

// Issue 13 items 3, 4, 5 (wt init) and 6: what a developer's terminal shows.
let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

async function setup(ids: string[], config: Record<string, unknown> = {}): Promise<{ repo: TestRepo; bin: string }> {
  const r = makeRepo({
    files: { "wt.config.json": JSON.stringify({ ports: { PORT: 45100, API_PORT: 45300 }, portSlots: 100, ...config }) },
  });
  repo = r;
  for (const id of ids) {
    const run = await runWt(r.main, ["create", id, "--no-fetch", "-q"]);
    expect(run.code, run.stderr).toBe(0);
  }
  return { repo: r, bin: binDir(r.root) };
}

describe("wt status fits the terminal", () => {
  const ids = ["101", "auth-fix-with-a-long-name", "feature-payments-refactor"];

  it("at 80 columns: no line over 80, no trailing space, a note naming what was hidden, the current row marked", async () => {
    const { repo: r, bin } = await setup(ids, { branch: "feature/a-rather-long-branch-prefix/{name}" });
    const run = runShell("bash", "wt status", { cwd: r.main, bin, tty: true, cols: 80, env: { NO_COLOR: "1" } });
    expect(run.code, run.stdout).toBe(0);
    const out = run.stdout.split("\n");
    for (const line of out) {
      expect(line.length, line).toBeLessThanOrEqual(80);
      expect(line, JSON.stringify(line)).not.toMatch(/\s$/);
    }
    const rows = out.filter((l) => /^[* ] +\S/.test(l) && !l.includes("ID"));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(out.find((l) => l.includes("(main)"))).toMatch(/^\*/);
    expect(run.stdout).toMatch(
      /\(to fit 80 columns: (hidden|shortened) .+\)\n\(wt status --wide shows every column in full\)/,
    );
  });

  it("piped: full rows (every path whole), no trailing space; --wide on a terminal too; JSON unchanged", async () => {
    const { repo: r, bin } = await setup(ids);
    const piped = await runWt(r.main, ["status"]);
    expect(piped.code).toBe(0);
    for (const line of piped.stdout.split("\n")) expect(line).not.toMatch(/\s$/);
    const paths = (await runWt(r.main, ["status", "--json"])).stdout;
    const doc = JSON.parse(paths) as { worktrees: { path: string; ports: Record<string, number> }[] };
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(["worktrees", "main"]));
    for (const w of doc.worktrees) expect(piped.stdout).toContain(w.path);
    expect(piped.stdout).not.toContain("--wide");
    const wide = runShell("bash", "wt status --wide", {
      cwd: r.main,
      bin,
      tty: true,
      cols: 80,
      env: { NO_COLOR: "1" },
    });
    for (const w of doc.worktrees) expect(wide.stdout).toContain(w.path);
  });

  it("-q prints the ids alone; ls and list are status", async () => {
    const { repo: r } = await setup(["101", "102"]);
    expect((await runWt(r.main, ["status", "-q"])).stdout).toBe("101\n102\n");
    for (const alias of ["ls", "list"])
      expect((await runWt(r.main, [alias, "--json"])).stdout).toContain('"worktrees"');
  });
});

describe("progress on a terminal only", () => {
  it("--verbose names each step with its elapsed time; piped without --verbose and with --json: none", async () => {
    const { repo: r, bin } = await setup([]);
    const tty = runShell("bash", "wt --verbose create 5 --no-fetch", {
      cwd: r.main,
      bin,
      tty: true,
      env: { NO_COLOR: "1" },
    });
    expect(tty.code, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/ {2}✓ .+ \(\d+ ms\)|\(\d+\.\d s\)/);
    const piped = await runWt(r.main, ["create", "6", "--no-fetch"]);
    expect(piped.stderr).not.toMatch(/[·✓]/);
    const json = runShell("bash", "wt create 7 --no-fetch --json 2>&1 >/dev/null", { cwd: r.main, bin, tty: true });
    expect(json.stdout).not.toMatch(/[·✓]/);
  });
});

describe("one message style, help and ids", () => {
  it("`wt create --help | head -1` exits quietly (no EPIPE stack), ten times", () => {
    const script = `for i in 1 2 3 4 5 6 7 8 9 10; do node '${WT_BIN}' create --help | head -c 5 >/dev/null; node '${WT_BIN}' help create | head -c 5 >/dev/null; done`;
    const run = spawnSync("bash", ["-c", script], { env: wtEnv(), encoding: "utf8" });
    expect(run.stderr).toBe("");
  });

  it("wt alone prints help on stdout with exit 0; wt help <topic> for config, exit-codes, shell", async () => {
    const { repo: r } = await setup([]);
    const alone = await runWt(r.main, []);
    expect(alone).toMatchObject({ code: 0, stderr: "" });
    expect(alone.stdout).toMatch(/^Usage: wt/);
    expect((await runWt(r.main, ["help", "config"])).stdout).toMatch(/portSlots/);
    expect((await runWt(r.main, ["help", "exit-codes"])).stdout).toMatch(/130 +interrupted/);
    expect((await runWt(r.main, ["help", "shell"])).stdout).toMatch(/wt shell install/);
    expect((await runWt(r.main, ["help", "create"])).stdout).toMatch(/^Usage: wt create/);
    const bad = await runWt(r.main, ["help", "nope"]);
    expect(bad.code).toBe(2);
  });

  it("commander's errors look like wt's: `wt: ...` then `hint: ...`, exit 2", async () => {
    const { repo: r } = await setup([]);
    for (const args of [["bogus"], ["create"], ["status", "--nope"], ["env", "--format", "xml"]]) {
      const run = await runWt(r.main, args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(/^wt: .+\nhint: .+\n$/);
      expect(run.stderr).not.toMatch(/^error:/m);
    }
  });

  it("aliases: new creates, rm and remove clean up", async () => {
    const { repo: r } = await setup([]);
    expect((await runWt(r.main, ["new", "1", "--no-fetch", "-q"])).code).toBe(0);
    expect((await runWt(r.main, ["new", "2", "--no-fetch", "-q"])).code).toBe(0);
    expect((await runWt(r.main, ["rm", "1"])).code).toBe(0);
    expect((await runWt(r.main, ["remove", "2"])).code).toBe(0);
    expect((await runWt(r.main, ["status", "-q"])).stdout).toBe("");
  });

  it("ids from the folder name and from the worktree the shell stands in; a gone folder is exit 3", async () => {
    const { repo: r } = await setup(["101"]);
    const folder = (await runWt(r.main, ["path", "101"])).stdout.trim();
    expect((await runWt(r.main, ["path", "issue-101"])).stdout.trim()).toBe(folder);
    expect((await runWt(r.main, ["--verbose", "path", "issue-101"])).stdout.trim()).toBe(folder);
    const sub = path.join(folder, "src");
    (await import("node:fs")).mkdirSync(sub);
    expect((await runWt(sub, ["env"])).stdout).toContain("export WT_ID='101'");
    expect((await runWt(sub, ["path"])).stdout.trim()).toBe(folder);
    expect((await runWt(sub, ["run", ".", "--", "pwd"])).stdout.trim()).toBe(folder);
    const outside = await runWt(r.main, ["env"]);
    expect(outside.code).toBe(2);
    renameSync(folder, `${folder}-moved`);
    const gone = await runWt(r.main, ["path", "101"]);
    expect(gone.code).toBe(3);
    expect(gone.stdout).toBe("");
    expect(gone.stderr).toMatch(/gone/);
  });
});

describe("wt init", () => {
  it("writes a commented config and a .worktreeinclude from ignored files and package.json, which load", async () => {
    const r = makeRepo({
      files: {
        ".gitignore": ".env\n.env.development\nnode_modules/\ndata/*.db\n*.duckdb\n",
        "package.json": JSON.stringify({ scripts: { dev: "vite --port 5174", build: "vite build" } }),
      },
    });
    repo = r;
    r.write(".env", "A=1\n");
    r.write(".env.development", "B=1\n");
    r.write("node_modules/x/index.js", "");
    r.write("data/app.db", "");
    r.write("warehouse.duckdb", "");
    const dry = await runWt(r.main, ["init", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("dry run");
    const run = await runWt(r.main, ["init"]);
    expect(run.code, run.stderr).toBe(0);
    const config = readFileSync(path.join(r.main, "wt.config.json"), "utf8");
    expect(config).toMatch(/^\/\/ /);
    const loaded = await loadConfig(r.main, {});
    expect(loaded.ports).toEqual({ PORT: 5174 });
    expect(loaded.include.symlink).toEqual(["node_modules"]);
    expect(loaded.databases.map((d) => d.path).sort()).toEqual(["data/app.db", "warehouse.duckdb"]);
    const include = readFileSync(path.join(r.main, ".worktreeinclude"), "utf8").split("\n");
    expect(include).toEqual(expect.arrayContaining([".env", ".env.development", "node_modules/"]));
    const again = await runWt(r.main, ["init"]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/hint: .*wt init --dry-run/);
  });
});
