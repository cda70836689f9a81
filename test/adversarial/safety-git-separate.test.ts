import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { type ErrorJson, gitSync, json, runWt, wtJson } from "../helpers/repo.js";

/**
 * Issue 9, item 15: a repository made with `git init --separate-git-dir` keeps its git dir
 * outside the main worktree, and `git worktree list` names that git dir as the main worktree.
 * wt must still read wt.config.json and .worktreeinclude at the real main worktree's root and
 * name it in `wt status`, from the main worktree and from a linked one.
 */
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** `<root>/app` whose git dir is `<root>/store/app.git`, with a config, an ignored file and an include. */
function separateRepo(): { main: string; gitDir: string } {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-test-")));
  const main = path.join(root, "app");
  const gitDir = path.join(root, "store", "app.git");
  mkdirSync(path.dirname(gitDir));
  gitSync(root, "init", "-q", "-b", "main", "--separate-git-dir", gitDir, main);
  gitSync(main, "config", "commit.gpgSign", "false");
  gitSync(main, "config", "gc.auto", "0");
  writeFileSync(path.join(main, "README.md"), "# separate\n");
  writeFileSync(path.join(main, "wt.config.json"), JSON.stringify({ ports: { PORT: 47300 }, portSlots: 10 }));
  writeFileSync(path.join(main, ".gitignore"), "secret.env\n");
  writeFileSync(path.join(main, ".worktreeinclude"), "secret.env\n");
  gitSync(main, "add", "-A");
  gitSync(main, "commit", "-q", "-m", "initial");
  writeFileSync(path.join(main, "secret.env"), "TOKEN=abc\n");
  return { main, gitDir };
}

describe("git init --separate-git-dir", () => {
  it("status names the real main worktree; create reads wt.config.json and .worktreeinclude there", async () => {
    const { main, gitDir } = separateRepo();
    const status = await wtJson<StatusResult>(main, ["status", "--json"]);
    expect(status.main).toBe(main);
    expect(status.worktrees[0]).toMatchObject({ path: main, branch: "main", state: "ok", changes: 0 });
    expect(status.worktrees.map((r) => r.path)).not.toContain(gitDir);

    const made = await wtJson<CreateResult>(main, ["create", "1", "--json"]);
    expect(made.path).toBe(path.join(root, "app-worktrees", "issue-1"));
    expect(made.ports).toEqual({ PORT: 47301 });
    expect(made.included).toEqual([{ path: "secret.env", mode: "copy" }]);
    expect(readFileSync(path.join(made.path, "secret.env"), "utf8")).toBe("TOKEN=abc\n");
    expect(existsSync(path.join(gitDir, "wt"))).toBe(true);
    expect(existsSync(path.join(root, "store", "app.git-worktrees"))).toBe(false);

    // From the linked worktree too.
    const inside = await wtJson<StatusResult>(made.path, ["status", "--json"]);
    expect(inside.main).toBe(main);
    expect(inside.worktrees.map((r) => [r.id, r.path])).toEqual([
      [null, main],
      ["1", made.path],
    ]);
    const env = await runWt(made.path, ["env", "1", "--format", "json"]);
    expect(JSON.parse(env.stdout)).toMatchObject({ WT_MAIN: main, PORT: "47301" });

    const clean = await runWt(made.path, ["cleanup", "1"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(made.path)).toBe(false);
    expect(existsSync(main)).toBe(true);
  });

  it("from a linked worktree wt never ran beside, it says it cannot tell the main worktree (exit 2) instead of guessing", async () => {
    const { main } = separateRepo();
    const plain = path.join(root, "plain");
    gitSync(main, "worktree", "add", "-q", "-b", "plain", plain);
    const run = await runWt(plain, ["status", "--json"]);
    expect(run.code, run.stderr).toBe(2);
    const error = json<ErrorJson>(run).error;
    expect(error.message).toContain("main worktree");
    expect(error.hint).toContain("main worktree");
    // Once wt ran in the main worktree, the linked one knows it.
    await wtJson<StatusResult>(main, ["status", "--json"]);
    const after = await wtJson<StatusResult>(plain, ["status", "--json"]);
    expect(after.main).toBe(main);
  });
});
