import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo, runWt, type TestRepo, WT_BIN } from "../helpers/repo.js";
import { binDir, hasProgram, runShell } from "../helpers/shell.js";

// Issue 13, item 1 leftovers: a new shell starts no node process (the rc block sources a cached
// script that wt refreshes when its version changes), and the "function missing" hint is shown
// once a day, not on every `wt cd`. Ports 487xx are this file's.
let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

const version = (
  JSON.parse(readFileSync(path.join(path.dirname(WT_BIN), "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;

function setup(): { repo: TestRepo; home: string; bin: string; env: Record<string, string> } {
  const r = makeRepo({ files: { "wt.config.json": JSON.stringify({ ports: { PORT: 48700 } }) } });
  repo = r;
  const home = path.join(r.root, "home");
  mkdirSync(home);
  return { repo: r, home, bin: binDir(r.root), env: { HOME: home, SHELL: "/bin/bash", XDG_CACHE_HOME: "" } };
}

describe("the cached shell-init script", () => {
  it("install writes it; a new bash sources it without starting wt, and gets the function and completion", async () => {
    const { repo: r, home, env } = setup();
    const install = await runWt(r.main, ["shell", "install", "--json"], env);
    expect(install.code, install.stderr).toBe(0);
    const cache = path.join(home, ".cache", "wt", "shell-init.bash");
    expect(JSON.parse(install.stdout)).toMatchObject({ changed: true, cache });
    expect(readFileSync(cache, "utf8")).toContain(`WT_SHELL_VERSION=${version} command wt`);
    // A `wt` on PATH that records every start: sourcing the rc file must not start it.
    const spy = path.join(r.root, "spy");
    mkdirSync(spy);
    const log = path.join(r.root, "starts.log");
    writeFileSync(path.join(spy, "wt"), `#!/bin/sh\necho "$@" >> '${log}'\nexec node '${WT_BIN}' "$@"\n`);
    chmodSync(path.join(spy, "wt"), 0o755);
    const run = runShell("bash", `source '${path.join(home, ".bashrc")}'; type -t wt; complete -p wt`, {
      cwd: r.main,
      bin: spy,
      env,
    });
    expect(run.stdout.split("\n")[0]).toBe("function");
    expect(run.stdout).toMatch(/complete .* wt/);
    expect(existsSync(log)).toBe(false);
    // Without the cache the block still works, through `wt shell-init`.
    (await import("node:fs")).rmSync(cache);
    const fallback = runShell("bash", `source '${path.join(home, ".bashrc")}'; type -t wt`, {
      cwd: r.main,
      bin: spy,
      env,
    });
    expect(fallback.stdout.trim()).toBe("function");
    expect(readFileSync(log, "utf8")).toBe("shell-init bash\n");
    // `wt shell-init` never makes a cache file that is not there.
    expect(existsSync(cache)).toBe(false);
    const un = await runWt(r.main, ["shell", "install"], env);
    expect(un.code).toBe(0);
    expect(existsSync(cache)).toBe(true);
    await runWt(r.main, ["shell", "uninstall"], env);
    expect(existsSync(cache)).toBe(false);
  });

  it("a wt of another version than the function it runs under refreshes the cache", async () => {
    const { repo: r, home, bin, env } = setup();
    await runWt(r.main, ["shell", "install"], env);
    const cache = path.join(home, ".cache", "wt", "shell-init.bash");
    // The function of an older wt, as a shell started before an upgrade has it.
    const old = readFileSync(cache, "utf8").replace(`WT_SHELL_VERSION=${version}`, "WT_SHELL_VERSION=0.0.1-old");
    writeFileSync(cache, old);
    const run = runShell("bash", `source '${cache}'; wt status >/dev/null; echo rc=$?`, { cwd: r.main, bin, env });
    expect(run.stdout.trim()).toBe("rc=0");
    const fresh = readFileSync(cache, "utf8");
    expect(fresh).toContain(`WT_SHELL_VERSION=${version} command wt`);
    expect(fresh).not.toContain("0.0.1-old");
  });

  it.skipIf(!hasProgram("zsh"))("zsh: the installed block loads the function from the cache", async () => {
    const { repo: r, home, bin, env } = setup();
    await runWt(r.main, ["shell", "install", "--shell", "zsh"], { ...env, ZDOTDIR: "" });
    const run = runShell("zsh", `source '${path.join(home, ".zshrc")}'; whence -w wt`, { cwd: r.main, bin, env });
    expect(run.stdout).toContain("wt: function");
  });

  it.skipIf(!hasProgram("fish"))("fish: the installed block loads the function from the cache", async () => {
    const { repo: r, home, bin, env } = setup();
    const xdg = { ...env, XDG_CONFIG_HOME: path.join(home, ".config") };
    await runWt(r.main, ["shell", "install", "--shell", "fish"], xdg);
    const rc = path.join(home, ".config", "fish", "config.fish");
    const run = runShell("fish", `source '${rc}'; functions -q wt; and echo function`, { cwd: r.main, bin, env: xdg });
    expect(run.stdout.trim()).toBe("function");
  });
});

describe("the shell-function hint", () => {
  it("is shown once a day per hint and rc file; --verbose shows it every time; -q never", async () => {
    const { repo: r, env } = setup();
    expect((await runWt(r.main, ["create", "101", "--no-fetch", "-q"])).code).toBe(0);
    const first = await runWt(r.main, ["cd", "101"], env);
    expect(first.stderr).toMatch(/^hint: .*wt shell install\n$/);
    const second = await runWt(r.main, ["cd", "101"], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe("");
    expect((await runWt(r.main, ["--verbose", "cd", "101"], env)).stderr).toContain("wt shell install");
    // Another hint (installed, not loaded) is its own.
    await runWt(r.main, ["shell", "install"], env);
    expect((await runWt(r.main, ["cd", "101"], env)).stderr).toMatch(/installed but not loaded/);
    expect((await runWt(r.main, ["cd", "101"], env)).stderr).toBe("");
    expect((await runWt(r.main, ["-q", "--verbose", "cd", "101"], env)).stderr).not.toMatch(/hint/);
  });
});
