import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CleanupResult, CreateResult, MergeResult } from "../../src/index.js";
import {
  branchExists,
  type ErrorJson,
  gitOnPath,
  gitSync,
  json,
  makeRepo,
  type RepoOptions,
  runWt,
  type TestRepo,
  trustRepo,
  worktreePaths,
  wtJson,
} from "../helpers/repo.js";

/**
 * `wt merge` through the built binary on real repositories: seeds 000 and 001's merge back,
 * and every refusal leaving the target where it was.
 */

let repo: TestRepo;
afterEach(() => repo?.remove());

/** A repository with a committed wt.config.json (this file's own port base, no fetch). */
function setup(config: Record<string, unknown> = {}, options: RepoOptions = {}): TestRepo {
  const r = makeRepo({ files: { "shared.txt": "base\n" }, ...options });
  r.write("wt.config.json", JSON.stringify({ ports: { PORT: 47300 }, fetch: false, ...config }));
  r.commitAll("wt config");
  if (r.origin) r.git("push", "-q", "origin", "main");
  return r;
}

const create = async (r: TestRepo, id: string) => (await wtJson<CreateResult>(r.main, ["create", id, "--json"])).path;

function commitIn(worktree: string, file: string, content: string, message = `edit ${file}`): string {
  writeFileSync(path.join(worktree, file), content);
  gitSync(worktree, "add", "--", file);
  gitSync(worktree, "commit", "-q", "-m", message);
  return gitSync(worktree, "rev-parse", "HEAD");
}

/** No merge is under way and nothing is uncommitted in any of these worktrees. */
function expectNoneConflicted(folders: string[]): void {
  for (const f of folders) {
    expect(gitSync(f, "status", "--porcelain"), f).toBe("");
    expect(existsSync(gitSync(f, "rev-parse", "--path-format=absolute", "--git-path", "MERGE_HEAD")), f).toBe(false);
  }
}

const head = (r: TestRepo, ref = "main") => r.git("rev-parse", ref);

/** A PATH whose `git` runs `shell` (`$GIT`: the real git) before every update-ref of refs/heads/main. */
const gitOnUpdateOfMain = (r: TestRepo, shell: string) =>
  gitOnPath(r.root, `*update-ref*refs/heads/main*) ${shell} ;;`);

describe("seed 000: three issues merged back, one conflicting", () => {
  it("stops at the conflict with 101 merged, resolved in the worktree, merges the rest, then cleanup --merged removes all", async () => {
    repo = setup({}, { name: "asyncAgent", origin: true });
    const [p101, p102, p103] = [await create(repo, "101"), await create(repo, "102"), await create(repo, "103")];
    commitIn(p101, "shared.txt", "from 101\n");
    commitIn(p102, "shared.txt", "from 102\n");
    commitIn(p103, "feature-103.txt", "103\n");
    const before = head(repo);

    const run = await runWt(repo.main, ["merge", "101", "102", "103", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const doc = json<MergeResult>(run);
    expect(doc.target).toBe("main");
    expect(doc.merged.map((m) => m.id)).toEqual(["101"]);
    expect(doc.conflict).toMatchObject({ id: "102", branch: "feature/issue-102", files: ["shared.txt"] });
    expect(doc.conflict?.next).toEqual(["wt run 102 -- git merge main", "wt merge 102 103"]);
    expect(doc.pending).toEqual(["103"]);
    // 101 landed as a --no-ff merge commit, and the main worktree shows it.
    expect(gitSync(repo.main, "rev-list", "--parents", "-n", "1", "main").split(" ")).toHaveLength(3);
    expect(head(repo, "main^1")).toBe(before);
    expect(readFileSync(path.join(repo.main, "shared.txt"), "utf8")).toBe("from 101\n");
    expectNoneConflicted([repo.main, p101, p102, p103]);
    const human = await runWt(repo.main, ["merge", "102", "103"]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain("shared.txt");
    expect(human.stdout).toContain("wt run 102 -- git merge main");

    // Resolve in the worktree, as the report says.
    expect((await runWt(repo.main, ["run", "102", "--", "git", "merge", "main"])).code).toBe(1);
    writeFileSync(path.join(p102, "shared.txt"), "from 101 and 102\n");
    gitSync(p102, "commit", "-q", "-am", "merge main into 102");
    const rest = await wtJson<MergeResult>(repo.main, ["merge", "102", "103", "--json"]);
    expect(rest.merged.map((m) => m.id)).toEqual(["102", "103"]);
    expect(rest.conflict).toBeNull();
    expect(readFileSync(path.join(repo.main, "shared.txt"), "utf8")).toBe("from 101 and 102\n");
    expect(existsSync(path.join(repo.main, "feature-103.txt"))).toBe(true);
    expectNoneConflicted([repo.main, p102]);

    // git push, then ./scripts/cleanup-worktree.sh for all three.
    repo.git("push", "-q", "origin", "main");
    const clean = await wtJson<CleanupResult>(repo.main, ["cleanup", "--merged", "--json"]);
    expect(clean.removed.map((w) => [w.id, w.branchDeleted])).toEqual([
      ["101", true],
      ["102", true],
      ["103", true],
    ]);
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
  });
});

describe("seed 001: parallel agents' task branches", () => {
  it("wt merge task-48 task-50 task-51 --cleanup: three merge commits, worktrees and branches gone", async () => {
    repo = setup({ worktreeDir: "../{repo}-worktrees/{id}", name: "{id}", branch: "{id}" }, { name: "imbolc" });
    const ids = ["task-48", "task-50", "task-51"];
    for (const id of ids) commitIn(await create(repo, id), `${id}.rs`, `// ${id}\n`, `feat: ${id}`);
    const doc = await wtJson<MergeResult>(repo.main, ["merge", ...ids, "--cleanup", "--json"]);
    expect(doc.merged.map((m) => m.branch)).toEqual(ids);
    expect(doc.cleaned).toEqual(ids);
    expect(repo.git("log", "--merges", "--format=%s", "main").split("\n")).toEqual(
      ids.map((id) => `Merge branch '${id}' (wt ${id})`).reverse(),
    );
    for (const id of ids) {
      expect(branchExists(repo.main, id), id).toBe(false);
      expect(existsSync(path.join(repo.main, `${id}.rs`)), id).toBe(true);
    }
    expect(worktreePaths(repo.main)).toEqual([repo.main]);
    expectNoneConflicted([repo.main]);
  });
});

describe("wt merge refuses before anything moves", () => {
  it("the target's worktree has uncommitted changes to a file the merge changes: exit 5, nothing moved, edit kept", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "shared.txt", "from 101\n");
    const before = head(repo);
    writeFileSync(path.join(repo.main, "shared.txt"), "my edit\n");
    const run = await runWt(repo.main, ["merge", "101", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual(["shared.txt"]);
    expect(head(repo)).toBe(before);
    expect(readFileSync(path.join(repo.main, "shared.txt"), "utf8")).toBe("my edit\n");
  });

  it("uncommitted changes elsewhere in the target's worktree stay as they are while the merge lands", async () => {
    repo = setup({}, { files: { "shared.txt": "base\n", "notes.txt": "n\n" } });
    commitIn(await create(repo, "101"), "new-101.txt", "101\n");
    writeFileSync(path.join(repo.main, "notes.txt"), "my notes\n");
    writeFileSync(path.join(repo.main, "scratch.txt"), "untracked\n");
    await wtJson<MergeResult>(repo.main, ["merge", "101", "--json"]);
    expect(existsSync(path.join(repo.main, "new-101.txt"))).toBe(true);
    expect(repo.git("diff", "--name-only")).toBe("notes.txt");
    expect(repo.git("diff", "--cached", "--name-only")).toBe("");
    expect(readFileSync(path.join(repo.main, "notes.txt"), "utf8")).toBe("my notes\n");
    expect(repo.git("ls-files", "--others", "--exclude-standard")).toBe("scratch.txt");
  });

  it("an id whose worktree is dirty: exit 5 naming it, and the clean id before it is not merged either", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    const p102 = await create(repo, "102");
    commitIn(p102, "b.txt", "b\n");
    writeFileSync(path.join(p102, "b.txt"), "uncommitted\n");
    const before = head(repo);
    const run = await runWt(repo.main, ["merge", "101", "102", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const err = json<ErrorJson>(run).error;
    expect(err.message).toContain("102");
    expect(err.files).toEqual(["b.txt"]);
    expect(head(repo)).toBe(before);
  });

  it("--ff-only when the target moved on: exit 3, nothing moved; a fast-forward moves the ref to the branch tip", async () => {
    repo = setup();
    const tip = commitIn(await create(repo, "101"), "a.txt", "a\n");
    commitIn(await create(repo, "102"), "b.txt", "b\n");
    const ff = await wtJson<MergeResult>(repo.main, ["merge", "101", "--ff-only", "--json"]);
    expect(ff.merged).toEqual([expect.objectContaining({ id: "101", commit: tip })]);
    expect(head(repo)).toBe(tip);
    const run = await runWt(repo.main, ["merge", "102", "--ff-only", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    expect(json<ErrorJson>(run).error.message).toContain("not a fast-forward");
    expect(head(repo)).toBe(tip);
  });

  it("--verify failing: exit 6, nothing moved; passing: it ran on the merged tree, then the ref moved", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "built.txt", "ok\n");
    const before = head(repo);
    const fail = await runWt(repo.main, ["merge", "101", "--verify", "test -f built.txt", "--verify", "exit 7"]);
    expect(fail.code, fail.stderr).toBe(6);
    expect(fail.stderr).toContain("exit 7");
    expect(head(repo)).toBe(before);
    expect(existsSync(path.join(repo.main, "built.txt"))).toBe(false);
    const seen = path.join(repo.root, "verify-saw.txt");
    const verify = `test -f built.txt && printf '%s %s' "$WT_MERGE_TARGET" "$WT_MERGE_COMMIT" > '${seen}'`;
    const ok = await wtJson<MergeResult>(repo.main, ["merge", "101", "--verify", verify, "--json"]);
    expect(readFileSync(seen, "utf8")).toBe(`main ${ok.to}`);
    expect(head(repo)).toBe(ok.to);
    expect(worktreePaths(repo.main)).toHaveLength(2);
  });

  it("config hooks.preMerge failing: exit 6, nothing moved; --no-hooks skips it", async () => {
    repo = setup({ hooks: { preMerge: ["false"] } });
    trustRepo(repo.main);
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    const before = head(repo);
    expect((await runWt(repo.main, ["merge", "101"])).code).toBe(6);
    expect(head(repo)).toBe(before);
    const doc = await wtJson<MergeResult>(repo.main, ["merge", "101", "--no-hooks", "--json"]);
    expect(doc.merged).toHaveLength(1);
  });
});

describe("wt merge: targets and strategies", () => {
  it("a target checked out nowhere: only the ref moves, the main worktree on another branch is untouched", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    repo.git("checkout", "-q", "-b", "elsewhere");
    const doc = await wtJson<MergeResult>(repo.main, ["merge", "101", "--into", "main", "--json"]);
    expect(doc.targetWorktree).toBeNull();
    expect(head(repo, "main")).toBe(doc.to);
    expect(gitSync(repo.main, "ls-tree", "--name-only", "main")).toContain("a.txt");
    expect(repo.git("symbolic-ref", "--short", "HEAD")).toBe("elsewhere");
    expect(existsSync(path.join(repo.main, "a.txt"))).toBe(false);
    expect(repo.git("status", "--porcelain")).toBe("");
  });

  it("config merge.into names the target", async () => {
    repo = setup({ merge: { into: "develop" } });
    repo.git("branch", "develop");
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    const main = head(repo);
    const doc = await wtJson<MergeResult>(repo.main, ["merge", "101", "--json"]);
    expect(doc.target).toBe("develop");
    expect(head(repo, "develop")).toBe(doc.to);
    expect(head(repo)).toBe(main);
  });

  it("--squash: one single-parent commit listing the branch's commits; merging again says already-merged", async () => {
    repo = setup();
    const p = await create(repo, "101");
    commitIn(p, "a.txt", "a\n", "first part");
    commitIn(p, "b.txt", "b\n", "second part");
    // main moved on: its tree is not the branch's, so only the merge-tree rule can tell.
    commitIn(repo.main, "main-only.txt", "m\n");
    const before = head(repo);
    const doc = await wtJson<MergeResult>(repo.main, ["merge", "101", "--squash", "--json"]);
    expect(doc.strategy).toBe("squash");
    expect(gitSync(repo.main, "rev-list", "--parents", "-n", "1", "main")).toBe(`${doc.to} ${before}`);
    const message = repo.git("log", "-1", "--format=%B", "main");
    expect(message).toContain("Squash branch 'feature/issue-101' (wt 101)");
    expect(message).toMatch(/first part[\s\S]*second part/);
    const again = await wtJson<MergeResult>(repo.main, ["merge", "101", "--json"]);
    expect(again.merged).toEqual([]);
    expect(again.skipped).toEqual([{ id: "101", reason: "already-merged", how: "merge-adds-nothing" }]);
    expect(head(repo)).toBe(doc.to);
  });

  it("--dry-run computes the merges and prints the steps, moving nothing", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    const before = head(repo);
    const doc = await wtJson<MergeResult>(repo.main, ["merge", "101", "--dry-run", "--verify", "true", "--json"]);
    expect(doc.dryRun).toBe(true);
    expect(doc.merged.map((m) => m.id)).toEqual(["101"]);
    expect(doc.steps.map((s) => s.split(" ")[0])).toEqual(["verify", "update", "move"]);
    expect(head(repo)).toBe(before);
    expect(existsSync(path.join(repo.main, "a.txt"))).toBe(false);
    const human = await runWt(repo.main, ["merge", "101", "--dry-run"]);
    expect(human.stdout).toContain("dry run, nothing moved");
    expect(head(repo)).toBe(before);
  });

  it("--continue-on-conflict skips the conflicting id, merges the next, exits 3", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "shared.txt", "101\n");
    commitIn(await create(repo, "102"), "shared.txt", "102\n");
    commitIn(await create(repo, "103"), "c.txt", "c\n");
    const run = await runWt(repo.main, ["merge", "101", "102", "103", "--continue-on-conflict", "--json"]);
    expect(run.code, run.stderr).toBe(3);
    const doc = json<MergeResult>(run);
    expect(doc.merged.map((m) => m.id)).toEqual(["101", "103"]);
    expect(doc.skipped).toEqual([{ id: "102", reason: "conflict", files: ["shared.txt"] }]);
    expect(doc.conflict).toBeNull();
    expectNoneConflicted([repo.main]);
  });

  it("--verbose names each step as it runs", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    const run = await runWt(repo.main, ["--verbose", "merge", "101"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/move refs\/heads\/main from [0-9a-f]{8} to [0-9a-f]{8} \(compare-and-swap\)/);
    expect(run.stderr).toContain("update the worktree of main");
  });
});

describe("wt merge never loses what the target's worktree holds (adversarial run)", () => {
  it("the target ref moved by someone else just before the compare-and-swap: exit 4, the worktree update taken back", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "from 101\n");
    // Once, a commit on main (same tree) right before wt's update-ref of it.
    const once = path.join(repo.root, "raced");
    const PATH = gitOnUpdateOfMain(
      repo,
      `[ -e ${once} ] || { x=$($GIT commit-tree -p refs/heads/main -m race 'refs/heads/main^{tree}') && $GIT update-ref refs/heads/main "$x" && touch ${once}; }`,
    );
    const run = await runWt(repo.main, ["merge", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBe(4);
    expect(json<ErrorJson>(run).error.message).toContain("moved while wt merged into it");
    expect(repo.git("log", "-1", "--format=%s", "main")).toBe("race");
    expect(existsSync(path.join(repo.main, "a.txt"))).toBe(false);
    expect(repo.git("status", "--porcelain")).toBe("");
  });

  it("killed (SIGKILL) as it moves the ref: the target's worktree already holds the merge, staged on the old HEAD, never its reverse", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "from 101\n");
    const before = head(repo);
    // wt is killed when it asks git to move refs/heads/main (which does not move).
    const PATH = gitOnUpdateOfMain(repo, "kill -9 $PPID; exit 1");
    const run = await runWt(repo.main, ["merge", "101", "--json"], { PATH });
    expect(run.code, run.stderr).toBeNull();
    expect(head(repo)).toBe(before);
    // git status shows the merge's file added (a commit keeps it), with the file on disk.
    expect(repo.git("status", "--porcelain")).toBe("A  a.txt");
    expect(readFileSync(path.join(repo.main, "a.txt"), "utf8")).toBe("from 101\n");
  });

  it("refuses (exit 5) to overwrite an ignored file in the target's worktree that the branch adds (git add -f); it stays", async () => {
    repo = setup();
    repo.write(".gitignore", ".env\n");
    repo.commitAll("ignore .env");
    writeFileSync(path.join(repo.main, ".env"), "MAIN'S SECRET\n");
    const p101 = await create(repo, "101");
    writeFileSync(path.join(p101, ".env"), "from the branch\n");
    gitSync(p101, "add", "-f", ".env");
    gitSync(p101, "commit", "-q", "-m", "commit .env");
    const before = head(repo);
    const run = await runWt(repo.main, ["merge", "101", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual([".env"]);
    expect(readFileSync(path.join(repo.main, ".env"), "utf8")).toBe("MAIN'S SECRET\n");
    expect(head(repo)).toBe(before);
  });

  it("refuses (exit 5, in-progress) while the target branch is being rebased (its worktree's HEAD detached meanwhile)", async () => {
    repo = setup();
    commitIn(await create(repo, "101"), "a.txt", "a\n");
    commitIn(repo.main, "shared.txt", "main 1\n");
    commitIn(repo.main, "shared.txt", "main 2\n");
    gitSync(repo.main, "-c", "sequence.editor=sed -i 1s/^pick/edit/", "rebase", "-q", "-i", "HEAD~2");
    expect(gitSync(repo.main, "status", "--porcelain")).toBe("");
    const run = await runWt(repo.main, ["merge", "101", "--into", "main", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.code).toBe("in-progress");
    gitSync(repo.main, "rebase", "--continue");
    expect((await runWt(repo.main, ["merge", "101", "--json"])).code).toBe(0);
  });

  it.each(["--assume-unchanged", "--skip-worktree"])(
    "refuses (exit 5) to overwrite an edit of the target's worktree hidden by %s on a file the merge changes; it stays",
    async (bit) => {
      repo = setup();
      commitIn(await create(repo, "101"), "shared.txt", "from the branch\n");
      repo.git("update-index", bit, "shared.txt");
      writeFileSync(path.join(repo.main, "shared.txt"), "LOCAL EDIT\n");
      expect(repo.git("status", "--porcelain")).toBe("");
      const before = head(repo);
      const run = await runWt(repo.main, ["merge", "101", "--json"]);
      expect(run.code, run.stderr).toBe(5);
      expect(json<ErrorJson>(run).error.files).toEqual(["shared.txt"]);
      expect(readFileSync(path.join(repo.main, "shared.txt"), "utf8")).toBe("LOCAL EDIT\n");
      expect(head(repo)).toBe(before);
    },
  );

  it("--cleanup names the ignored files it deleted with a worktree, as wt cleanup lists them", async () => {
    repo = setup();
    repo.write(".gitignore", "scratch/\n*.db\n");
    repo.commitAll("ignore scratch");
    const p101 = await create(repo, "101");
    commitIn(p101, "a.txt", "a\n");
    mkdirSync(path.join(p101, "scratch"));
    writeFileSync(path.join(p101, "scratch", "n.txt"), "k\n");
    writeFileSync(path.join(p101, "local.db"), "x");
    const doc = await wtJson<MergeResult>(repo.main, ["merge", "101", "--cleanup", "--json"]);
    expect(doc.cleaned).toEqual(["101"]);
    const line = doc.warnings.find((w) => w.startsWith("101: deleted with the worktree"));
    expect(line).toContain("local.db");
    expect(line).toContain("scratch/ (1 files)");
  });

  it("refuses (exit 5) to merge a worktree whose only change is a hidden edit (--skip-worktree), as it refuses any uncommitted one", async () => {
    repo = setup();
    const p101 = await create(repo, "101");
    commitIn(p101, "a.txt", "a\n");
    gitSync(p101, "update-index", "--skip-worktree", "shared.txt");
    writeFileSync(path.join(p101, "shared.txt"), "NOT COMMITTED\n");
    const before = head(repo);
    const run = await runWt(repo.main, ["merge", "101", "--cleanup", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual(["shared.txt"]);
    expect(readFileSync(path.join(p101, "shared.txt"), "utf8")).toBe("NOT COMMITTED\n");
    expect(head(repo)).toBe(before);
  });
});
