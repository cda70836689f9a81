import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { json, makeRepo, runWt, type TestRepo } from "../helpers/repo.js";

/**
 * Ports unique across the machine (issue 14, item 4): two real repositories with the same port
 * base, one temp XDG_STATE_HOME, get different ports for issue 101; cleanup of the first frees
 * it; `portScope: "repository"` keeps the old behaviour; `wt doctor` reports (and --fix drops)
 * the entries of a repository that is gone. Port base 42800: this file's own.
 */

const repos: TestRepo[] = [];
let state: string;
afterEach(() => {
  for (const r of repos.splice(0)) r.remove();
  rmSync(state, { recursive: true, force: true });
});

function twoRepos(config: Record<string, unknown> = {}): [TestRepo, TestRepo] {
  state = mkdtempSync(path.join(tmpdir(), "wt-slots-"));
  for (let i = 0; i < 2; i++) {
    const r = makeRepo();
    r.write("wt.config.json", JSON.stringify({ ports: { PORT: 42800 }, portSlots: 50, ...config }));
    r.commitAll("config");
    repos.push(r);
  }
  return repos as [TestRepo, TestRepo];
}

interface Created {
  ports: Record<string, number>;
  slot: number;
  warnings?: string[];
}

async function create(r: TestRepo, id: string): Promise<{ doc: Created; stderr: string }> {
  const run = await runWt(r.main, ["create", id, "--no-fetch", "--json"], { XDG_STATE_HOME: state });
  expect(run.code, run.stderr).toBe(0);
  return { doc: json<Created>(run), stderr: run.stderr };
}

type Doctor = { checks: { check: string; severity: string; message: string }[] };

const registry = () =>
  JSON.parse(readFileSync(path.join(state, "wt", "slots.json"), "utf8")) as {
    ports: Record<string, { repo: string; id: string }>;
  };

describe("machine-wide port slots", () => {
  it("a second repository's issue 101 gets another port, warned and recorded; cleanup of the first frees 42801", async () => {
    const [a, b] = twoRepos();
    expect((await create(a, "101")).doc.ports).toEqual({ PORT: 42801 });
    const second = await create(b, "101");
    expect(second.doc.ports).toEqual({ PORT: 42802 });
    expect(second.stderr).toMatch(/using port slot 2 instead of 1 \(slot 1: PORT=42801 is held by worktree 101 of /);
    const held = registry().ports;
    expect(held["42801"]?.id).toBe("101");
    expect(held["42802"]?.id).toBe("101");
    expect(held["42801"]?.repo).not.toBe(held["42802"]?.repo);

    const cleanup = await runWt(a.main, ["cleanup", "101", "--json"], { XDG_STATE_HOME: state });
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(Object.keys(registry().ports)).toEqual(["42802"]);
    // Free again: a third repository's 101 gets 42801.
    const [c] = [makeRepo()];
    repos.push(c);
    c.write("wt.config.json", JSON.stringify({ ports: { PORT: 42800 }, portSlots: 50 }));
    c.commitAll("config");
    expect((await create(c, "101")).doc.ports).toEqual({ PORT: 42801 });
  });

  it("a release back into the pool frees the claim's ports in the registry too: wt doctor finds no stale entry", async () => {
    const [a] = twoRepos({ pool: { size: 1 } });
    const env = { XDG_STATE_HOME: state };
    expect((await runWt(a.main, ["pool", "fill", "--json"], env)).code).toBe(0);
    const claimed = await runWt(a.main, ["create", "7", "--pool", "--json"], env);
    expect(claimed.code, claimed.stderr).toBe(0);
    expect(json<{ pool: { hit: boolean } }>(claimed).pool.hit).toBe(true);
    expect(Object.values(registry().ports).map((e) => e.id)).toEqual(["7"]);
    const released = await runWt(a.main, ["release", "7", "--json"], env);
    expect(released.code, released.stderr).toBe(0);
    expect(registry().ports).toEqual({});
    const doctor = json<Doctor>(await runWt(a.main, ["doctor", "--json"], env));
    expect(doctor.checks.filter((c) => c.check === "stale-slot")).toEqual([]);
  });

  it('portScope "repository" gives both repositories PORT=42801 and writes no registry', async () => {
    const [a, b] = twoRepos({ portScope: "repository" });
    expect((await create(a, "101")).doc.ports).toEqual({ PORT: 42801 });
    expect((await create(b, "101")).doc.ports).toEqual({ PORT: 42801 });
    expect(existsSync(path.join(state, "wt", "slots.json"))).toBe(false);
  });

  it("an entry whose record is not written yet holds its port while the wt that claimed it runs; a reused pid (another start time) or an ended one makes it stale", async () => {
    const [a, b] = twoRepos();
    await create(a, "101");
    // As between a create's port claim and its record write (the two run side by side): the
    // record gone, the claiming wt still running (a live stand-in process for it).
    rmSync(path.join(a.main, ".git", "wt", "worktrees", "101.json"));
    const stand = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const file = path.join(state, "wt", "slots.json");
      type Entry = { pid?: number; pidStart?: string };
      const doc = JSON.parse(readFileSync(file, "utf8")) as { ports: Record<string, Entry> };
      const entry = doc.ports["42801"] as Entry;
      expect(typeof entry.pid).toBe("number");
      // The stand-in's start time (proc(5), /proc/<pid>/stat field 22), as wt records its own.
      const stat = readFileSync(`/proc/${stand.pid}/stat`, "utf8");
      const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
      expect(entry.pidStart).toMatch(/^\d+$/);
      writeFileSync(
        file,
        JSON.stringify({ ...doc, ports: { ...doc.ports, "42801": { ...entry, pid: stand.pid, pidStart: start } } }),
      );
      const second = await create(b, "101");
      expect(second.doc.ports).toEqual({ PORT: 42802 });
      const live = await runWt(b.main, ["doctor", "--json"], { XDG_STATE_HOME: state });
      expect(json<Doctor>(live).checks.filter((c) => c.check === "stale-slot")).toEqual([]);
      // The same pid with another start time is a reused pid, not the claimer: stale.
      const now = JSON.parse(readFileSync(file, "utf8")) as { ports: Record<string, Entry> };
      const reused = { ...now.ports["42801"], pidStart: `${Number(start) + 1}` };
      writeFileSync(file, JSON.stringify({ ...now, ports: { ...now.ports, "42801": reused } }));
      const other = await runWt(b.main, ["doctor", "--json"], { XDG_STATE_HOME: state });
      expect(
        json<Doctor>(other)
          .checks.filter((c) => c.check === "stale-slot")
          .map((c) => c.message)
          .join("\n"),
      ).toMatch(/42801.*worktree 101/);
      writeFileSync(file, JSON.stringify(now));
    } finally {
      stand.kill("SIGKILL");
      await new Promise((r) => stand.once("exit", r));
    }
    const ended = await runWt(b.main, ["doctor", "--json"], { XDG_STATE_HOME: state });
    const stale = json<Doctor>(ended).checks.filter((c) => c.check === "stale-slot");
    expect(stale.map((c) => c.message).join("\n")).toMatch(/42801.*worktree 101/);
  });

  it("the entries of a repository that is gone hold nothing, and wt doctor reports them; --fix drops them", async () => {
    const [a, b] = twoRepos();
    await create(a, "101");
    rmSync(a.root, { recursive: true, force: true });
    expect((await create(b, "101")).doc.ports).toEqual({ PORT: 42801 });
    const doctor = await runWt(b.main, ["doctor", "--json"], { XDG_STATE_HOME: state });
    const checks = json<{ checks: { check: string; severity: string; message: string }[] }>(doctor).checks;
    const stale = checks.filter((c) => c.check === "stale-slot");
    expect(stale).toHaveLength(0);
    // b took 42801 over: the gone repository's entry was replaced. A gone one on another port:
    await create(b, "102");
    rmSync(b.root, { recursive: true, force: true });
    const [c] = [makeRepo()];
    repos.push(c);
    const report = await runWt(c.main, ["doctor", "--json"], { XDG_STATE_HOME: state });
    const found = json<{ checks: { check: string; severity: string; message: string }[] }>(report).checks.filter(
      (x) => x.check === "stale-slot",
    );
    expect(found.map((x) => x.severity)).toEqual(["warning", "warning"]);
    expect(found.map((x) => x.message).join("\n")).toMatch(/42801.*worktree 101/);
    const fix = await runWt(c.main, ["doctor", "--fix", "--json"], { XDG_STATE_HOME: state });
    expect(fix.code, fix.stderr).toBe(0);
    expect(registry().ports).toEqual({});
  });
});
