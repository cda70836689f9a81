import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { gitSync, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

/**
 * Issue 11 in `wt status`: `integrated` / `integratedHow` per JSON row and a `merged` mark in
 * the table's STATE column for a branch whose own commits are all on its base. Real
 * repositories, the built binary; ports 488xx are this file's.
 */
let repo: TestRepo;
afterEach(() => repo?.remove());

function commitIn(folder: string, file: string, content: string): void {
  writeFileSync(path.join(folder, file), content);
  gitSync(folder, "add", "--", file);
  gitSync(folder, "commit", "-q", "-m", `edit ${file}`);
}

describe("wt status: integrated", () => {
  it("fresh: ancestor; squash-merged: integrated with its rule; unmerged: false; the table marks only the merged one", async () => {
    repo = makeRepo({ files: { "shared.txt": "base\n" } });
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 48800 }, fetch: false }));
    repo.commitAll("wt config");
    const mk = (id: string) => wtJson<CreateResult>(repo.main, ["create", id, "--json"]);
    const [, squashed, open] = [await mk("301"), await mk("302"), await mk("303")];
    commitIn(squashed.path, "s.txt", "s\n");
    commitIn(open.path, "o.txt", "o\n");
    repo.git("merge", "-q", "--squash", squashed.branch);
    repo.git("commit", "-q", "-m", "squash 302");
    commitIn(repo.main, "later.txt", "main moved on\n");
    const doc = await wtJson<StatusResult>(repo.main, ["status", "--json"]);
    const row = (id: string) => doc.worktrees.find((w) => w.id === id);
    expect(row("301")).toMatchObject({ ahead: 0, behind: 2, integrated: true, integratedHow: "ancestor" });
    expect(row("302")).toMatchObject({ ahead: 1, integrated: true, integratedHow: "merge-adds-nothing" });
    expect(row("303")).toMatchObject({ ahead: 1, integrated: false, integratedHow: null });

    const table = await runWt(repo.main, ["status"]);
    expect(table.code, table.stderr).toBe(0);
    const line = (id: string) => table.stdout.split("\n").find((l) => l.trim().split(/\s+/)[0] === id) ?? "";
    expect(line("302")).toMatch(/\smerged\s/);
    expect(line("301")).toMatch(/\sok\s/);
    expect(line("303")).toMatch(/\sok\s/);
  });
});
