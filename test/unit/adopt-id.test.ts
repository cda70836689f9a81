import { describe, expect, it } from "vitest";
import { deriveAdoptId } from "../../src/core/adopt-id.js";

/** `wt adopt`'s id rule (docs/contract.md, adopt): the templates read back, then the folder's name. */
const config = { branch: "feature/{name}", name: "issue-{id}", worktreeDir: "../{repo}-worktrees/{name}" };

describe("deriveAdoptId", () => {
  it("reads the branch back through the branch and name templates", () => {
    expect(deriveAdoptId(config, "app", "/x/anywhere", "feature/issue-123")).toEqual({ id: "123", from: "branch" });
    expect(deriveAdoptId(config, "app", "/x/anywhere", "feature/auth-fix")).toEqual({ id: "auth-fix", from: "branch" });
    // A name the `name` template reads back to a non-numeric id is the id itself (nameFor never makes issue-abc).
    expect(deriveAdoptId(config, "app", "/x/anywhere", "feature/issue-abc")).toEqual({
      id: "issue-abc",
      from: "branch",
    });
  });

  it("else the folder's name through worktreeDir's last segment; a folder named like the repository gives its parent's", () => {
    expect(deriveAdoptId(config, "app", "/w/issue-101", "spike")).toEqual({ id: "101", from: "folder" });
    expect(deriveAdoptId(config, "app", "/w/spike-2", null)).toEqual({ id: "spike-2", from: "folder" });
    expect(deriveAdoptId(config, "app", "/home/u/.codex/worktrees/883f/app", null)).toEqual({
      id: "883f",
      from: "folder",
    });
    expect(deriveAdoptId({ ...config, worktreeDir: "trees/wt-{id}" }, "app", "/r/app/trees/wt-42", "claude/x")).toEqual(
      { id: "42", from: "folder" },
    );
  });

  it("makes what it found a valid id, as for Claude Code's names", () => {
    expect(deriveAdoptId(config, "app", "/w/my folder", null).id).toBe("my-folder");
    expect(deriveAdoptId({ ...config, branch: "{name}" }, "app", "/w/x", "user/feat")).toEqual({
      id: "user-feat",
      from: "branch",
    });
  });
});
