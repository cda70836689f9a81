import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo, runWt, type TestRepo } from "../helpers/repo.js";
import { binDir, hasProgram, runShell } from "../helpers/shell.js";

// Issue 13 item 1: the shell function, `wt cd`, `wt shell install`, create/cleanup moving the shell.
// A worktree folder whose name holds a space, quotes and `$(...)`: cd'ing there must run nothing.
// (A single quote together with `$` is refused by the env file writer, so it gets its own test.)
const ODD_DIR = `../odd $(touch PWNED) "q" \`touch PWNED2\` dir/{name}`;

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

function setup(worktreeDir = ODD_DIR): { repo: TestRepo; bin: string } {
  const r = makeRepo({
    files: { "wt.config.json": JSON.stringify({ worktreeDir, ports: { PORT: 44100 }, portSlots: 50 }) },
  });
  repo = r;
  return { repo: r, bin: binDir(r.root) };
}

async function make(r: TestRepo, id: string): Promise<string> {
  const run = await runWt(r.main, ["create", id, "--no-fetch", "-q"]);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

function nothingRan(r: TestRepo): void {
  for (const dir of [r.root, r.main, path.dirname(r.main)]) {
    expect(existsSync(path.join(dir, "PWNED")), dir).toBe(false);
    expect(existsSync(path.join(dir, "PWNED2")), dir).toBe(false);
  }
}

const SHELLS = [
  ["bash", 'eval "$(wt shell-init bash)"'],
  ["zsh", 'eval "$(wt shell-init zsh)"'],
  ["fish", "wt shell-init fish | source"],
] as const;

describe.each(SHELLS)("%s: the shell function", (shell, load) => {
  it.skipIf(!hasProgram(shell))(
    "wt cd <id> moves the shell into an odd path, runs nothing, and wt cd alone goes to main",
    async () => {
      const { repo: r, bin } = setup();
      const folder = await make(r, "101");
      expect(folder).toContain("$(touch PWNED)");
      const out = path.join(r.root, "pwd.txt");
      const run = runShell(shell, `${load}\nwt cd 101\npwd > '${out}'\nwt cd\npwd >> '${out}'`, { cwd: r.main, bin });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe("");
      expect(readFileSync(out, "utf8").split("\n").slice(0, 2)).toEqual([folder, r.main]);
      nothingRan(r);
    },
  );

  it.skipIf(!hasProgram(shell))("wt cd into a folder with a single quote and a leading dash", async () => {
    const { repo: r, bin } = setup("../-it's a dir/{name}");
    const folder = await make(r, "5");
    const out = path.join(r.root, "pwd.txt");
    const run = runShell(shell, `${load}\nwt cd 5\npwd > '${out}'`, { cwd: r.main, bin });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(out, "utf8").trim()).toBe(folder);
  });

  it.skipIf(!hasProgram(shell))(
    "wt create on a terminal moves the shell into the new worktree; --no-cd stays",
    async () => {
      const { repo: r, bin } = setup();
      const out = path.join(r.root, "pwd.txt");
      const script = `${load}\nwt create 7 --no-fetch\npwd > '${out}'\nwt cd\nwt create 8 --no-fetch --no-cd\npwd >> '${out}'`;
      const run = runShell(shell, script, { cwd: r.main, bin, tty: true });
      expect(run.code, run.stdout).toBe(0);
      const [afterCreate, afterNoCd] = readFileSync(out, "utf8").split("\n");
      expect(afterCreate).toBe(realpathSync((await runWt(r.main, ["path", "7"])).stdout.trim()));
      expect(afterNoCd).toBe(r.main);
      nothingRan(r);
    },
  );

  it.skipIf(!hasProgram(shell))(
    "wt cleanup of the worktree the shell stands in moves it to the main worktree",
    async () => {
      const { repo: r, bin } = setup();
      const folder9 = await make(r, "9");
      const out = path.join(r.root, "pwd.txt");
      const run = runShell(shell, `${load}\nwt cd 9\npwd > '${out}'\nwt cleanup 9 >/dev/null\npwd >> '${out}'`, {
        cwd: r.main,
        bin,
      });
      expect(run.code, run.stderr).toBe(0);
      // It stood in the worktree first (so the move is cleanup's doing), then in the main one.
      expect(readFileSync(out, "utf8").trim().split("\n")).toEqual([folder9, r.main]);
    },
  );
});

describe("without the shell function", () => {
  it("wt create in a script (stdout not a terminal) does not move it, even under the function", async () => {
    const { repo: r, bin } = setup();
    const out = path.join(r.root, "pwd.txt");
    const run = runShell("bash", `eval "$(wt shell-init bash)"\nwt create 3 --no-fetch >/dev/null\npwd > '${out}'`, {
      cwd: r.main,
      bin,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(out, "utf8").trim()).toBe(r.main);
  });

  it("wt cd prints the path on stdout and one hint on stderr naming wt shell install", async () => {
    const { repo: r } = setup();
    const folder = await make(r, "101");
    const home = path.join(r.root, "home");
    mkdirSync(home);
    const run = await runWt(r.main, ["cd", "101"], { HOME: home, SHELL: "/bin/bash" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${folder}\n`);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("wt shell install");
    // Installed but not loaded in this shell: a different hint.
    writeFileSync(path.join(home, ".bashrc"), '# >>> wt shell-init >>>\neval "$(command wt shell-init bash)"\n');
    const again = await runWt(r.main, ["cd", "101"], { HOME: home, SHELL: "/bin/bash" });
    expect(again.stderr).toMatch(/installed but not loaded/);
    // An older function: out of date.
    const cdFile = path.join(r.root, "cd-file");
    writeFileSync(cdFile, "");
    const old = await runWt(r.main, ["cd", "101"], { HOME: home, WT_CD_FILE: cdFile, WT_SHELL_PROTOCOL: "0" });
    expect(old.stderr).toMatch(/out of date/);
    expect(readFileSync(cdFile, "utf8")).toBe(folder);
  });

  it("the cd file is written only when it is an empty regular file (never through a link)", async () => {
    const { repo: r } = setup();
    await make(r, "101");
    const target = path.join(r.root, "victim");
    writeFileSync(target, "");
    const link = path.join(r.root, "link");
    (await import("node:fs")).symlinkSync(target, link);
    const run = await runWt(r.main, ["cd", "101"], { WT_CD_FILE: link, WT_SHELL_PROTOCOL: "1" });
    expect(run.code).toBe(0);
    expect(readFileSync(target, "utf8")).toBe("");
    expect(run.stdout.trim()).toContain("issue-101");
  });
});

describe("wt shell install / uninstall", () => {
  it.each(["bash", "zsh", "fish"] as const)(
    "%s: one marked block, idempotent, other lines kept, then removed",
    async (shell) => {
      const { repo: r, bin } = setup();
      const home = path.join(r.root, "home");
      mkdirSync(home);
      const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), ZDOTDIR: "" };
      const rc = { bash: ".bashrc", zsh: ".zshrc", fish: ".config/fish/config.fish" }[shell];
      mkdirSync(path.dirname(path.join(home, rc)), { recursive: true });
      writeFileSync(path.join(home, rc), "export KEEP=1\n");
      for (let i = 0; i < 2; i++) {
        const run = await runWt(r.main, ["shell", "install", "--shell", shell], env);
        expect(run.code, run.stderr).toBe(0);
      }
      const text = readFileSync(path.join(home, rc), "utf8");
      expect(text.startsWith("export KEEP=1\n")).toBe(true);
      expect(text.match(/# >>> wt shell-init >>>/g)).toHaveLength(1);
      if (shell === "bash") {
        const loaded = runShell("bash", `source '${path.join(home, rc)}'; type -t wt`, { cwd: r.main, bin, env });
        expect(loaded.stdout.trim()).toBe("function");
      }
      const un = await runWt(r.main, ["shell", "uninstall", "--shell", shell], env);
      expect(un.code, un.stderr).toBe(0);
      expect(readFileSync(path.join(home, rc), "utf8")).toBe("export KEEP=1\n");
    },
  );

  it("an unknown shell is a usage error naming --shell", async () => {
    const { repo: r } = setup();
    const run = await runWt(r.main, ["shell", "install"], { HOME: path.join(r.root, "h"), SHELL: "/bin/tcsh" });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--shell/);
  });
});
