import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { parse } from "dotenv";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateResult, StatusResult } from "../../src/index.js";
import { type ErrorJson, gitSync, json, makeRepo, runWt, type TestRepo, wtJson } from "../helpers/repo.js";

/**
 * End-to-end tests of port slots. Tests that hold a port use the base 23000 (not 3000), so
 * they cannot move the slots of create.test.ts running in the other worker.
 */

let repo: TestRepo | undefined;
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await close(s);
  repo?.remove();
  repo = undefined;
});

/** A TCP server listening on 127.0.0.1:`port` in this (the test) process. */
async function listen(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  servers.push(server);
  return server;
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

/** FNV-1a 32-bit over UTF-8, written independently of src/ (BigInt arithmetic). */
function fnv1a32(text: string): number {
  let hash = 2166136261n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 16777619n) % 4294967296n;
  }
  return Number(hash);
}

function records(r: TestRepo): string[] {
  const d = path.join(r.main, ".git", "wt", "worktrees");
  return existsSync(d) ? readdirSync(d).sort() : [];
}

function recordOf(r: TestRepo, id: string): { slot: number; ports: Record<string, number> } {
  return JSON.parse(readFileSync(path.join(r.main, ".git", "wt", "worktrees", `${id.toLowerCase()}.json`), "utf8"));
}

function repoWithConfig(config: object): TestRepo {
  return makeRepo({ origin: true, files: { "wt.config.json": JSON.stringify(config) } });
}

const create = (r: TestRepo, id: string, env: Record<string, string> = {}) =>
  wtJson<CreateResult>(r.main, ["create", id, "--no-fetch", "--json"], env);

describe("slot allocation", () => {
  it("a busy port moves the slot (and every port with it), with a warning", async () => {
    repo = repoWithConfig({ ports: { PORT: 23000, OTHER_PORT: 24000 } });
    await listen(23101);
    const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const r = json<CreateResult>(run);
    expect(r.slot).toBe(102);
    expect(r.ports).toEqual({ PORT: 23102, OTHER_PORT: 24102 });
    expect(run.stderr).toMatch(/warning:.*slot/);
    expect(run.stderr).toContain("102");
    expect(run.stderr).toContain("23101");
    expect(r.warnings.some((w) => /slot/.test(w))).toBe(true);
    const vars = parse(readFileSync(r.envFile));
    expect([vars.WT_SLOT, vars.PORT, vars.OTHER_PORT]).toEqual(["102", "23102", "24102"]);
    expect(recordOf(repo, "101").slot).toBe(102);
  });

  it("a busy port in the second variable moves the slot too", async () => {
    repo = repoWithConfig({ ports: { PORT: 23000, OTHER_PORT: 24000 } });
    await listen(24101);
    const r = await create(repo, "101");
    expect(r.slot).toBe(102);
    expect(r.ports).toEqual({ PORT: 23102, OTHER_PORT: 24102 });
  });

  it("the slot is recorded: a server on its port later does not move it, and status shows it listening", async () => {
    repo = repoWithConfig({ ports: { PORT: 23000 } });
    const first = await create(repo, "101");
    expect(first.slot).toBe(101);
    expect(first.ports).toEqual({ PORT: 23101 });

    const server = await listen(23101);
    const again = await runWt(repo.main, ["create", "101", "--no-fetch", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const r = json<CreateResult>(again);
    expect(r.created).toBe(false);
    expect(r.slot).toBe(101);
    expect(r.ports).toEqual({ PORT: 23101 });
    expect(parse(readFileSync(r.envFile)).PORT).toBe("23101");

    const status = await runWt(repo.main, ["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const row = json<StatusResult>(status).worktrees.find((w) => w.id === "101");
    expect(row?.ports).toEqual({ PORT: 23101 });
    expect(row?.listening).toEqual({ PORT: true });

    const env = await runWt(repo.main, ["env", "101", "--format", "json"]);
    expect(JSON.parse(env.stdout).PORT).toBe("23101");

    await close(server);
    const after = json<StatusResult>(await runWt(repo.main, ["status", "101", "--json"]));
    expect(after.worktrees.map((w) => [w.id, w.listening])).toEqual([["101", { PORT: false }]]);
  });

  it("a slot held by another worktree is skipped: 1101 gets 102 when 101 holds 101", async () => {
    repo = makeRepo({ origin: true });
    const a = await create(repo, "101");
    expect([a.slot, a.ports.PORT]).toEqual([101, 3101]);
    const run = await runWt(repo.main, ["create", "1101", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const b = json<CreateResult>(run);
    expect(b.slot).toBe(102);
    expect(b.ports).toEqual({ PORT: 3102 });
    expect(run.stderr).toMatch(/slot/);
    expect(parse(readFileSync(b.envFile)).PORT).toBe("3102");
    expect(recordOf(repo, "101").slot).toBe(101);
    expect(recordOf(repo, "1101").slot).toBe(102);
  });

  it("slots wrap around: the last slot's neighbour is slot 0", async () => {
    repo = repoWithConfig({ ports: { PORT: 23700 }, portSlots: 3 });
    const a = await create(repo, "2");
    const b = await create(repo, "5");
    expect([a.slot, b.slot]).toEqual([2, 0]);
    expect(b.ports).toEqual({ PORT: 23700 });
  });

  it("all slots held or busy: exit 4 and nothing made for the refused id", async () => {
    repo = repoWithConfig({ ports: { PORT: 23600 }, portSlots: 2 });
    const a = await create(repo, "10");
    expect(a.slot).toBe(0);
    await listen(23601);
    const before = records(repo);
    const run = await runWt(repo.main, ["create", "11", "--no-fetch", "--json"]);
    expect(run.code, run.stderr).toBe(4);
    expect(json<ErrorJson>(run).error.code).toBe("slots-exhausted");
    expect(records(repo)).toEqual(before);
    expect(repo.git("branch", "--list", "feature/issue-11")).toBe("");
    expect(existsSync(path.join(repo.root, "app-worktrees", "issue-11"))).toBe(false);
  });
});

describe("seed 002: named ports, portSlots 15, env entries", () => {
  const seed002 = {
    worktreeDir: "trees/{id}",
    envFile: ".ports.env",
    ports: { BACKEND_PORT: 9100, FRONTEND_PORT: 9200 },
    portSlots: 15,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: wt's own ${VAR} syntax
    env: { VITE_BACKEND_URL: "http://localhost:${BACKEND_PORT}" },
  };

  it("a1b2c3d4 takes FNV-1a32 % 15; both ports move with it; .ports.env has the URL", async () => {
    repo = repoWithConfig(seed002);
    const slot = fnv1a32("a1b2c3d4") % 15;
    const r = await create(repo, "a1b2c3d4");
    const wtPath = path.join(repo.main, "trees", "a1b2c3d4");
    expect(r.path).toBe(wtPath);
    expect(r.slot).toBe(slot);
    expect(r.ports).toEqual({ BACKEND_PORT: 9100 + slot, FRONTEND_PORT: 9200 + slot });
    expect(r.envFile).toBe(path.join(wtPath, ".ports.env"));
    expect(parse(readFileSync(path.join(wtPath, ".ports.env")))).toEqual({
      WT_ID: "a1b2c3d4",
      WT_NAME: "a1b2c3d4",
      WT_BRANCH: "feature/a1b2c3d4",
      WT_PATH: wtPath,
      WT_MAIN: repo.main,
      WT_SLOT: String(slot),
      BACKEND_PORT: String(9100 + slot),
      FRONTEND_PORT: String(9200 + slot),
      VITE_BACKEND_URL: `http://localhost:${9100 + slot}`,
    });
    expect(existsSync(path.join(wtPath, ".env.local"))).toBe(false);
    expect(gitSync(wtPath, "status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(repo.git("status", "--porcelain", "--untracked-files=all")).toBe("");
  });

  it("a numeric id takes id % 15", async () => {
    repo = repoWithConfig(seed002);
    const r = await create(repo, "101");
    expect(r.slot).toBe(101 % 15);
    expect(r.ports).toEqual({ BACKEND_PORT: 9111, FRONTEND_PORT: 9211 });
    expect(parse(readFileSync(r.envFile)).VITE_BACKEND_URL).toBe("http://localhost:9111");
  });

  it("FNV-1a of the UTF-8 bytes: known vectors and case-insensitive unique ids", async () => {
    // Published FNV-1a 32 test vectors, to check the test's own implementation.
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    repo = repoWithConfig({ ...seed002, portSlots: 1000, ports: { BACKEND_PORT: 20000, FRONTEND_PORT: 21000 } });
    const r = await create(repo, "auth-fix");
    expect(r.slot).toBe(fnv1a32("auth-fix") % 1000);
  });
});

describe("concurrency", () => {
  it("four parallel creates that all prefer slot 301 get four distinct slots and records", async () => {
    const r0 = makeRepo({ origin: true });
    repo = r0;
    const ids = ["301", "1301", "2301", "3301"];
    const runs = await Promise.all(ids.map((id) => runWt(r0.main, ["create", id, "--no-fetch", "--json"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const results = runs.map((run) => json<CreateResult>(run));
    expect(results.map((r) => r.id)).toEqual(ids);
    expect(new Set(results.map((r) => r.slot))).toEqual(new Set([301, 302, 303, 304]));
    expect(new Set(results.map((r) => r.ports.PORT))).toEqual(new Set([3301, 3302, 3303, 3304]));
    expect(records(r0)).toEqual(["1301.json", "2301.json", "301.json", "3301.json"]);
    for (const r of results) {
      expect(recordOf(r0, r.id).slot).toBe(r.slot);
      expect(parse(readFileSync(r.envFile)).PORT).toBe(String(r.ports.PORT));
    }
    const listed = r0.git("worktree", "list", "--porcelain");
    expect(listed.split("\n").filter((l) => l.startsWith("worktree ")).length).toBe(5);
    expect(listed).not.toMatch(/^locked/m);
  });

  it("four parallel creates of distinct preferred slots keep their own slots", async () => {
    const r0 = makeRepo({ origin: true });
    repo = r0;
    const ids = ["201", "202", "203", "204"];
    const runs = await Promise.all(ids.map((id) => runWt(r0.main, ["create", id, "--no-fetch", "--json"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(runs.map((run) => json<CreateResult>(run).slot)).toEqual([201, 202, 203, 204]);
    expect(records(r0)).toHaveLength(4);
  });

  it("four parallel creates that each fetch origin: all exit 0 on the fetched base (or say why not)", async () => {
    const r0 = makeRepo({ origin: true });
    repo = r0;
    const clone = path.join(r0.root, "other-clone");
    gitSync(r0.root, "clone", "-q", r0.origin as string, clone);
    gitSync(clone, "commit", "-q", "--allow-empty", "-m", "newer on origin");
    gitSync(clone, "push", "-q", "origin", "main");
    const newest = gitSync(clone, "rev-parse", "HEAD");
    const ids = ["501", "502", "503", "504"];
    const runs = await Promise.all(ids.map((id) => runWt(r0.main, ["create", id, "--json"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    for (const r of runs.map((run) => json<CreateResult>(run))) {
      if (r.head !== newest) expect(r.warnings.join("\n")).toMatch(/fetch/);
    }
    expect(r0.git("rev-parse", "origin/main")).toBe(newest);
    expect(records(r0)).toHaveLength(4);
  });

  it("two parallel creates of the same id: both exit 0, one creates, one finds it", async () => {
    const r0 = makeRepo({ origin: true });
    repo = r0;
    const runs = await Promise.all([1, 2].map(() => runWt(r0.main, ["create", "401", "--no-fetch", "--json"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const results = runs.map((run) => json<CreateResult>(run));
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]?.path).toBe(results[1]?.path);
    expect(results[0]?.slot).toBe(401);
    expect(results[1]?.slot).toBe(401);
    expect(records(r0)).toEqual(["401.json"]);
  });
});

describe("port configuration is checked", () => {
  const refused: [string, object, string[]][] = [
    ["a base port below 1024", { ports: { PORT: 80 } }, ["ports.PORT"]],
    ["a slot range past 65535", { ports: { PORT: 65000 } }, ["ports.PORT"]],
    ["one past the top (64537 + 999)", { ports: { PORT: 64537 } }, ["ports.PORT"]],
    ["one below the bottom", { ports: { PORT: 1023 }, portSlots: 1 }, ["ports.PORT"]],
    ["overlapping ranges", { ports: { A_PORT: 9000, B_PORT: 9500 } }, ["A_PORT", "B_PORT"]],
    ["overlap by one port", { ports: { A_PORT: 9000, B_PORT: 9014 }, portSlots: 15 }, ["A_PORT", "B_PORT"]],
    ["portSlots 0", { portSlots: 0 }, ["portSlots"]],
    ["a non-integer port", { ports: { PORT: 3000.5 } }, ["PORT"]],
  ];
  for (const [what, config, names] of refused) {
    it(`${what}: exit 2 naming the key and the file`, async () => {
      repo = repoWithConfig(config);
      const run = await runWt(repo.main, ["create", "101", "--no-fetch"]);
      expect(run.code, run.stderr).toBe(2);
      for (const n of names) expect(run.stderr).toContain(n);
      expect(run.stderr).toContain("wt.config.json");
      expect(records(repo)).toEqual([]);
      expect(repo.git("branch", "--list", "feature/issue-101")).toBe("");
    });
  }

  const accepted: [string, object, Record<string, number>][] = [
    ["the top edge (64536 + 999 = 65535)", { ports: { PORT: 64536 } }, { PORT: 64637 }],
    ["the bottom edge (1024, one slot)", { ports: { PORT: 1024 }, portSlots: 1 }, { PORT: 1024 }],
    ["adjacent ranges", { ports: { A_PORT: 9000, B_PORT: 9500 }, portSlots: 500 }, { A_PORT: 9101, B_PORT: 9601 }],
  ];
  for (const [what, config, ports] of accepted) {
    it(`${what} is accepted`, async () => {
      repo = repoWithConfig(config);
      const run = await runWt(repo.main, ["create", "101", "--no-fetch", "--dry-run", "--json"]);
      expect(run.code, run.stderr).toBe(0);
      expect(json<CreateResult>(run).ports).toEqual(ports);
    });
  }

  it("WT_PORT_SLOTS that makes valid ranges overlap is exit 2", async () => {
    repo = repoWithConfig({ ports: { A_PORT: 9000, B_PORT: 9500 }, portSlots: 500 });
    const run = await runWt(repo.main, ["create", "101", "--no-fetch"], { WT_PORT_SLOTS: "1000" });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("A_PORT");
    expect(records(repo)).toEqual([]);
  });
});
