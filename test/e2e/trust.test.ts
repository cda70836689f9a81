import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import {
  branchExists,
  type ErrorJson,
  gitSync,
  json,
  makeRepo,
  runWt,
  type TestRepo,
  WT_BIN,
  worktreesDir,
  wtEnv,
  wtJson,
} from "../helpers/repo.js";

/**
 * Trust for repository commands (issue 15 item 2): a repository cloned from someone else runs
 * none of its hooks or database init until this user trusts exactly those commands.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A fresh trust store (temp XDG_STATE_HOME) for one test. */
function stateHome(): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-trust-state-")));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const HOOKED = {
  ports: { PORT: 49300 },
  hooks: {
    postCreate: ['touch "$WT_MAIN/../post-create-$WT_ID"'],
    preCleanup: ['touch "$WT_MAIN/../pre-cleanup-$WT_ID"'],
  },
  databases: [{ engine: "sqlite", path: "data/app.sqlite", init: 'touch "$WT_MAIN/../init-$WT_ID"' }],
};

interface Clone {
  upstream: TestRepo;
  /** The main worktree of a fresh `git clone` of the upstream's origin. */
  main: string;
  /** Folder the markers land in (the clone's parent). */
  markers: string;
}

/** Someone else's repository with committed hooks and init, freshly cloned. */
function freshClone(config: object = HOOKED): Clone {
  const upstream = makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify(config) } });
  cleanups.push(() => upstream.remove());
  const markers = path.join(upstream.root, "clone");
  gitSync(upstream.root, "clone", "-q", upstream.origin as string, path.join(markers, "app"));
  const main = path.join(markers, "app");
  gitSync(main, "config", "user.name", "wt test");
  gitSync(main, "config", "user.email", "wt@example.invalid");
  cleanups.push(() => rmSync(worktreesDir(main), { recursive: true, force: true }));
  return { upstream, main, markers };
}

const marker = (c: Clone, name: string) => existsSync(path.join(c.markers, name));

describe("trust: repository commands", () => {
  it("a fresh clone runs none of its commands until trusted (exit 2 naming wt trust, nothing made, --dry-run too)", async () => {
    const c = freshClone();
    const env = { XDG_STATE_HOME: stateHome() };
    const refused = await runWt(c.main, ["create", "1", "--json"], env);
    expect(refused.code, refused.stderr).toBe(2);
    const doc = json<ErrorJson>(refused);
    expect(doc.error.code).toBe("untrusted");
    expect(doc.error.hint).toContain("wt trust");
    expect(refused.stderr).toContain("hooks.postCreate[0]");
    expect(refused.stderr).toContain("databases[0].init");
    expect(marker(c, "post-create-1") || marker(c, "init-1")).toBe(false);
    expect(existsSync(path.join(worktreesDir(c.main), "issue-1"))).toBe(false);
    expect(branchExists(c.main, "feature/issue-1")).toBe(false);

    const dry = await runWt(c.main, ["create", "1", "--dry-run"], env);
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stderr).toContain('touch "$WT_MAIN/../post-create-$WT_ID"');
    expect(dry.stderr).toContain("wt trust");

    const trusted = await runWt(c.main, ["trust"], env);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stdout).toContain("hooks.postCreate[0]");
    const made = await wtJson<CreateResult>(c.main, ["create", "1", "--json"], env);
    expect(made.created).toBe(true);
    expect(marker(c, "post-create-1")).toBe(true);
    expect(marker(c, "init-1")).toBe(true);
  });

  it("changing any command needs trusting again; --show says so; --revoke forgets", async () => {
    const c = freshClone();
    const env = { XDG_STATE_HOME: stateHome() };
    expect((await runWt(c.main, ["trust"], env)).code).toBe(0);
    expect((await wtJson<{ trusted: boolean }>(c.main, ["trust", "--show", "--json"], env)).trusted).toBe(true);
    // A pull brings a changed hook.
    const changed = { ...HOOKED, hooks: { ...HOOKED.hooks, postCreate: ['touch "$WT_MAIN/../evil-$WT_ID"'] } };
    c.upstream.write("wt.config.json", JSON.stringify(changed));
    c.upstream.commitAll("change a hook");
    c.upstream.git("push", "-q", "origin", "main");
    gitSync(c.main, "pull", "-q", "--ff-only");
    const refused = await runWt(c.main, ["create", "2"], env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain("changed since you trusted them");
    expect(marker(c, "evil-2")).toBe(false);
    const shown = await wtJson<{ trusted: boolean; changed: boolean }>(c.main, ["trust", "--show", "--json"], env);
    expect(shown).toMatchObject({ trusted: false, changed: true });
    expect((await runWt(c.main, ["trust"], env)).code).toBe(0);
    expect((await runWt(c.main, ["create", "2"], env)).code).toBe(0);
    expect(marker(c, "evil-2")).toBe(true);

    const revoked = await wtJson<{ revoked: boolean }>(c.main, ["trust", "--revoke", "--json"], env);
    expect(revoked.revoked).toBe(true);
    expect((await runWt(c.main, ["create", "3"], env)).code).toBe(2);
  });

  it("--no-hooks works untrusted and runs none of them; WT_TRUST=1 and --trust run them without recording", async () => {
    const c = freshClone();
    const env = { XDG_STATE_HOME: stateHome() };
    const plain = await runWt(c.main, ["create", "1", "--no-hooks"], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(existsSync(path.join(worktreesDir(c.main), "issue-1"))).toBe(true);
    expect(marker(c, "post-create-1") || marker(c, "init-1")).toBe(false);
    // cleanup runs preCleanup hooks: gated the same way, and --no-hooks works there too.
    const cleanRefused = await runWt(c.main, ["cleanup", "1"], env);
    expect(cleanRefused.code, cleanRefused.stderr).toBe(2);
    expect(existsSync(path.join(worktreesDir(c.main), "issue-1"))).toBe(true);
    expect((await runWt(c.main, ["cleanup", "1", "--no-hooks"], env)).code).toBe(0);
    expect(marker(c, "pre-cleanup-1")).toBe(false);

    expect((await runWt(c.main, ["create", "2"], { ...env, WT_TRUST: "1" })).code).toBe(0);
    expect(marker(c, "post-create-2")).toBe(true);
    expect((await runWt(c.main, ["create", "3", "--trust"], env)).code).toBe(0);
    expect(marker(c, "post-create-3")).toBe(true);
    expect((await runWt(c.main, ["cleanup", "3", "--trust"], env)).code).toBe(0);
    expect(marker(c, "pre-cleanup-3")).toBe(true);
    expect((await wtJson<{ trusted: boolean }>(c.main, ["trust", "--show", "--json"], env)).trusted).toBe(false);
  });

  it("a config without repository commands needs no trust", async () => {
    const c = freshClone({ ports: { PORT: 49310 }, databases: [{ engine: "sqlite", path: "data/app.sqlite" }] });
    const run = await runWt(c.main, ["create", "1"], { XDG_STATE_HOME: stateHome() });
    expect(run.code, run.stderr).toBe(0);
  });

  it("the store is $XDG_STATE_HOME/wt/trust.json (0600), else ~/.local/state/wt; keyed by path and origin", async () => {
    const c = freshClone();
    const xdg = stateHome();
    expect((await runWt(c.main, ["trust"], { XDG_STATE_HOME: xdg })).code).toBe(0);
    const file = path.join(xdg, "wt", "trust.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const store = JSON.parse(readFileSync(file, "utf8"));
    expect(store.repos[c.main]).toMatchObject({ main: c.main, origin: c.upstream.origin });
    expect(store.repos[c.main].sha256).toMatch(/^[0-9a-f]{64}$/);

    const home = stateHome();
    expect((await runWt(c.main, ["trust"], { XDG_STATE_HOME: "", HOME: home })).code).toBe(0);
    expect(existsSync(path.join(home, ".local", "state", "wt", "trust.json"))).toBe(true);

    // Another origin in the same folder is another repository: not trusted.
    gitSync(c.main, "remote", "set-url", "origin", "https://user:secret@example.invalid/other.git");
    expect((await runWt(c.main, ["create", "1"], { XDG_STATE_HOME: xdg })).code).toBe(2);
    expect((await runWt(c.main, ["trust"], { XDG_STATE_HOME: xdg })).code).toBe(0);
    expect(readFileSync(file, "utf8")).not.toContain("secret");
  });
});

/**
 * Runs the built wt on a pseudo-terminal (python3's pty module: stdin, stdout and stderr are
 * the terminal), answering `answer` to the first `[y/N]` question.
 */
function onTerminal(cwd: string, args: string[], answer: string, env: Record<string, string>) {
  const script = `
import os, pty, select, sys, json
argv = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
asked = False
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not asked and b"[y/N]" in out:
        asked = True
        os.write(fd, (sys.argv[2] + "\\n").encode())
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn("python3", ["-c", script, JSON.stringify([process.execPath, WT_BIN, ...args]), answer], {
      cwd,
      env: wtEnv(env),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("trust: the question on a terminal", () => {
  it("y runs the commands and records the trust; n is exit 2 with nothing made", async () => {
    const c = freshClone();
    const env = { XDG_STATE_HOME: stateHome() };
    const no = await onTerminal(c.main, ["create", "1"], "n", env);
    expect(no.out).toContain("[y/N]");
    expect(no.out).toContain("hooks.postCreate[0]");
    expect(no.code, no.out).toBe(2);
    expect(existsSync(path.join(worktreesDir(c.main), "issue-1"))).toBe(false);
    expect(branchExists(c.main, "feature/issue-1")).toBe(false);
    expect(marker(c, "post-create-1")).toBe(false);

    const yes = await onTerminal(c.main, ["create", "1"], "y", env);
    expect(yes.code, yes.out).toBe(0);
    expect(marker(c, "post-create-1")).toBe(true);
    expect(marker(c, "init-1")).toBe(true);
    // Recorded: the next run, without a terminal, needs no question.
    expect((await runWt(c.main, ["create", "2"], env)).code).toBe(0);
    expect(marker(c, "post-create-2")).toBe(true);
  });
});
