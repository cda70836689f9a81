import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { parse } from "dotenv";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { type ErrorJson, gitSync, json, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

/** End-to-end tests of `.worktreeinclude`: what is brought, how, and what never is. */

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

function mode(file: string): number {
  return lstatSync(file).mode & 0o777;
}

function status(cwd: string): string {
  return gitSync(cwd, "status", "--porcelain", "--untracked-files=all", "--ignore-submodules=none");
}

/** `included` as path and mode, sorted (other fields, such as a fingerprint, are not compared). */
function sortedIncluded(r: CreateResult): { path: string; mode: string }[] {
  return r.included
    .map(({ path, mode }) => ({ path, mode }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A repo whose committed setup is `files`; returns after committing and pushing. */
function setup(files: Record<string, string>): TestRepo {
  const r = makeRepo({ origin: true, files });
  return r;
}

const create = (r: TestRepo, id: string, ...extra: string[]) =>
  wtJson<CreateResult>(r.main, ["create", id, "--no-fetch", "--json", ...extra]);

describe(".worktreeinclude: copy and symlink", () => {
  it("copies .env, links node_modules, and the worktree's git status stays empty", async () => {
    repo = setup({
      ".gitignore": ".env\nnode_modules/\n",
      ".worktreeinclude": ".env\nnode_modules/\n",
      "wt.config.json": JSON.stringify({ include: { symlink: ["node_modules"] } }),
    });
    const envSrc = repo.write(".env", "SECRET=s3cr3t\nOTHER=1\n");
    chmodSync(envSrc, 0o640);
    repo.write("node_modules/pkg/index.js", "module.exports = 1;\n");
    repo.write("node_modules/.bin/tool", "#!/bin/sh\n");
    const r = await create(repo, "101");

    const env = path.join(r.path, ".env");
    expect(lstatSync(env).isFile()).toBe(true);
    expect(lstatSync(env).isSymbolicLink()).toBe(false);
    expect(readFileSync(env, "utf8")).toBe("SECRET=s3cr3t\nOTHER=1\n");
    expect(mode(env)).toBe(0o640);

    const nm = path.join(r.path, "node_modules");
    expect(lstatSync(nm).isSymbolicLink()).toBe(true);
    expect(path.resolve(path.dirname(nm), readlinkSync(nm))).toBe(path.join(repo.main, "node_modules"));
    expect(realpathSync(nm)).toBe(path.join(repo.main, "node_modules"));
    expect(readFileSync(path.join(nm, "pkg", "index.js"), "utf8")).toBe("module.exports = 1;\n");

    // The trailing-slash trap: `node_modules/` in .gitignore does not match a symlink.
    expect(status(r.path)).toBe("");
    expect(gitSync(r.path, "add", "-A", "--dry-run")).toBe("");
    expect(status(repo.main)).toBe("");
    expect(sortedIncluded(r)).toEqual([
      { path: ".env", mode: "copy" },
      { path: "node_modules", mode: "symlink" },
    ]);
    // The main worktree's files are where they were.
    expect(lstatSync(path.join(repo.main, "node_modules")).isDirectory()).toBe(true);
    expect(readFileSync(envSrc, "utf8")).toBe("SECRET=s3cr3t\nOTHER=1\n");
  });

  it("a copy is independent of the main worktree; a link follows it", async () => {
    repo = setup({
      ".gitignore": ".env\n.shared\n",
      ".worktreeinclude": ".env\n.shared\n",
      "wt.config.json": JSON.stringify({ include: { symlink: [".shared"] } }),
    });
    const envSrc = repo.write(".env", "A=1\n");
    const sharedSrc = repo.write(".shared", "S=1\n");
    const r = await create(repo, "101");
    writeFileSync(envSrc, "A=2\n");
    writeFileSync(sharedSrc, "S=2\n");
    expect(readFileSync(path.join(r.path, ".env"), "utf8")).toBe("A=1\n");
    expect(lstatSync(path.join(r.path, ".shared")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(r.path, ".shared"), "utf8")).toBe("S=2\n");
    expect(status(r.path)).toBe("");
    expect(sortedIncluded(r)).toEqual([
      { path: ".env", mode: "copy" },
      { path: ".shared", mode: "symlink" },
    ]);
  });

  it("a copied entry that is a symlink out of the worktree (absolute, into the main worktree) is copied as its content; a relative one inside stays a link", async () => {
    repo = setup({
      ".gitignore": ".env\n.env.rel\n",
      ".worktreeinclude": ".env\n.env.rel\n",
      "config/dev.env": "DB=dev\n",
    });
    symlinkSync(path.join(repo.main, "config", "dev.env"), path.join(repo.main, ".env"));
    symlinkSync("config/dev.env", path.join(repo.main, ".env.rel"));
    const r = await create(repo, "101");
    const copy = path.join(r.path, ".env");
    expect(lstatSync(copy).isFile()).toBe(true);
    expect(readFileSync(copy, "utf8")).toBe("DB=dev\n");
    writeFileSync(copy, "DB=agent\n");
    expect(readFileSync(path.join(repo.main, "config", "dev.env"), "utf8")).toBe("DB=dev\n");
    expect(gitSync(repo.main, "status", "--porcelain")).toBe("");
    expect(readlinkSync(path.join(r.path, ".env.rel"))).toBe("config/dev.env");
  });

  it("a copied folder keeps inner symlinks verbatim and file modes", async () => {
    repo = setup({ ".gitignore": "tools/\n", ".worktreeinclude": "tools/\n" });
    const script = repo.write("tools/run.sh", "#!/bin/sh\necho hi\n");
    chmodSync(script, 0o755);
    const secret = repo.write("tools/secret.txt", "x\n");
    chmodSync(secret, 0o600);
    repo.write("tools/nested/deep.txt", "deep\n");
    symlinkSync("run.sh", path.join(repo.main, "tools", "rel-link"));
    symlinkSync(script, path.join(repo.main, "tools", "abs-link"));
    symlinkSync("does-not-exist", path.join(repo.main, "tools", "dangling"));
    const r = await create(repo, "101");

    const tools = path.join(r.path, "tools");
    expect(lstatSync(tools).isDirectory()).toBe(true);
    expect(lstatSync(tools).isSymbolicLink()).toBe(false);
    expect(readdirSync(tools).sort()).toEqual(["abs-link", "dangling", "nested", "rel-link", "run.sh", "secret.txt"]);
    expect(mode(path.join(tools, "run.sh"))).toBe(0o755);
    expect(mode(path.join(tools, "secret.txt"))).toBe(0o600);
    expect(readFileSync(path.join(tools, "nested", "deep.txt"), "utf8")).toBe("deep\n");
    for (const link of ["rel-link", "abs-link", "dangling"]) {
      expect(lstatSync(path.join(tools, link)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(path.join(tools, link))).toBe(readlinkSync(path.join(repo.main, "tools", link)));
    }
    // A real copy: writing in the worktree leaves the main worktree alone.
    writeFileSync(path.join(tools, "nested", "deep.txt"), "changed\n");
    expect(readFileSync(path.join(repo.main, "tools", "nested", "deep.txt"), "utf8")).toBe("deep\n");
    expect(sortedIncluded(r)).toEqual([{ path: "tools", mode: "copy" }]);
    expect(status(r.path)).toBe("");
  });
});

describe(".worktreeinclude: exact excludes", () => {
  it("names with spaces and gitignore pattern characters stay out of git status", async () => {
    repo = setup({ ".gitignore": "*.secret\n", ".worktreeinclude": "*.secret\n" });
    const names = [
      "a b.secret",
      "x[1].secret",
      "q?.secret",
      "star*.secret",
      "#hash.secret",
      "!bang.secret",
      "back\\slash.secret",
    ];
    for (const n of names) repo.write(n, `${n}\n`);
    const r = await create(repo, "101");
    for (const n of names) expect(readFileSync(path.join(r.path, n), "utf8")).toBe(`${n}\n`);
    expect(status(r.path)).toBe("");
    expect(status(repo.main)).toBe("");
    expect(
      sortedIncluded(r)
        .map((e) => e.path)
        .sort(),
    ).toEqual([...names].sort());
  });

  it("nested node_modules in a monorepo are each linked and none shows as untracked", async () => {
    repo = setup({
      ".gitignore": "node_modules/\n",
      ".worktreeinclude": "node_modules/\n",
      "wt.config.json": JSON.stringify({ include: { symlink: ["node_modules"] } }),
      "packages/a/package.json": "{}\n",
      "packages/b/package.json": "{}\n",
    });
    repo.write("node_modules/root-dep/index.js", "1\n");
    repo.write("packages/a/node_modules/a-dep/index.js", "2\n");
    repo.write("packages/b/node_modules/b-dep/index.js", "3\n");
    const r = await create(repo, "101");
    for (const rel of ["node_modules", "packages/a/node_modules", "packages/b/node_modules"]) {
      const link = path.join(r.path, rel);
      expect(lstatSync(link).isSymbolicLink(), rel).toBe(true);
      expect(realpathSync(link)).toBe(path.join(repo.main, rel));
    }
    expect(sortedIncluded(r)).toEqual([
      { path: "node_modules", mode: "symlink" },
      { path: "packages/a/node_modules", mode: "symlink" },
      { path: "packages/b/node_modules", mode: "symlink" },
    ]);
    expect(status(r.path)).toBe("");
    expect(gitSync(r.path, "add", "-A", "--dry-run")).toBe("");
  });
});

describe(".worktreeinclude: which paths are brought", () => {
  it("an untracked file git does not ignore is not brought", async () => {
    repo = setup({ ".gitignore": ".env\n", ".worktreeinclude": ".env\nnotes.txt\n" });
    repo.write(".env", "A=1\n");
    repo.write("notes.txt", "my notes\n");
    const r = await create(repo, "101");
    expect(existsSync(path.join(r.path, "notes.txt"))).toBe(false);
    expect(existsSync(path.join(r.path, ".env"))).toBe(true);
    expect(sortedIncluded(r)).toEqual([{ path: ".env", mode: "copy" }]);
  });

  it("a tracked file is never brought: the branch's content wins, even modified in main", async () => {
    repo = setup({ ".gitignore": ".env\n", ".worktreeinclude": ".env\nsettings.json\n", "settings.json": "{}\n" });
    repo.write("settings.json", '{"local":true}\n');
    const r = await create(repo, "101");
    expect(readFileSync(path.join(r.path, "settings.json"), "utf8")).toBe("{}\n");
    expect(r.included).toEqual([]);
    expect(status(r.path)).toBe("");
  });

  it("a file ignored in main but committed on the branch is not overwritten", async () => {
    repo = setup({ ".gitignore": "settings.local\n", ".worktreeinclude": "settings.local\n" });
    repo.git("checkout", "-q", "-b", "feature/issue-5");
    repo.write("settings.local", "from the branch\n");
    repo.git("add", "-f", "settings.local");
    repo.git("commit", "-q", "-m", "branch settings");
    repo.git("checkout", "-q", "main");
    expect(existsSync(path.join(repo.main, "settings.local"))).toBe(false);
    repo.write("settings.local", "from main\n");

    const run = await runWt(repo.main, ["create", "5", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(readFileSync(path.join(r.path, "settings.local"), "utf8")).toBe("from the branch\n");
    expect(r.included).toEqual([]);
    expect(status(r.path)).toBe("");
    expect(readFileSync(path.join(repo.main, "settings.local"), "utf8")).toBe("from main\n");
  });

  it("negation and anchored patterns behave like gitignore", async () => {
    repo = setup({
      ".gitignore": ".env*\nlocal.json\n",
      ".worktreeinclude": "# comment line\n.env*\n!.env.example\n/config/local.json\n",
      "config/app.json": "{}\n",
    });
    repo.write(".env.dev", "DEV=1\n");
    repo.write(".env.example", "EXAMPLE=1\n");
    repo.write("config/local.json", '{"a":1}\n');
    repo.write("sub/config/local.json", '{"b":1}\n');
    repo.write("local.json", '{"c":1}\n');
    repo.write("sub/.env.nested", "NESTED=1\n");
    const r = await create(repo, "101");

    expect(readFileSync(path.join(r.path, ".env.dev"), "utf8")).toBe("DEV=1\n");
    expect(readFileSync(path.join(r.path, "config", "local.json"), "utf8")).toBe('{"a":1}\n');
    expect(existsSync(path.join(r.path, ".env.example"))).toBe(false);
    expect(existsSync(path.join(r.path, "local.json"))).toBe(false);
    expect(existsSync(path.join(r.path, "sub", "config", "local.json"))).toBe(false);
    // `.env*` has no slash: like gitignore it matches at any depth.
    expect(readFileSync(path.join(r.path, "sub", ".env.nested"), "utf8")).toBe("NESTED=1\n");
    expect(sortedIncluded(r)).toEqual([
      { path: ".env.dev", mode: "copy" },
      { path: "config/local.json", mode: "copy" },
      { path: "sub/.env.nested", mode: "copy" },
    ]);
    expect(status(r.path)).toBe("");
  });

  it("`**` patterns reach inside an ignored folder that is not itself matched", async () => {
    repo = setup({ ".gitignore": "secrets/\n", ".worktreeinclude": "secrets/**/*.key\n" });
    repo.write("secrets/a/one.key", "1\n");
    repo.write("secrets/a/one.txt", "no\n");
    repo.write("secrets/two.key", "2\n");
    const r = await create(repo, "101");
    expect(readFileSync(path.join(r.path, "secrets", "a", "one.key"), "utf8")).toBe("1\n");
    expect(readFileSync(path.join(r.path, "secrets", "two.key"), "utf8")).toBe("2\n");
    expect(existsSync(path.join(r.path, "secrets", "a", "one.txt"))).toBe(false);
    expect(status(r.path)).toBe("");
  });

  it("inside an ignored folder only patterns with a slash are looked for (`**/*.key`, not `*.key`)", async () => {
    // A documented choice (README, `.worktreeinclude`): a slash-less pattern would make wt walk
    // every ignored folder (node_modules of 15,000 files) at every create. Outside ignored
    // folders a slash-less pattern matches at any depth, as in gitignore(5).
    repo = setup({ ".gitignore": "secrets/\n*.key\n", ".worktreeinclude": "*.key\n" });
    repo.write("secrets/two.key", "2\n");
    repo.write("src/deep/three.key", "3\n");
    const slashless = await create(repo, "101");
    expect(sortedIncluded(slashless)).toEqual([{ path: "src/deep/three.key", mode: "copy" }]);

    repo.write(".worktreeinclude", "**/*.key\n");
    repo.write("secrets/a/one.key", "1\n");
    repo.write("secrets/a/one.txt", "no\n");
    const globbed = await create(repo, "102");
    expect(sortedIncluded(globbed)).toEqual([
      { path: "secrets/a/one.key", mode: "copy" },
      { path: "secrets/two.key", mode: "copy" },
      { path: "src/deep/three.key", mode: "copy" },
    ]);
    expect(readFileSync(path.join(globbed.path, "secrets", "two.key"), "utf8")).toBe("2\n");
    expect(existsSync(path.join(globbed.path, "secrets", "a", "one.txt"))).toBe(false);
  });

  it("a folder pattern (`config/`) brings the ignored files of a tracked folder, not its tracked ones", async () => {
    repo = setup({ ".gitignore": "*.local.json\n", ".worktreeinclude": "config/\n", "config/app.json": "{}\n" });
    repo.write("config/app.json", '{"modified":true}\n');
    repo.write("config/db.local.json", '{"db":1}\n');
    const r = await create(repo, "101");
    expect(readFileSync(path.join(r.path, "config", "db.local.json"), "utf8")).toBe('{"db":1}\n');
    expect(readFileSync(path.join(r.path, "config", "app.json"), "utf8")).toBe("{}\n");
    expect(sortedIncluded(r)).toEqual([{ path: "config/db.local.json", mode: "copy" }]);
    expect(status(r.path)).toBe("");
  });

  it("without a .worktreeinclude nothing is brought, ignored files or not", async () => {
    repo = setup({ ".gitignore": ".env\n" });
    repo.write(".env", "A=1\n");
    const r = await create(repo, "101");
    expect(existsSync(path.join(r.path, ".env"))).toBe(false);
    expect(r.included).toEqual([]);
  });
});

describe(".worktreeinclude with worktrees inside the main worktree", () => {
  it("never brings files out of another worktree (worktreeDir trees/{id}, pattern **/.env)", async () => {
    repo = setup({
      ".gitignore": ".env\n",
      ".worktreeinclude": "**/.env\n",
      "wt.config.json": JSON.stringify({ worktreeDir: "trees/{id}" }),
    });
    repo.write(".env", "A=1\n");
    const first = await create(repo, "1");
    expect(sortedIncluded(first)).toEqual([{ path: ".env", mode: "copy" }]);
    writeFileSync(path.join(first.path, ".env"), "A=changed-in-worktree-1\n");
    const second = await create(repo, "2");
    // docs/contract.md: nothing is read outside the main worktree and the new one.
    expect(sortedIncluded(second)).toEqual([{ path: ".env", mode: "copy" }]);
    expect(existsSync(path.join(second.path, "trees"))).toBe(false);
    expect(readFileSync(path.join(second.path, ".env"), "utf8")).toBe("A=1\n");
    expect(status(second.path)).toBe("");
    expect(status(repo.main)).toBe("");
  });
});

describe("env file and included files", () => {
  it("merges into a brought .env.local: its keys stay, wt's win, mode 0600", async () => {
    repo = setup({ ".gitignore": ".env.local\n", ".worktreeinclude": ".env.local\n" });
    const src = repo.write(".env.local", "API_KEY=abc\nPORT=1\n");
    chmodSync(src, 0o644);
    const r = await create(repo, "101");
    const file = path.join(r.path, ".env.local");
    expect(lstatSync(file).isFile()).toBe(true);
    expect(mode(file)).toBe(0o600);
    const vars = parse(readFileSync(file));
    expect(vars.API_KEY).toBe("abc");
    expect(vars.PORT).toBe("3101");
    expect(vars.WT_ID).toBe("101");
    expect(Object.keys(vars).sort()).toEqual(
      ["API_KEY", "PORT", "WT_BRANCH", "WT_ID", "WT_MAIN", "WT_NAME", "WT_PATH", "WT_SLOT"].sort(),
    );
    // PORT appears once: the stale line was replaced, not shadowed.
    expect(readFileSync(file, "utf8").match(/^PORT=/gm)).toHaveLength(1);
    expect(readFileSync(src, "utf8")).toBe("API_KEY=abc\nPORT=1\n");
    expect(mode(src)).toBe(0o644);
    expect(sortedIncluded(r)).toEqual([{ path: ".env.local", mode: "copy" }]);
    expect(status(r.path)).toBe("");
  });

  it("the env file is never a symlink, even when include.symlink names it", async () => {
    repo = setup({
      ".gitignore": ".env.local\n",
      ".worktreeinclude": ".env.local\n",
      "wt.config.json": JSON.stringify({ include: { symlink: [".env.local"] } }),
    });
    const src = repo.write(".env.local", "API_KEY=abc\n");
    const r = await create(repo, "101");
    const file = path.join(r.path, ".env.local");
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(mode(file)).toBe(0o600);
    expect(parse(readFileSync(file)).API_KEY).toBe("abc");
    expect(parse(readFileSync(file)).PORT).toBe("3101");
    expect(readFileSync(src, "utf8")).toBe("API_KEY=abc\n");
  });
});

describe("nothing is written through a symlink", () => {
  it("a branch that commits `config -> <outside>` does not redirect config/secret.json", async () => {
    repo = setup({ ".gitignore": "secret.json\n", ".worktreeinclude": "config/secret.json\n" });
    const outside = path.join(repo.root, "somewhere-outside");
    mkdirSync(outside);
    repo.git("checkout", "-q", "-b", "feature/issue-66");
    symlinkSync(outside, path.join(repo.main, "config"));
    repo.commitAll("config is a link");
    const branchSha = repo.git("rev-parse", "HEAD");
    repo.git("checkout", "-q", "main");
    expect(existsSync(path.join(repo.main, "config"))).toBe(false);
    repo.write("config/secret.json", '{"token":"t"}\n');

    const run = await runWt(repo.main, ["create", "66", "--no-fetch", "--json"]);
    // Nothing lands outside, whatever the outcome.
    expect(readdirSync(outside)).toEqual([]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
    expect(json<ErrorJson>(run).error.message).toMatch(/symlink/);
    // Rolled back: no folder, no record; the pre-existing branch is kept as it was.
    expect(existsSync(path.join(repo.root, "app-worktrees", "issue-66"))).toBe(false);
    expect(existsSync(path.join(repo.main, ".git", "wt", "worktrees", "66.json"))).toBe(false);
    expect(repo.git("rev-parse", "refs/heads/feature/issue-66")).toBe(branchSha);
    expect(readFileSync(path.join(repo.main, "config", "secret.json"), "utf8")).toBe('{"token":"t"}\n');
  });

  it("a branch that commits the env file as a link to an outside file does not write there", async () => {
    repo = setup({});
    const outside = path.join(repo.root, "outside-target");
    writeFileSync(outside, "UNTOUCHED=1\n");
    repo.git("checkout", "-q", "-b", "feature/issue-67");
    symlinkSync(outside, path.join(repo.main, ".env.local"));
    repo.commitAll("env file is a link");
    repo.git("checkout", "-q", "main");

    const run = await runWt(repo.main, ["create", "67", "--no-fetch", "--json"]);
    expect(readFileSync(outside, "utf8")).toBe("UNTOUCHED=1\n");
    expect(statSync(outside).mode & 0o777).not.toBe(0);
    if (run.code === 0) {
      const file = path.join(json<CreateResult>(run).path, ".env.local");
      expect(lstatSync(file).isSymbolicLink()).toBe(false);
      expect(parse(readFileSync(file)).PORT).toBe("3067");
    } else {
      expect(run.code).toBe(3);
    }
  });

  it("a branch that commits a link at an included path keeps its link; the target is not written", async () => {
    repo = setup({ ".gitignore": ".env\n", ".worktreeinclude": ".env\n" });
    const outside = path.join(repo.root, "outside-env");
    writeFileSync(outside, "OUTSIDE=1\n");
    repo.git("checkout", "-q", "-b", "feature/issue-68");
    symlinkSync(outside, path.join(repo.main, ".env"));
    repo.git("add", "-f", ".env");
    repo.git("commit", "-q", "-m", "env is a link");
    repo.git("checkout", "-q", "main");
    repo.write(".env", "MAIN=1\n");

    const run = await runWt(repo.main, ["create", "68", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(readFileSync(outside, "utf8")).toBe("OUTSIDE=1\n");
    expect(readlinkSync(path.join(r.path, ".env"))).toBe(outside);
    expect(r.included).toEqual([]);
  });
});
