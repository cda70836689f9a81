import { rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { json, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

/**
 * Every command on a worktree whose folder is gone says so, exit 3, with the next command
 * (issue 14): `wt run 101 -- cmd` said `cmd: command not found`, exit 127. Port base 42700.
 */

let repo: TestRepo;
afterEach(() => repo?.remove());

describe("a worktree whose folder is gone", () => {
  it("wt run, wt env, wt path and wt create of it are exit 3 naming the folder and wt cleanup", async () => {
    repo = makeRepo();
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 42700 } }));
    repo.commitAll("config");
    await wtJson(repo.main, ["create", "101", "--no-fetch", "--json"]);
    const folder = path.join(repo.root, "app-worktrees", "issue-101");
    rmSync(folder, { recursive: true, force: true });

    for (const args of [
      ["run", "101", "--", "true"],
      ["env", "101"],
      ["env", "101", "--format", "dotenv"],
      ["path", "101"],
      ["create", "101", "--no-fetch"],
    ]) {
      const human = await runWt(repo.main, args);
      expect(human.code, `${args.join(" ")}: ${human.stderr}`).toBe(3);
      expect(human.stderr).toContain(`the folder of worktree 101 is gone: ${folder}`);
      expect(human.stderr).toMatch(/wt cleanup 101/);
      expect(human.stdout).toBe("");
      const doc = json<{ error: { code: string; hint: string } }>(
        await runWt(repo.main, [args[0] as string, "--json", ...args.slice(1)]),
      );
      expect(doc.error.code).toBe("not-found");
    }
    // The next command the hint names works.
    const cleanup = await runWt(repo.main, ["cleanup", "101"]);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    const again = await runWt(repo.main, ["create", "101", "--no-fetch"]);
    expect(again.code, again.stderr).toBe(0);
  });
});
