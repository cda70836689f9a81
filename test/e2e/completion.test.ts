import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeRepo, runWt, type TestRepo } from "../helpers/repo.js";
import { binDir, hasProgram, runShell } from "../helpers/shell.js";

// Issue 13 item 2: completion scripts generated from the command tree; ids from wt's records.
let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

async function setup(): Promise<{ repo: TestRepo; bin: string }> {
  const r = makeRepo({ files: { "wt.config.json": JSON.stringify({ ports: { PORT: 44600 }, portSlots: 50 }) } });
  repo = r;
  for (const id of ["101", "auth-fix"]) {
    const run = await runWt(r.main, ["create", id, "--no-fetch", "-q"]);
    expect(run.code, run.stderr).toBe(0);
  }
  return { repo: r, bin: binDir(r.root) };
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

describe("bash", () => {
  const complete = (words: string[]) =>
    `eval "$(wt completion bash)"\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}\n_wt_complete\nprintf '%s\\n' "\${COMPREPLY[@]}"`;

  it("completes ids, commands, aliases, options and --format values", async () => {
    const { repo: r, bin } = await setup();
    const run = (words: string[]) => runShell("bash", complete(words), { cwd: r.main, bin });
    expect(lines(run(["wt", "path", ""]).stdout)).toEqual(["101", "auth-fix"]);
    expect(lines(run(["wt", "cleanup", "101", "a"]).stdout)).toEqual(["auth-fix"]);
    expect(lines(run(["wt", "c"]).stdout)).toEqual(["cd", "claude", "cleanup", "completion", "create"]);
    expect(lines(run(["wt", "l"]).stdout)).toEqual(["list", "ls"]);
    expect(lines(run(["wt", "env", "--format", ""]).stdout)).toEqual(["dotenv", "fish", "json", "sh"]);
    expect(lines(run(["wt", "create", "--no-"]).stdout)).toEqual(["--no-cd", "--no-fetch", "--no-hooks"]);
    expect(lines(run(["wt", "shell-init", ""]).stdout)).toEqual(["bash", "fish", "zsh"]);
  });
});

describe.skipIf(!hasProgram("zsh"))("zsh", () => {
  it("completes ids and commands through compadd", async () => {
    const { repo: r, bin } = await setup();
    // compadd is zsh's completion builtin; outside a completion widget it is replaced by one
    // that prints its candidates, to read what _wt offers.
    const run = (words: string[]) =>
      runShell(
        "zsh",
        `compadd() { local a; for a in "$@"; do [[ $a == -- ]] || print -r -- $a; done }\neval "$(wt completion zsh)"\nwords=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}\n_wt`,
        { cwd: r.main, bin },
      );
    expect(lines(run(["wt", "env", ""]).stdout).filter((w) => !w.startsWith("-"))).toEqual(["101", "auth-fix"]);
    expect(lines(run(["wt", "env", "--format", ""]).stdout)).toEqual(["dotenv", "fish", "json", "sh"]);
    expect(lines(run(["wt", ""]).stdout)).toContain("shell-init");
  });
});

describe.skipIf(!hasProgram("fish"))("fish", () => {
  it("completes ids and commands (complete -C)", async () => {
    const { repo: r, bin } = await setup();
    const run = (line: string) =>
      runShell("fish", `wt completion fish | source\ncomplete -C '${line}'`, { cwd: r.main, bin });
    expect(lines(run("wt path ").stdout)).toEqual(["101", "auth-fix"]);
    expect(run("wt sh").stdout).toMatch(/^shell-init\t/m);
  });
});

describe("wt __complete ids", () => {
  it("reads wt's records only: no git process", async () => {
    const { repo: r } = await setup();
    // A PATH whose git only leaves a mark: completion must not call it.
    const fake = path.join(r.root, "fakebin");
    mkdirSync(fake);
    const mark = path.join(r.root, "git-ran");
    writeFileSync(path.join(fake, "git"), `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
    chmodSync(path.join(fake, "git"), 0o755);
    symlinkSync(process.execPath, path.join(fake, "node"));
    const run = await runWt(r.main, ["__complete", "ids"], { PATH: fake });
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(["101", "auth-fix"]);
    expect(existsSync(mark)).toBe(false);
  });

  it("prints nothing (and no error) outside a repository", async () => {
    const { repo: r } = await setup();
    const run = await runWt(r.root, ["__complete", "ids"]);
    expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });
});
