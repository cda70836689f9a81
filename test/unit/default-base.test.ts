import { afterEach, describe, expect, it } from "vitest";
import { defaultBase } from "../../src/core/session.js";
import type { RepoContext } from "../../src/git/repo.js";
import { makeRepo, type TestRepo, wtEnv } from "../helpers/repo.js";

// The base when the config names none (docs/contract.md, "Zero-config defaults"), on real
// repositories: origin's HEAD, else origin/<the main worktree's branch>, origin/main,
// origin/master, else the main worktree's own branch or commit.

let repo: TestRepo;
afterEach(() => repo?.remove());

/** A fresh RepoContext each call: the remotes are remembered per context. */
const base = (r: TestRepo) => defaultBase({ mainPath: r.main } as RepoContext, wtEnv());

describe("defaultBase", () => {
  it("follows origin's HEAD wherever it points", async () => {
    repo = makeRepo({ origin: true });
    expect(await base(repo)).toBe("origin/main");
    repo.git("update-ref", "refs/remotes/origin/develop", "HEAD");
    repo.git("remote", "set-head", "origin", "develop");
    expect(await base(repo)).toBe("origin/develop");
  });

  it("without origin's HEAD: origin/<branch of the main worktree>, then origin/main, then origin/master", async () => {
    repo = makeRepo({ origin: true });
    repo.git("remote", "set-head", "origin", "--delete");
    repo.git("switch", "-q", "-c", "trunk");
    repo.git("update-ref", "refs/remotes/origin/trunk", "HEAD");
    repo.git("update-ref", "refs/remotes/origin/master", "HEAD");
    expect(await base(repo)).toBe("origin/trunk");
    repo.git("update-ref", "-d", "refs/remotes/origin/trunk");
    expect(await base(repo)).toBe("origin/main");
    repo.git("update-ref", "-d", "refs/remotes/origin/main");
    expect(await base(repo)).toBe("origin/master");
  });

  it("a broken origin HEAD (its branch deleted) counts as unset; a branch below the name does not count as it", async () => {
    repo = makeRepo({ origin: true });
    repo.git("update-ref", "refs/remotes/origin/gone", "HEAD");
    repo.git("remote", "set-head", "origin", "gone");
    repo.git("update-ref", "-d", "refs/remotes/origin/gone");
    expect(await base(repo)).toBe("origin/main");
    repo.git("update-ref", "-d", "refs/remotes/origin/main");
    repo.git("update-ref", "refs/remotes/origin/main/sub", "HEAD");
    // Neither origin/main nor origin/master: the main worktree's branch.
    expect(await base(repo)).toBe("main");
  });

  it("without origin: the main worktree's branch, or its commit when detached", async () => {
    repo = makeRepo();
    expect(await base(repo)).toBe("main");
    repo.git("switch", "-q", "--detach");
    expect(await base(repo)).toBe(repo.git("rev-parse", "HEAD"));
  });
});
