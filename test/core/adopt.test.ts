import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AdoptRefusedError, adoptWorktree, getStatus, type WtContext } from "../../src/index.js";
import { GIT_ENV, makeRepo, type TestRepo } from "../helpers/repo.js";

/**
 * `adoptWorktree` in-process, through the library API with a context of the caller's own (no
 * process.cwd(), no process.env): the steps it names are the ones its dry run lists.
 * Port base 50500: this file's own.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

function context(cwd: string, progress: string[] = []): WtContext {
  return {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: process.env.XDG_STATE_HOME, ...GIT_ENV },
    output: null,
    onProgress: (m) => progress.push(m),
  };
}

describe("adoptWorktree (library)", () => {
  it("adopts a worktree given relative to ctx.cwd, names the steps its dry run lists, and refuses a second time", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 50500 }, portSlots: 100 }));
    repo.commitAll("config");
    const folder = path.join(repo.root, "lib-wt");
    repo.git("worktree", "add", "-q", "-b", "lib-wt", folder);
    const dry = await adoptWorktree(context(repo.main), { path: "../lib-wt", dryRun: true });
    const named: string[] = [];
    const done = await adoptWorktree(context(repo.main, named), { path: "../lib-wt" });
    expect(done).toMatchObject({ id: "lib-wt", path: folder, adopted: true, branch: "lib-wt" });
    expect(named).toEqual(dry.plan);
    expect(readFileSync(path.join(folder, ".env.local"), "utf8")).toContain(`PORT=${50500 + done.slot}`);
    const status = await getStatus(context(repo.main), []);
    expect(status.worktrees.find((w) => w.id === "lib-wt")?.managed).toBe(true);
    await expect(adoptWorktree(context(folder), { path: "." })).rejects.toBeInstanceOf(AdoptRefusedError);
  });
});
