import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/core/config.js";
import { ConfigError, UsageError } from "../../src/core/errors.js";
import { expandTemplate, ID_PATTERN, idKey, nameFor, validateId, worktreePathFor } from "../../src/core/names.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("validateId", () => {
  it.each([
    ["101"],
    ["auth-fix"],
    ["a1b2c3d4"],
    ["A.b_c-d"],
    ["0"],
    ["x"],
    ["a".repeat(64)],
    [`1${"-".repeat(63)}`],
    ["v1.2.3"],
    ["a.b"],
    ["lock"],
    ["a.locked"],
  ])("accepts %j", (id) => {
    expect(() => validateId(id)).not.toThrow();
  });

  it.each([
    [""],
    ["-x"],
    [".x"],
    ["_x"],
    ["../a"],
    ["a/b"],
    ["a\\b"],
    ["101; rm -rf ~"],
    ["$(id)"],
    ["`id`"],
    ["a..b"],
    ["..."],
    ["a".repeat(65)],
    ["é"],
    ["café"],
    ["a.lock"],
    ["a."],
    [" 101"],
    ["101 "],
    ["101\n"],
    ["10\n1"],
    ["a b"],
    ["a:b"],
    ["a~b"],
    ["a^b"],
    ["a@{b"],
    ["a*"],
    ["a\u0000b"],
  ])("refuses %j with UsageError exit 2, code invalid-id", (id) => {
    const err = thrown(() => validateId(id));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).code).toBe("invalid-id");
  });

  it("names the refused id in the message, shortening a very long one", () => {
    const err = thrown(() => validateId("$(id)")) as UsageError;
    expect(err.message).toContain('"$(id)"');
    const long = thrown(() => validateId("x".repeat(500))) as UsageError;
    expect(long.message.length).toBeLessThan(400);
    expect(long.message).toContain("x".repeat(80));
  });

  it("ID_PATTERN is the contract's pattern", () => {
    expect(ID_PATTERN.source).toBe("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    expect(ID_PATTERN.flags).toBe("");
  });
});

describe("idKey", () => {
  it("folds case so ids are unique case-insensitively", () => {
    expect(idKey("Auth-Fix")).toBe(idKey("auth-fix"));
    expect(idKey("ABC")).toBe("abc");
    expect(idKey("101")).toBe("101");
  });
});

describe("nameFor", () => {
  const config = { name: DEFAULT_CONFIG.name };

  it("numeric ids use the name template, others are their own name", () => {
    expect(nameFor("101", config, "app")).toBe("issue-101");
    expect(nameFor("007", config, "app")).toBe("issue-007");
    expect(nameFor("auth-fix", config, "app")).toBe("auth-fix");
    expect(nameFor("101a", config, "app")).toBe("101a");
    expect(nameFor("a1b2c3d4", config, "app")).toBe("a1b2c3d4");
  });

  it("expands {repo} and {id} in a custom name template", () => {
    expect(nameFor("42", { name: "{repo}-bug-{id}" }, "asyncAgent")).toBe("asyncAgent-bug-42");
  });

  it("rejects an unknown placeholder in the name template with ConfigError naming the key", () => {
    const err = thrown(() => nameFor("42", { name: "issue-{adw_id}" }, "app"));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as ConfigError).message).toContain('"name"');
    expect((err as ConfigError).message).toContain("{adw_id}");
  });
});

describe("expandTemplate", () => {
  const values = { repo: "app", id: "101", name: "issue-101" };

  it("replaces every occurrence of every placeholder", () => {
    expect(expandTemplate("../{repo}-worktrees/{name}", values, "worktreeDir")).toBe("../app-worktrees/issue-101");
    expect(expandTemplate("{id}/{id}-{repo}", values, "x")).toBe("101/101-app");
    expect(expandTemplate("no placeholders", values, "x")).toBe("no placeholders");
  });

  it("does not expand placeholders inside substituted values", () => {
    expect(expandTemplate("{name}", { name: "{repo}", repo: "app" }, "x")).toBe("{repo}");
  });

  it.each([["{adw_id}"], ["{}"], ["{ID}"], ["feature/{name}-{branch}"], ["{ name }"]])(
    "rejects %j with ConfigError naming the key and the placeholder",
    (template) => {
      const err = thrown(() => expandTemplate(template, values, "branch"));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as ConfigError).code).toBe("invalid-config");
      expect((err as ConfigError).message).toContain('"branch"');
      const bad = /\{[^{}]*\}/.exec(template.replace("{name}", ""))?.[0] as string;
      expect((err as ConfigError).message).toContain(bad);
    },
  );

  it("leaves lone braces alone", () => {
    expect(expandTemplate("a{b", values, "x")).toBe("a{b");
    expect(expandTemplate("a}b", values, "x")).toBe("a}b");
  });
});

describe("worktreePathFor", () => {
  const values = { repo: "app", id: "101", name: "issue-101" };

  it("resolves the default worktreeDir next to the main worktree", () => {
    expect(worktreePathFor({ worktreeDir: DEFAULT_CONFIG.worktreeDir }, "/src/app", values)).toBe(
      path.resolve("/src/app-worktrees/issue-101"),
    );
  });

  it("resolves a folder inside the main worktree and keeps an absolute one", () => {
    expect(worktreePathFor({ worktreeDir: ".trees/{name}" }, "/src/app", values)).toBe("/src/app/.trees/issue-101");
    expect(worktreePathFor({ worktreeDir: "/wt/{repo}/{id}" }, "/src/app", values)).toBe("/wt/app/101");
  });

  it("rejects an unknown placeholder naming worktreeDir", () => {
    const err = thrown(() => worktreePathFor({ worktreeDir: "../{adw_id}" }, "/src/app", values));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('"worktreeDir"');
  });
});
