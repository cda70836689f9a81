import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult } from "../../src/index.js";
import { type ErrorJson, json, makeRepo, runWt, type TestRepo, trustRepo, wtJson } from "../helpers/repo.js";

// wt writes the env file and deletes it at cleanup and release. Lines a user or an agent added
// to it (an API key, a flag) went with it, unseen (an adversarial run's finding). Now they
// count: cleanup refuses them under `cleanup.protect` (exit 5) or lists them as an edited copy,
// and release refuses them. Lines wt put there itself (an include's copy of the same file,
// what postCreate hooks wrote, entries the config dropped) never count. Ports 467xx.

let repo: TestRepo;
afterEach(() => repo?.remove());

type Removed = { removed: { id: string; editedCopies?: string[] }[] };

function setUp(config: object = {}): TestRepo {
  const r = makeRepo({ files: { "src/app.js": "one\n" } });
  r.write(".gitignore", ".env*\n");
  r.write(
    "wt.config.json",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: wt's own ${PORT} expansion in an env entry
    JSON.stringify({ ports: { PORT: 46700 }, env: { APP_URL: "http://localhost:${PORT}" }, ...config }),
  );
  r.commitAll("setup");
  trustRepo(r.main);
  return r;
}

async function create(r: TestRepo, id: string, args: string[] = []): Promise<CreateResult> {
  return wtJson<CreateResult>(r.main, ["create", id, "--json", ...args]);
}

function envFileOf(made: CreateResult, name = ".env.local"): string {
  return path.join(made.path, name);
}

describe("the env file's own lines are never deleted unseen", () => {
  it("cleanup refuses (exit 5, protected) a line an agent added to .env.local; --force deletes it and lists it", async () => {
    repo = setUp();
    const made = await create(repo, "1");
    appendFileSync(envFileOf(made), "OPENAI_API_KEY=sk-agent-made\n");
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    const err = json<ErrorJson>(run).error;
    expect(err.code).toBe("protected");
    expect(err.files).toEqual([".env.local"]);
    expect(err.message).toContain("lines wt did not write");
    expect(readFileSync(envFileOf(made), "utf8")).toContain("OPENAI_API_KEY=sk-agent-made");
    const forced = await wtJson<Removed>(repo.main, ["cleanup", "1", "--force", "--json"]);
    expect(forced.removed[0]?.editedCopies).toEqual([".env.local"]);
    expect(existsSync(made.path)).toBe(false);
  });

  it("an untouched env file, one merged into an include's copy, and what postCreate hooks appended never refuse", async () => {
    repo = setUp({ hooks: { postCreate: ["echo HOOK_MADE=1 >> .env.local"] } });
    writeFileSync(path.join(repo.main, ".env.local"), "# main's own\nSECRET=main\n\nPORT=1\n");
    repo.write(".worktreeinclude", ".env.local\n");
    repo.commitAll("include the env file");
    const made = await create(repo, "1");
    const text = readFileSync(envFileOf(made), "utf8");
    expect(text).toContain("SECRET=main");
    expect(text).toContain("HOOK_MADE=1");
    // The user changes one of wt's own values: wt rewrites those anyway, not a loss.
    writeFileSync(envFileOf(made), text.replace("PORT=46700", "PORT=46799"));
    const plain = await create(repo, "2", ["--no-hooks"]);
    const gone = await wtJson<Removed>(repo.main, ["cleanup", "1", "2", "--json"]);
    expect(gone.removed.map((r) => [r.id, r.editedCopies ?? []])).toEqual([
      ["1", []],
      ["2", []],
    ]);
    expect(existsSync(plain.path)).toBe(false);
    expect(readFileSync(path.join(repo.main, ".env.local"), "utf8")).toBe("# main's own\nSECRET=main\n\nPORT=1\n");
  });

  it("a re-create drops the lines of an entry the config no longer has, and keeps the user's lines theirs", async () => {
    repo = setUp();
    const made = await create(repo, "1");
    appendFileSync(envFileOf(made), "MINE=keep me\n");
    repo.write("wt.config.json", JSON.stringify({ ports: { PORT: 46700 }, env: { OTHER: "x" } }));
    await create(repo, "1");
    const text = readFileSync(envFileOf(made), "utf8");
    expect(text).not.toContain("APP_URL");
    expect(text).toContain("OTHER=x");
    expect(text).toContain("MINE=keep me");
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    // Without the user's line, the re-created file is wt's alone again.
    writeFileSync(envFileOf(made), text.replace("MINE=keep me\n", ""));
    await wtJson(repo.main, ["cleanup", "1", "--json"]);
  });

  it("an env file cleanup.protect does not match is deleted, and named as an edited copy", async () => {
    repo = setUp({ envFile: "ports.env" });
    const made = await create(repo, "1");
    appendFileSync(envFileOf(made, "ports.env"), "# a note of mine\n");
    const gone = await wtJson<Removed>(repo.main, ["cleanup", "1", "--json"]);
    expect(gone.removed[0]?.editedCopies).toEqual(["ports.env"]);
  });

  it("release refuses (exit 5) an env file with a line added, and releases it once the line is gone", async () => {
    repo = setUp({ pool: { size: 1 } });
    await wtJson(repo.main, ["pool", "fill", "--json"]);
    const made = await create(repo, "1", ["--pool"]);
    const file = envFileOf(made);
    const wrote = readFileSync(file, "utf8");
    appendFileSync(file, "DEBUG=agent\n");
    const run = await runWt(repo.main, ["release", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual([".env.local"]);
    expect(readFileSync(file, "utf8")).toContain("DEBUG=agent");
    writeFileSync(file, wrote);
    const released = await wtJson<{ slot: string | null }>(repo.main, ["release", "1", "--json"]);
    expect(released.slot).not.toBeNull();
  });
});

describe("postCreate hooks that failed, then ran again", () => {
  // The hook writes a line into the env file, then fails until the main worktree has the marker
  // (hooks get wt's variables: WT_MAIN is the main worktree).
  const hook = 'echo HOOK_MADE=1 >> .env.local && test -f "$WT_MAIN/hook-ok"';
  const worktreeOf = async (id: string) => (await runWt(repo.main, ["path", id])).stdout.trim();

  it("a line the user added between a failed hook and its retry stays the user's (cleanup refuses it, exit 5)", async () => {
    repo = setUp({ hooks: { postCreate: [hook] } });
    const failed = await runWt(repo.main, ["create", "1", "--json"]);
    expect(failed.code, failed.stderr).toBe(6);
    const file = path.join(await worktreeOf("1"), ".env.local");
    appendFileSync(file, "OPENAI_API_KEY=sk-mine\n");
    writeFileSync(path.join(repo.main, "hook-ok"), "");
    const retried = await create(repo, "1");
    expect(retried.created).toBe(false);
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual([".env.local"]);
    expect(readFileSync(file, "utf8")).toContain("OPENAI_API_KEY=sk-mine");
  });

  it("a line an agent adds while the hooks run again stays the agent's (cleanup refuses it, exit 5)", async () => {
    // On the retry the hook waits (at most 10 s) until the agent has written.
    const waiting = `${hook} && for i in $(seq 200); do [ -f "$WT_MAIN/agent-wrote" ] && exit 0; sleep 0.05; done; exit 1`;
    repo = setUp({ hooks: { postCreate: [waiting] } });
    const failed = await runWt(repo.main, ["create", "1", "--json"]);
    expect(failed.code, failed.stderr).toBe(6);
    const file = path.join(await worktreeOf("1"), ".env.local");
    writeFileSync(path.join(repo.main, "hook-ok"), "");
    const retry = runWt(repo.main, ["create", "1", "--json"]);
    // The hook of the retry has started once its line is in the file a second time.
    const deadline = Date.now() + 10_000;
    while (readFileSync(file, "utf8").split("HOOK_MADE=1").length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    appendFileSync(file, "OPENAI_API_KEY=sk-agent\n");
    writeFileSync(path.join(repo.main, "agent-wrote"), "");
    const retried = await retry;
    expect(retried.code, retried.stderr).toBe(0);
    // Said at once, not first at cleanup.
    expect(retried.stderr).toContain("lines were added to .env.local while the postCreate hooks ran again");
    const run = await runWt(repo.main, ["cleanup", "1", "--json"]);
    expect(run.code, run.stderr).toBe(5);
    expect(json<ErrorJson>(run).error.files).toEqual([".env.local"]);
    expect(readFileSync(file, "utf8")).toContain("OPENAI_API_KEY=sk-agent");
  });

  it("what a failed hook wrote into the env file is wt's: cleanup of the worktree does not refuse it", async () => {
    repo = setUp({ hooks: { postCreate: [hook] } });
    const failed = await runWt(repo.main, ["create", "1", "--json"]);
    expect(failed.code, failed.stderr).toBe(6);
    const file = path.join(await worktreeOf("1"), ".env.local");
    expect(readFileSync(file, "utf8")).toContain("HOOK_MADE=1");
    const gone = await wtJson<Removed>(repo.main, ["cleanup", "1", "--json"]);
    expect(gone.removed.map((r) => [r.id, r.editedCopies ?? []])).toEqual([["1", []]]);
    expect(existsSync(file)).toBe(false);
  });
});
