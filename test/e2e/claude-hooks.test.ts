import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { idForClaudeName } from "../../src/core/claude-hook.js";
import { json, makeRepo, runWt, type TestRepo, WT_BIN, type WtRun, worktreePaths, wtEnv } from "../helpers/repo.js";

/**
 * Claude Code's WorktreeCreate / WorktreeRemove hooks (docs/contract.md, "Agents: Claude Code
 * hooks, trust"), driven as Claude drives them: a real process, the JSON payload on stdin, the
 * path read from stdout.
 */

let repo: TestRepo;
let temps: string[] = [];
afterEach(() => {
  repo?.remove();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
  temps = [];
});

/** A temp HOME, so user scope and user state never touch the real one. */
function tempHome(): string {
  const home = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-claude-home-")));
  temps.push(home);
  return home;
}

/** Variables every run gets: its own HOME and XDG dirs, and trust (the trust gate of issue 15 item 2). */
function hookEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    XDG_STATE_HOME: path.join(home, ".state"),
    XDG_CONFIG_HOME: path.join(home, ".config"),
    CLAUDE_CONFIG_DIR: "",
    WT_TRUST: "1",
  };
}

interface HookRun extends WtRun {
  ms: number;
}

/**
 * Spawns the built wt with `args` in `cwd` and writes `input` on its stdin; `keepOpen` leaves the
 * pipe open afterwards (as a caller that never closes it), closing it only once wt has exited.
 */
function runHook(
  cwd: string,
  args: string[],
  input: string,
  env: Record<string, string>,
  keepOpen = false,
): Promise<HookRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WT_BIN, ...args], { cwd, env: wtEnv(env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.stdin.on("error", () => {});
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
    child.stdin.write(input);
    if (!keepOpen) child.stdin.end();
  });
}

/**
 * A repository whose worktrees folder is reached through a symlink (so the path wt records is
 * not a real path: Claude Code >= 2.1.216 refuses a symlinked component), with an include and a
 * postCreate hook that prints.
 */
function hookRepo(): TestRepo {
  const r = makeRepo({ files: { ".gitignore": ".env\n", ".worktreeinclude": ".env\n" } });
  mkdirSync(path.join(r.root, "real-worktrees"));
  symlinkSync(path.join(r.root, "real-worktrees"), path.join(r.root, "via-link"));
  r.write(
    "wt.config.json",
    JSON.stringify({
      worktreeDir: "../via-link/{name}",
      ports: { PORT: 45100 },
      hooks: { postCreate: ["echo hook-output-on-stdout", "echo hook-output-on-stderr >&2"] },
    }),
  );
  r.commitAll("config");
  r.write(".env", "SECRET=1\n");
  return r;
}

/** Asserts the run succeeded and printed exactly one line, a real path; returns it. */
function onePath(run: WtRun): string {
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout.endsWith("\n")).toBe(true);
  const lines = run.stdout.split("\n");
  expect(lines, run.stdout).toHaveLength(2);
  const printed = lines[0] as string;
  expect(path.isAbsolute(printed)).toBe(true);
  expect(printed).toBe(realpathSync(printed));
  return printed;
}

describe("wt hook claude-create", () => {
  it("every payload shape gives one stdout line: the worktree's real path, with includes and hooks done", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const shapes: [string, string, string][] = [
      ["name", '{"name":"bold-oak-a3f2"}\n', "bold-oak-a3f2"],
      ["worktree_name", '{"worktree_name":"calm-fir-0b1c"}\n', "calm-fir-0b1c"],
      [
        "unknown fields",
        JSON.stringify({
          session_id: "abc",
          transcript_path: "/tmp/t.jsonl",
          cwd: repo.main,
          hook_event_name: "WorktreeCreate",
          permission_mode: "default",
          agent_id: "x",
          name: "agent-5f3e",
          future: { nested: [1, 2] },
        }),
        "agent-5f3e",
      ],
      ["no trailing newline", '{"name":"quiet-elm-77aa"}', "quiet-elm-77aa"],
      ["a slash in the name", '{"name":"feat/04-product-config"}', "feat-04-product-config"],
    ];
    for (const [shape, input, id] of shapes) {
      const run = await runHook(repo.main, ["hook", "claude-create"], input, env);
      const printed = onePath(run);
      expect(printed, shape).toBe(path.join(repo.root, "real-worktrees", id));
      expect((await runWt(repo.main, ["path", id])).stdout, shape).toBe(`${printed}\n`);
      // The whole transaction: .worktreeinclude (Claude skips it with a hook), env file, hooks.
      expect(readFileSync(path.join(printed, ".env"), "utf8"), shape).toBe("SECRET=1\n");
      expect(run.stderr, shape).toContain("hook-output-on-stdout");
      expect(run.stderr, shape).toContain("hook-output-on-stderr");
    }
    // A name with `/` that git accepts is also the branch.
    expect(repo.git("rev-parse", "--verify", "--quiet", "refs/heads/feat/04-product-config")).toMatch(/^[0-9a-f]{40}$/);
  });

  it("refuses invalid JSON, a non-object and a payload without a name: exit 2, nothing on stdout, nothing made", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    for (const input of ['{"name":"x"', "not json", "", '["name"]', '{"session_id":"a"}', '{"name":""}']) {
      const run = await runHook(repo.main, ["hook", "claude-create"], input, env);
      expect(run.code, `${input}: ${run.stderr}`).toBe(2);
      expect(run.stdout, input).toBe("");
      expect(run.stderr, input).toMatch(/^wt: the (hook payload on stdin is not|WorktreeCreate payload has no)/);
    }
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
  });

  it("answers without waiting for the caller to close stdin", async () => {
    repo = hookRepo();
    const run = await runHook(repo.main, ["hook", "claude-create"], '{"name":"open-pipe"}', hookEnv(tempHome()), true);
    expect(onePath(run)).toBe(path.join(repo.root, "real-worktrees", "open-pipe"));
    expect(run.ms).toBeLessThan(4500);
  });

  it("is idempotent, and works from a subfolder and from a linked worktree of the repository", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    repo.write("src/deep/file.txt", "x\n");
    const first = onePath(await runHook(repo.main, ["hook", "claude-create"], '{"name":"same"}', env));
    const again = onePath(
      await runHook(path.join(repo.main, "src", "deep"), ["hook", "claude-create"], '{"name":"same"}', env),
    );
    const fromLinked = onePath(await runHook(first, ["hook", "claude-create"], '{"name":"same"}', env));
    expect(again).toBe(first);
    expect(fromLinked).toBe(first);
    const other = onePath(await runHook(first, ["hook", "claude-create"], '{"name":"other"}', env));
    expect(other).toBe(path.join(repo.root, "real-worktrees", "other"));
    expect(worktreePaths(repo.main).sort()).toEqual([repo.main, first, other].sort());
  });

  it("two payloads of one name at once make one worktree, and both print its path", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const [a, b] = await Promise.all([
      runHook(repo.main, ["hook", "claude-create"], '{"name":"race-me"}', env),
      runHook(repo.main, ["hook", "claude-create"], '{"worktree_name":"race-me"}', env),
    ]);
    const pa = onePath(a as HookRun);
    const pb = onePath(b as HookRun);
    expect(pa).toBe(pb);
    expect(worktreePaths(repo.main)).toHaveLength(2);
    const status = json<{ worktrees: { id: string | null; state: string }[] }>(
      await runWt(repo.main, ["status", "--json"]),
    );
    expect(status.worktrees.filter((w) => w.id === "race-me").map((w) => w.state)).toEqual(["ok"]);
  });

  it("a failing create is non-zero with the reason on stderr and nothing on stdout", async () => {
    repo = hookRepo();
    repo.write(
      "wt.config.json",
      JSON.stringify({ worktreeDir: "../via-link/{name}", hooks: { postCreate: ["exit 7"] } }),
    );
    repo.commitAll("failing hook");
    const run = await runHook(repo.main, ["hook", "claude-create"], '{"name":"fails"}', hookEnv(tempHome()));
    expect(run.code).toBe(6);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^wt: /);
  });
});

describe("a worktreeDir reached through a symlink", () => {
  it("records the real path git records, so status sees the worktree and cleanup removes it", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const created = json<{ path: string }>(await runWt(repo.main, ["create", "via-symlink", "--json"], env));
    expect(created.path).toBe(path.join(repo.root, "real-worktrees", "via-symlink"));
    const status = json<{ worktrees: { id: string | null; state: string; path: string }[] }>(
      await runWt(repo.main, ["status", "--json"], env),
    );
    expect(status.worktrees.find((w) => w.id === "via-symlink")).toMatchObject({ state: "ok", path: created.path });
    const cleaned = await runWt(repo.main, ["cleanup", "via-symlink"], env);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(existsSync(created.path)).toBe(false);
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
  });
});

describe("wt hook claude-remove", () => {
  it("cleans up a managed worktree; keeps a dirty one (exit 5); a gone, unmanaged or missing path is exit 0", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const clean = onePath(await runHook(repo.main, ["hook", "claude-create"], '{"name":"clean-one"}', env));
    const dirty = onePath(await runHook(repo.main, ["hook", "claude-create"], '{"name":"dirty-one"}', env));
    writeFileSync(path.join(dirty, "work.txt"), "unsaved work\n");

    const refused = await runHook(repo.main, ["hook", "claude-remove"], JSON.stringify({ worktree_path: dirty }), env);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("wt: ");
    expect(readFileSync(path.join(dirty, "work.txt"), "utf8")).toBe("unsaved work\n");

    const removed = await runHook(
      repo.main,
      ["hook", "claude-remove"],
      JSON.stringify({ worktree_path: clean, x: 1 }),
      env,
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe("");
    expect(existsSync(clean)).toBe(false);
    expect(worktreePaths(repo.main).map((p) => realpathSync(p))).toEqual([repo.main, dirty]);

    for (const input of [
      JSON.stringify({ worktree_path: clean }),
      JSON.stringify({ worktree_path: path.join(repo.root, "never-existed") }),
      JSON.stringify({ session_id: "no path" }),
      JSON.stringify({ worktree_path: repo.main }),
    ]) {
      const run = await runHook(repo.main, ["hook", "claude-remove"], input, env);
      expect(run.code, `${input}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^warning: /);
    }
    expect(existsSync(path.join(repo.main, "README.md"))).toBe(true);
    expect(existsSync(dirty)).toBe(true);

    const broken = await runHook(repo.main, ["hook", "claude-remove"], "{oops", env);
    expect(broken.code).toBe(2);
  });

  it("finds the repository from the worktree itself, whatever folder the session is in", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const made = onePath(await runHook(repo.main, ["hook", "claude-create"], '{"name":"from-anywhere"}', env));
    const elsewhere = tempHome();
    const run = await runHook(elsewhere, ["hook", "claude-remove"], JSON.stringify({ worktree_path: made }), env);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(made)).toBe(false);
  });
});

describe("wt claude install | uninstall | status", () => {
  const settingsOf = (file: string) => JSON.parse(readFileSync(file, "utf8"));

  it("merges both hooks into settings.local.json keeping every other key, idempotently, with a command that works anywhere", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const file = path.join(repo.main, ".claude", "settings.local.json");
    const other = {
      permissions: { allow: ["Bash(npm test)"] },
      env: { FOO: "1" },
      hooks: { PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "echo pre" }] }] },
    };
    repo.write(".claude/settings.local.json", JSON.stringify(other));
    const first = await runWt(repo.main, ["claude", "install", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const doc = json<{ changed: boolean; commands: { create: string; remove: string } }>(first);
    expect(doc.changed).toBe(true);
    const settings = settingsOf(file);
    expect(settings.permissions).toEqual(other.permissions);
    expect(settings.env).toEqual(other.env);
    expect(settings.hooks.PreToolUse).toEqual(other.hooks.PreToolUse);
    expect(settings.hooks.WorktreeCreate).toEqual([
      { hooks: [{ type: "command", command: doc.commands.create, timeout: 600 }] },
    ]);
    expect(settings.hooks.WorktreeRemove[0].hooks[0].command).toBe(doc.commands.remove);
    expect(doc.commands.create).toContain(realpathSync(WT_BIN));

    const bytes = readFileSync(file, "utf8");
    const second = await runWt(repo.main, ["claude", "install", "--json"], env);
    expect(second.code, second.stderr).toBe(0);
    expect(json<{ changed: boolean }>(second).changed).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(bytes);

    // The written command names node and wt by absolute path (a hook's PATH may lack both, or
    // hold Windows Terminal's `wt`), and works when a shell runs it from another folder.
    expect(path.isAbsolute(doc.commands.create.split(" ")[0] as string)).toBe(true);
    const ran = spawnSync("/bin/sh", ["-c", doc.commands.create], {
      cwd: path.join(repo.main, ".claude"),
      input: '{"name":"via-settings"}',
      env: wtEnv(env),
      encoding: "utf8",
    });
    expect(ran.status, ran.stderr).toBe(0);
    expect(ran.stdout).toBe(`${path.join(repo.root, "real-worktrees", "via-settings")}\n`);

    const status = json<{ scopes: { scope: string; installed: boolean }[] }>(
      await runWt(repo.main, ["claude", "status", "--json"], env),
    );
    expect(status.scopes.map((s) => [s.scope, s.installed])).toEqual([
      ["local", true],
      ["project", false],
      ["user", false],
    ]);
  });

  it("refuses beside another WorktreeCreate handler in any scope (exit 3); --replace replaces it; uninstall removes only wt's", async () => {
    repo = hookRepo();
    const home = tempHome();
    const env = hookEnv(home);
    const userFile = path.join(home, ".claude", "settings.json");
    const foreign = { type: "command", command: "bash ~/my-worktree.sh" };
    mkdirSync(path.dirname(userFile), { recursive: true });
    writeFileSync(
      userFile,
      JSON.stringify({
        model: "opus",
        hooks: { WorktreeCreate: [{ hooks: [foreign] }], Stop: [{ hooks: [foreign] }] },
      }),
    );
    const before = readFileSync(userFile, "utf8");

    const refused = await runWt(repo.main, ["claude", "install"], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(userFile);
    expect(refused.stderr).toContain("bash ~/my-worktree.sh");
    expect(refused.stderr).toContain("--scope user --replace");
    expect(existsSync(path.join(repo.main, ".claude", "settings.local.json"))).toBe(false);
    expect(readFileSync(userFile, "utf8")).toBe(before);

    const replaced = await runWt(repo.main, ["claude", "install", "--scope", "user", "--replace"], env);
    expect(replaced.code, replaced.stderr).toBe(0);
    const after = settingsOf(userFile);
    expect(after.model).toBe("opus");
    expect(after.hooks.Stop).toEqual([{ hooks: [foreign] }]);
    expect(after.hooks.WorktreeCreate).toHaveLength(1);
    expect(after.hooks.WorktreeCreate[0].hooks[0].command).toMatch(/ hook claude-create$/);

    // A project-scope install now sits beside wt's own user-scope handler: no conflict.
    const project = await runWt(repo.main, ["claude", "install", "--scope", "project"], env);
    expect(project.code, project.stderr).toBe(0);

    const removed = await runWt(repo.main, ["claude", "uninstall", "--scope", "user"], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(settingsOf(userFile)).toEqual({ model: "opus", hooks: { Stop: [{ hooks: [foreign] }] } });
    const again = await runWt(repo.main, ["claude", "uninstall", "--scope", "user"], env);
    expect(again.code).toBe(0);
    expect(settingsOf(userFile)).toEqual({ model: "opus", hooks: { Stop: [{ hooks: [foreign] }] } });
    expect(settingsOf(path.join(repo.main, ".claude", "settings.json")).hooks.WorktreeCreate).toHaveLength(1);
  });

  it("refuses a settings file that is not JSON (exit 2) and leaves it as it was", async () => {
    repo = hookRepo();
    const env = hookEnv(tempHome());
    const file = repo.write(".claude/settings.local.json", '{ "permissions": { // a comment\n } }');
    for (const args of [
      ["claude", "install"],
      ["claude", "uninstall"],
      ["claude", "status"],
    ]) {
      const run = await runWt(repo.main, args, env);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain(file);
    }
    expect(readFileSync(file, "utf8")).toBe('{ "permissions": { // a comment\n } }');
  });
});

describe("the Claude name -> wt id mapping", () => {
  it("keeps valid ids, maps the rest deterministically into the id grammar", () => {
    expect(idForClaudeName("bold-oak-a3f2")).toBe("bold-oak-a3f2");
    expect(idForClaudeName("feat/04-product-config")).toBe("feat-04-product-config");
    expect(idForClaudeName("-x//y..z.lock")).toBe("x-y.z-lock");
    expect(idForClaudeName("über täst")).toBe("ber-t-st");
    const long = `a/${"b".repeat(80)}`;
    expect(idForClaudeName(long)).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
    expect(idForClaudeName(long)).toBe(idForClaudeName(long));
    expect(idForClaudeName(`${long}c`)).not.toBe(idForClaudeName(long));
    expect(() => idForClaudeName("///")).toThrow(/no letter or digit/);
  });
});
