import { afterEach, describe, expect, it } from "vitest";
import { CommandFailedError, ExitCode, GitError, WtError } from "../../src/core/errors.js";
import { GitError as GitLayerError } from "../../src/git/errors.js";
import { git } from "../../src/git/run.js";
import { makeRepo, type TestRepo } from "../helpers/repo.js";

let repo: TestRepo | null = null;
afterEach(() => {
  repo?.remove();
  repo = null;
});

describe("src/git throws its own GitError", () => {
  it("a failing git run is a GitError with argv, exit code and stderr tail, and still a CommandFailedError", async () => {
    repo = makeRepo();
    const args = ["rev-parse", "--verify", "--end-of-options", "no-such-branch"];
    const error = await git(args, { cwd: repo.main, env: process.env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitLayerError);
    // The same class whether taken from src/git or from core's re-export.
    expect(GitError).toBe(GitLayerError);
    // Core's catch sites and the CLI's error report keep working.
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toBeInstanceOf(WtError);
    const e = error as GitLayerError;
    expect(e.exitCode).toBe(ExitCode.external);
    expect(e.code).toBe("command-failed");
    expect(e.program).toBe("git");
    expect(e.argv).toEqual(args);
    expect(e.command).toBe(`git ${args.join(" ")}`);
    expect(e.exitStatus).toBe(128);
    expect(e.stderrTail).toMatch(/fatal: Needed a single revision/);
    expect(e.message).toContain("failed with exit code 128");
  });

  it("a git that cannot start is a GitError with no exit status and a hint", async () => {
    repo = makeRepo();
    // A missing working directory makes spawn fail (ENOENT) before git runs.
    const error = await git(["status"], { cwd: `${repo.root}/gone`, env: process.env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitLayerError);
    const e = error as GitLayerError;
    expect(e.exitStatus).toBeNull();
    expect(e.argv).toEqual(["status"]);
    expect(e.hint).toMatch(/is git installed/);
  });
});
