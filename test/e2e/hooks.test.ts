import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { json, makeRepo, runWt, type TestRepo, trustRepo } from "../helpers/repo.js";

let repo: TestRepo;
afterEach(() => repo?.remove());

function configure(r: TestRepo, hooks: object, extra: object = {}) {
  r.write("wt.config.json", JSON.stringify({ hooks, ...extra }));
  r.commitAll("config");
  trustRepo(r.main);
}

describe("hooks", () => {
  it("postCreate runs in the worktree with its variables; output goes to stderr, JSON stays clean", async () => {
    repo = makeRepo();
    configure(repo, { postCreate: ['echo "hook says $PORT in $(pwd)"', 'printf %s "$WT_BRANCH" > hook-branch.txt'] });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<CreateResult>(run);
    expect(run.stderr).toContain(`hook says 3101 in ${doc.path}`);
    expect(run.stdout).not.toContain("hook says");
    expect(readFileSync(path.join(doc.path, "hook-branch.txt"), "utf8")).toBe("feature/issue-101");
  });

  it("a branch named to inject runs no command in any hook", async () => {
    repo = makeRepo();
    const hook = 'printf %s "$WT_BRANCH" > "$WT_MAIN/../seen-$WT_ID.txt"';
    configure(repo, { postCreate: [hook], preCleanup: [hook], postCleanup: [hook] });
    for (const [id, branch] of [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text the branch name smuggles in
      ["a", "feature/$(touch${IFS}pwned)"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text the branch name smuggles in
      ["b", "feature/`touch${IFS}pwned2`"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text the branch name smuggles in
      ["c", "feature/x;touch${IFS}pwned3"],
    ] as const) {
      const run = await runWt(repo.main, ["create", id, "--branch", branch]);
      expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(path.join(repo.root, `seen-${id}.txt`), "utf8")).toBe(branch);
      const clean = await runWt(repo.main, ["cleanup", id, "--delete-branch"]);
      expect(clean.code, clean.stderr).toBe(0);
    }
    for (const dir of [repo.main, repo.root, path.join(repo.root, "app-worktrees")]) {
      for (const f of ["pwned", "pwned2", "pwned3"]) expect(existsSync(path.join(dir, f))).toBe(false);
    }
  });

  it("a failing postCreate gives exit 6, keeps the worktree as incomplete, and the next create retries it", async () => {
    repo = makeRepo();
    const flag = path.join(repo.root, "hook-may-pass");
    configure(repo, { postCreate: [`test -f '${flag}' || { echo "setup failed" >&2; exit 9; }`] });
    const first = await runWt(repo.main, ["create", "101"]);
    expect(first.code).toBe(6);
    expect(first.stderr).toContain("setup failed");
    const folder = path.join(repo.root, "app-worktrees", "issue-101");
    expect(existsSync(folder)).toBe(true);
    const status = json<StatusResult>(await runWt(repo.main, ["status", "101", "--json"]));
    expect(status.worktrees[0]?.state).toBe("incomplete");

    writeFileSync(flag, "");
    const second = await runWt(repo.main, ["create", "101", "--json"]);
    expect(second.code, second.stderr).toBe(0);
    expect(json<CreateResult>(second).created).toBe(false);
    const after = json<StatusResult>(await runWt(repo.main, ["status", "101", "--json"]));
    expect(after.worktrees[0]?.state).toBe("ok");
  });

  it("with --json, the error document of a failed postCreate carries the warnings said before it", async () => {
    repo = makeRepo();
    repo.write(".gitignore", "node_modules/\n");
    repo.write(".worktreeinclude", "node_modules\n");
    repo.write("node_modules/dep/index.js", "module.exports = 1;\n");
    configure(repo, { postCreate: ["exit 9"] }, { include: { symlink: ["node_modules"] } });
    const run = await runWt(repo.main, ["create", "101", "--json"]);
    expect(run.code, run.stderr).toBe(6);
    const doc = json<{ error: { code: string }; warnings?: string[] }>(run);
    expect(doc.error.code).toBe("command-failed");
    // The same warning is on stderr; the document is what a script reads.
    expect(run.stderr).toContain("is a symlink to the main worktree's");
    expect(doc.warnings).toEqual([expect.stringContaining("node_modules is a symlink to the main worktree's")]);
  });

  it("--no-hooks on a worktree whose postCreate failed leaves it incomplete; the next create still retries", async () => {
    repo = makeRepo();
    const flag = path.join(repo.root, "hook-may-pass");
    const ran = path.join(repo.root, "hook-ran");
    configure(repo, { postCreate: [`test -f '${flag}' || exit 9`, `touch '${ran}'`] });
    expect((await runWt(repo.main, ["create", "101"])).code).toBe(6);
    const skipped = await runWt(repo.main, ["create", "101", "--no-hooks", "--json"]);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(json<CreateResult>(skipped).warnings.join("\n")).toMatch(/have not succeeded yet/);
    const status = json<StatusResult>(await runWt(repo.main, ["status", "101", "--json"]));
    expect(status.worktrees[0]?.state).toBe("incomplete");
    expect(existsSync(ran)).toBe(false);

    writeFileSync(flag, "");
    expect((await runWt(repo.main, ["create", "101"])).code).toBe(0);
    expect(existsSync(ran)).toBe(true);
    expect(json<StatusResult>(await runWt(repo.main, ["status", "101", "--json"])).worktrees[0]?.state).toBe("ok");
  });

  it("--no-hooks skips postCreate", async () => {
    repo = makeRepo();
    configure(repo, { postCreate: ["touch hook-ran"] });
    const run = await runWt(repo.main, ["create", "101", "--no-hooks", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(path.join(json<CreateResult>(run).path, "hook-ran"))).toBe(false);
  });

  it("a failing preCleanup aborts the cleanup unless --force; postCleanup runs in the main worktree", async () => {
    repo = makeRepo();
    const out = path.join(repo.root, "post-cleanup-pwd.txt");
    configure(repo, { preCleanup: ["echo refusing >&2; exit 3"], postCleanup: [`pwd > '${out}'`] });
    expect((await runWt(repo.main, ["create", "101"])).code).toBe(0);
    const folder = path.join(repo.root, "app-worktrees", "issue-101");
    const refused = await runWt(repo.main, ["cleanup", "101"]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain("refusing");
    expect(existsSync(folder)).toBe(true);
    expect(existsSync(out)).toBe(false);

    const forced = await runWt(repo.main, ["cleanup", "101", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(folder)).toBe(false);
    expect(readFileSync(out, "utf8").trim()).toBe(repo.main);
  });
});
