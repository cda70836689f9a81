import { describe, expect, it } from "vitest";
import { PROVISIONERS, planOrder, untrackedTargets } from "../../src/core/provision/index.js";
import type { Provisioner } from "../../src/core/provision/types.js";

const stub = (name: string, planAfter?: Provisioner["planAfter"]): Provisioner => ({
  name,
  inFolder: false,
  apply: () => [],
  ...(planAfter ? { planAfter } : {}),
});

describe("planOrder", () => {
  it("plans the checkout before the record, the databases before the env file, info/exclude last", () => {
    expect(PROVISIONERS.map((p) => p.name)).toEqual([
      "record",
      "excludes",
      "checkout",
      "includes",
      "envfile",
      "databases",
    ]);
    expect(planOrder().map((p) => p.name)).toEqual([
      "checkout",
      "record",
      "includes",
      "databases",
      "envfile",
      "excludes",
    ]);
  });

  it("keeps list order otherwise, ignores names not in the list, and puts every `all` last in list order", () => {
    const list = [stub("a", "all"), stub("b", ["c", "ghost"]), stub("c"), stub("d"), stub("e", "all")];
    expect(planOrder(list).map((p) => p.name)).toEqual(["c", "b", "d", "a", "e"]);
  });

  it("refuses a circle (a bug in the list, not a user's error)", () => {
    expect(() => planOrder([stub("a", ["b"]), stub("b", ["a"])])).toThrow(/circle: a, b/);
  });
});

describe("untrackedTargets", () => {
  it("names the env file and every database inside the worktree, not those outside it", () => {
    const targets = untrackedTargets({
      path: "/w/issue-1",
      envFile: ".env.local",
      included: [{ path: "node_modules" }],
      databases: [
        { engine: "sqlite", path: "/w/issue-1/data/app.sqlite", env: "DATABASE_PATH", source: "empty" },
        { engine: "sqlite", path: "/elsewhere/issue-1.sqlite", env: "OTHER_DB", source: "empty" },
      ],
    });
    expect(targets).toEqual([
      { rel: ".env.local", what: "the env file (`envFile`)" },
      { rel: "data/app.sqlite", what: "the database app.sqlite" },
    ]);
  });
});
