// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are the data under test
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "dotenv";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkValues,
  envLineDigests,
  expandEnvEntries,
  formatVariables,
  linesAddedToEnvFile,
  renderEnvFile,
  type Variables,
  worktreeVariables,
  writeEnvFile,
} from "../../src/core/envfile.js";
import { ConfigError, ConflictError, UsageError } from "../../src/core/errors.js";
import type { WorktreeRecord } from "../../src/core/state.js";

let dir: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), "wt-envfile-")));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Values that a careless quoting would break, each on its own. */
const TRICKY: Variables = {
  EMPTY: "",
  PLAIN: "abc-1.2_3",
  URL: "http://localhost:3101/path?q=1&r=2",
  SPACES: "  two  leading and trailing  ",
  HASH: "a #not a comment",
  HASH_START: "#value",
  HASH_START_SINGLE: "#it's",
  SPACE_HASH: "  #x",
  SINGLE: "it's",
  DOUBLE: 'say "hi"',
  BACKTICK: "run `id` now",
  DOUBLE_BACKTICK: 'say "hi" `id`',
  DOLLAR: "$HOME ${HOME} $(id)",
  BACKSLASH: "C:\\temp\\new",
  ESCAPED_N: "line\\nstill one line",
  UNICODE: "héllo wörld — 日本語 🙂",
  LINE_SEP: "a\u2028b\u2029c",
  EQUALS: "a=b==c",
  EXPORT_LIKE: "export X=1",
  ONLY_SINGLE: "'",
  ONLY_DOUBLE: '"',
  ONLY_BACKTICK: "`",
  QUOTED_WHOLE: "'already quoted'",
  DQUOTED_WHOLE: '"already quoted"',
  PATH: "/tmp/my repo/app-worktrees/issue-101",
};

/**
 * Values no env-file line can hold so that both dotenv and a sourcing shell read them back
 * (dotenv has no escapes; a shell expands `$`, backticks and `\\` in double quotes): refused.
 */
const UNWRITABLE: Variables = {
  HASH_START_BOTH: `#it's "x"`,
  SINGLE_DOUBLE: `it's "quoted"`,
  SINGLE_BACKTICK: "it's `id`",
  DOLLAR_SINGLE: "it's $HOME",
  BACKSLASH_END: "ends with \\",
  BACKSLASH_END_SINGLE: "it's \\",
  BACKSLASH_END_BOTH: `it's "x" \\`,
  WINDOWS_DIR: "C:\\tools\\",
  BACKSLASH_QUOTE: "a\\'b",
  ESCAPED_N_SINGLE: "it's\\none",
  ESCAPED_R_SINGLE: "it's\\rone",
};

function fakeRecord(): WorktreeRecord {
  return {
    version: 1,
    id: "101",
    name: "issue-101",
    branch: "feature/issue-101",
    path: "/r/app-worktrees/issue-101",
    base: "origin/main",
    baseCommit: "0123456789abcdef0123456789abcdef01234567",
    createdBranch: true,
    slot: 101,
    ports: { BACKEND_PORT: 9101, FRONTEND_PORT: 9201 },
    envFile: ".env.local",
    env: { VITE_BACKEND_URL: "http://localhost:9101" },
    included: [],
    databases: [
      { engine: "sqlite", env: "DATABASE_PATH", path: "/r/app-worktrees/issue-101/data/a.db", source: "empty" },
    ],
    excludes: [],
    state: "ready",
    pid: 1,
    createdAt: "2025-01-01T00:00:00.000Z",
  };
}

describe("worktreeVariables", () => {
  it("lists wt's variables, then ports, databases and env entries, in that order", () => {
    const vars = worktreeVariables(fakeRecord(), "/r/app");
    expect(vars).toEqual({
      WT_ID: "101",
      WT_NAME: "issue-101",
      WT_BRANCH: "feature/issue-101",
      WT_PATH: "/r/app-worktrees/issue-101",
      WT_MAIN: "/r/app",
      WT_SLOT: "101",
      BACKEND_PORT: "9101",
      FRONTEND_PORT: "9201",
      DATABASE_PATH: "/r/app-worktrees/issue-101/data/a.db",
      VITE_BACKEND_URL: "http://localhost:9101",
    });
    expect(Object.keys(vars)).toEqual([
      "WT_ID",
      "WT_NAME",
      "WT_BRANCH",
      "WT_PATH",
      "WT_MAIN",
      "WT_SLOT",
      "BACKEND_PORT",
      "FRONTEND_PORT",
      "DATABASE_PATH",
      "VITE_BACKEND_URL",
    ]);
  });
});

describe("renderEnvFile", () => {
  it("parses back with dotenv to exactly the variables", () => {
    const text = renderEnvFile(TRICKY, null);
    expect(parse(text)).toEqual(TRICKY);
  });

  it.each(Object.entries(TRICKY))("round-trips %s alone through dotenv", (name, value) => {
    expect(parse(renderEnvFile({ [name]: value }, null))).toEqual({ [name]: value });
  });

  it("round-trips every tricky value next to every other (no quote spills into the next line)", () => {
    const entries = Object.entries(TRICKY);
    const broken: string[] = [];
    for (const [a, va] of entries) {
      for (const [b, vb] of entries) {
        if (a === b) continue;
        const vars = { [a]: va, [b]: vb };
        const back = parse(renderEnvFile(vars, null));
        if (back[a] !== va || back[b] !== vb) broken.push(`${a} then ${b}: got ${JSON.stringify(back)}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(Object.entries(UNWRITABLE))(
    "refuses %s (UsageError, exit 2) in the env file and in `wt env --format dotenv`",
    (name, value) => {
      expect(() => renderEnvFile({ [name]: value }, null)).toThrow(UsageError);
      expect(() => formatVariables({ [name]: value }, "dotenv")).toThrow(UsageError);
      expect(() => checkValues({ [name]: value })).toThrow(UsageError);
    },
  );

  it("writes one line per variable after the marker line", () => {
    const text = renderEnvFile({ A: "1", B: "two words" }, null);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^# /);
    expect(lines.slice(1)).toEqual(["A=1", "B='two words'", ""]);
  });

  it("refuses (UsageError, exit 2) a value holding all three quote characters, naming it and `wt env`", () => {
    const err = (() => {
      try {
        renderEnvFile({ ALL: `'"\`` }, null);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toContain("ALL");
    expect((err as UsageError).hint).toContain("wt env");
  });

  const EXISTING = [
    "# secrets for local dev",
    "API_KEY=abc123",
    "PORT=1234",
    "export WT_ID=old",
    "  DATABASE_PATH = /old/path.db",
    "WT_SLOT: 7",
    "",
    "# keep this comment",
    'QUOTED="x y"',
    "PORTABLE=yes",
    "",
  ].join("\n");

  const VARS: Variables = { WT_ID: "101", WT_SLOT: "101", PORT: "3101", DATABASE_PATH: "/w/data/a.db" };

  it("merges into an existing file: keeps other keys and comments, replaces wt's keys", () => {
    const text = renderEnvFile(VARS, EXISTING);
    expect(parse(text)).toEqual({
      API_KEY: "abc123",
      QUOTED: "x y",
      PORTABLE: "yes",
      WT_ID: "101",
      WT_SLOT: "101",
      PORT: "3101",
      DATABASE_PATH: "/w/data/a.db",
    });
    expect(text).toContain("# secrets for local dev\n");
    expect(text).toContain("# keep this comment\n");
    expect(text).not.toContain("1234");
    expect(text).not.toContain("old");
    expect(text).not.toContain("WT_SLOT: 7");
    // Each of wt's keys appears exactly once.
    for (const name of Object.keys(VARS)) {
      expect(text.split("\n").filter((l) => l.startsWith(`${name}=`))).toHaveLength(1);
    }
    // The user's lines keep their order, before wt's block.
    expect(text.startsWith("# secrets for local dev\nAPI_KEY=abc123\n\n# keep this comment\nQUOTED=")).toBe(true);
  });

  it("is idempotent: applying it to its own output changes nothing", () => {
    const once = renderEnvFile(VARS, EXISTING);
    const twice = renderEnvFile(VARS, once);
    expect(twice).toBe(once);
    expect(renderEnvFile(VARS, twice)).toBe(once);
    const fresh = renderEnvFile(TRICKY, null);
    expect(renderEnvFile(TRICKY, fresh)).toBe(fresh);
  });

  it("updates values when applied again with new ones, keeping one block", () => {
    const once = renderEnvFile(VARS, EXISTING);
    const next = renderEnvFile({ ...VARS, PORT: "3102" }, once);
    expect(parse(next).PORT).toBe("3102");
    expect(next.match(/^# --- wt/gm)).toHaveLength(1);
    expect(parse(next).API_KEY).toBe("abc123");
  });

  it("accepts CRLF input and writes LF", () => {
    const text = renderEnvFile({ PORT: "3101" }, "A=1\r\nPORT=9\r\n");
    expect(text).not.toContain("\r");
    expect(parse(text)).toEqual({ A: "1", PORT: "3101" });
  });

  it("does not drop a key that merely starts like one of wt's (PORTABLE vs PORT)", () => {
    const text = renderEnvFile({ PORT: "3101" }, "PORTABLE=1\nPORT_OTHER=2\nXPORT=3\n");
    expect(parse(text)).toEqual({ PORTABLE: "1", PORT_OTHER: "2", XPORT: "3", PORT: "3101" });
  });

  it("keeps a user's multi-line quoted value intact", () => {
    const existing = 'CERT="-----BEGIN-----\nabc\n-----END-----"\nPORT=1\n';
    const text = renderEnvFile({ PORT: "3101" }, existing);
    expect(parse(text)).toEqual({ CERT: "-----BEGIN-----\nabc\n-----END-----", PORT: "3101" });
  });

  it("an empty existing file gives the same text as none", () => {
    expect(renderEnvFile(VARS, "")).toBe(renderEnvFile(VARS, null));
  });
});

describe("checkValues", () => {
  it.each([
    ["newline", "a\nb"],
    ["carriage return", "a\rb"],
    ["NUL", "a\u0000b"],
    ["tab", "a\tb"],
    ["escape", "a\u001b[31mred"],
    ["DEL", "a\u007fb"],
    ["trailing newline", "value\n"],
  ])("refuses a %s with UsageError exit 2 naming the variable", (_what, value) => {
    let err: unknown;
    try {
      checkValues({ OK: "fine", BAD_ONE: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toContain("BAD_ONE");
  });

  it("accepts printable values, unicode and the empty string", () => {
    expect(() => checkValues(TRICKY)).not.toThrow();
  });
});

describe("formatVariables", () => {
  const HOSTILE: Variables = {
    SUBST: "$(touch PWNED)",
    BACKTICKS: "`touch PWNED`",
    BREAKOUT: "'; touch PWNED; rm -rf x; '",
    DOUBLE_BREAKOUT: '"; touch PWNED; "',
    DOLLAR: "$HOME and ${HOME} and $1",
    BACKSLASHES: "\\'\\\\'\\",
    SEMICOLON: "a; touch PWNED",
    GLOB: "* ?",
    UNICODE: "héllo 🙂",
    EMPTY: "",
    SPACES: "  spaced  ",
  };

  /** Runs /bin/sh: eval the file's text, then print one variable's value. */
  function shEval(text: string, variable: string): string {
    const work = path.join(dir, "sh");
    mkdirSync(work, { recursive: true });
    const file = path.join(work, "vars.sh");
    writeFileSync(file, text);
    return execFileSync("/bin/sh", ["-c", 'eval "$(cat "$1")"; eval "printf %s \\"\\$$2\\""', "sh", file, variable], {
      cwd: work,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/home/nobody" },
    });
  }

  it("sh: /bin/sh eval gives every hostile value back exactly and runs none of it", () => {
    const text = formatVariables(HOSTILE, "sh");
    for (const [name, value] of Object.entries(HOSTILE)) {
      expect(shEval(text, name), name).toBe(value);
    }
    expect(existsSync(path.join(dir, "sh", "PWNED"))).toBe(false);
    expect(readdirSync(path.join(dir, "sh"))).toEqual(["vars.sh"]);
  });

  it("sh: exports the variables to child processes", () => {
    const work = path.join(dir, "sh");
    mkdirSync(work);
    const file = path.join(work, "vars.sh");
    writeFileSync(file, formatVariables({ WT_TEST_VALUE: "it's $(x)" }, "sh"));
    const out = execFileSync(
      "/bin/sh",
      ["-c", 'eval "$(cat "$1")"; /bin/sh -c \'printf %s "$WT_TEST_VALUE"\'', "sh", file],
      {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      },
    );
    expect(out).toBe("it's $(x)");
  });

  it("sh: one `export NAME='value'` line per variable", () => {
    expect(formatVariables({ A: "1", B: "it's" }, "sh")).toBe("export A='1'\nexport B='it'\\''s'\n");
  });

  it("json: parses back to exactly the variables, in order", () => {
    const text = formatVariables({ ...HOSTILE, ...TRICKY }, "json");
    const parsed = JSON.parse(text) as Variables;
    expect(parsed).toEqual({ ...HOSTILE, ...TRICKY });
    expect(Object.keys(parsed)).toEqual(Object.keys({ ...HOSTILE, ...TRICKY }));
    expect(text.endsWith("\n")).toBe(true);
  });

  it("dotenv: parses back with dotenv to exactly the variables", () => {
    expect(parse(formatVariables(TRICKY, "dotenv"))).toEqual(TRICKY);
    // BACKSLASHES ends in a backslash and holds `'`: no dotenv line a shell reads the same.
    const { BACKSLASHES, ...writable } = HOSTILE;
    expect(parse(formatVariables(writable, "dotenv"))).toEqual(writable);
    expect(() => formatVariables({ BACKSLASHES: BACKSLASHES as string }, "dotenv")).toThrow(UsageError);
  });

  it("fish: single-quotes and escapes backslash and single quote", () => {
    expect(formatVariables({ A: "plain" }, "fish")).toBe("set -gx A 'plain';\n");
    expect(formatVariables({ A: "it's" }, "fish")).toBe("set -gx A 'it\\'s';\n");
    expect(formatVariables({ A: "back\\slash" }, "fish")).toBe("set -gx A 'back\\\\slash';\n");
    expect(formatVariables({ A: "\\'" }, "fish")).toBe("set -gx A '\\\\\\'';\n");
    expect(formatVariables({ A: '$(x) `y` "z"' }, "fish")).toBe("set -gx A '$(x) `y` \"z\"';\n");
    expect(formatVariables({ A: "1", B: "2" }, "fish")).toBe("set -gx A '1';\nset -gx B '2';\n");
  });

  const fish = (() => {
    try {
      return execFileSync("/bin/sh", ["-c", "command -v fish"], { encoding: "utf8" }).trim() || null;
    } catch {
      return null;
    }
  })();

  it.runIf(fish !== null)("fish: a real fish gives every hostile value back exactly", () => {
    const work = path.join(dir, "fish");
    mkdirSync(work);
    const file = path.join(work, "vars.fish");
    writeFileSync(file, formatVariables(HOSTILE, "fish"));
    for (const [name, value] of Object.entries(HOSTILE)) {
      const out = execFileSync(fish as string, ["-c", "source $argv[1]; printf %s $$argv[2]", file, name], {
        cwd: work,
        encoding: "utf8",
      });
      expect(out, name).toBe(value);
    }
    expect(existsSync(path.join(work, "PWNED"))).toBe(false);
  });
});

describe("expandEnvEntries", () => {
  const known: Variables = { WT_ID: "101", BACKEND_PORT: "9101", FRONTEND_PORT: "9201", WT_NAME: "issue-101" };

  it("expands ${VAR} with wt's variables, several per value", () => {
    expect(
      expandEnvEntries(
        {
          VITE_BACKEND_URL: "http://localhost:${BACKEND_PORT}",
          BOTH: "${BACKEND_PORT}-${FRONTEND_PORT}-${BACKEND_PORT}",
          LABEL: "${WT_NAME}",
        },
        known,
      ),
    ).toEqual({
      VITE_BACKEND_URL: "http://localhost:9101",
      BOTH: "9101-9201-9101",
      LABEL: "issue-101",
    });
  });

  it("leaves $VAR without braces, and text without variables, as it is", () => {
    expect(expandEnvEntries({ A: "$BACKEND_PORT", B: "plain", C: "$", D: "{BACKEND_PORT}" }, known)).toEqual({
      A: "$BACKEND_PORT",
      B: "plain",
      C: "$",
      D: "{BACKEND_PORT}",
    });
  });

  it("does not expand again inside a substituted value", () => {
    expect(expandEnvEntries({ A: "${X}" }, { X: "${WT_ID}", WT_ID: "101" })).toEqual({ A: "${WT_ID}" });
  });

  it.each([["${NOPE}"], ["x ${HOME}"], ["${}"], ["${backend_port}"]])(
    "rejects %j with ConfigError (exit 2) naming the entry",
    (template) => {
      let err: unknown;
      try {
        expandEnvEntries({ MY_URL: template }, known);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as ConfigError).message).toContain("env.MY_URL");
    },
  );

  it("does not modify its input", () => {
    const entries = { A: "${WT_ID}" };
    expandEnvEntries(entries, known);
    expect(entries).toEqual({ A: "${WT_ID}" });
  });
});

describe("writeEnvFile", () => {
  const vars: Variables = { WT_ID: "101", PORT: "3101", NOTE: "it's # fine" };

  it("creates the file with mode 0600 and dotenv content", async () => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    expect(await writeEnvFile(wt, ".env.local", vars)).toMatchObject({ how: "created", lines: [] });
    const file = path.join(wt, ".env.local");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(file, "utf8"))).toEqual(vars);
  });

  it("makes missing parent folders", async () => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    await writeEnvFile(wt, "config/env/.env", vars);
    expect(parse(readFileSync(path.join(wt, "config/env/.env"), "utf8"))).toEqual(vars);
  });

  it("merges into an existing regular file, keeps its keys, sets mode 0600, and is idempotent", async () => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    const file = path.join(wt, ".env.local");
    writeFileSync(file, "# mine\nSECRET=s3cr3t\nPORT=1\n", { mode: 0o644 });
    expect(await writeEnvFile(wt, ".env.local", vars)).toMatchObject({ how: "merged" });
    const first = readFileSync(file, "utf8");
    expect(parse(first)).toEqual({ SECRET: "s3cr3t", ...vars });
    expect(first.startsWith("# mine\nSECRET=s3cr3t\n")).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await writeEnvFile(wt, ".env.local", vars)).toMatchObject({ how: "merged" });
    expect(readFileSync(file, "utf8")).toBe(first);
  });

  it("replaces a symlink at the target instead of writing through it", async () => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    const outside = path.join(dir, "outside.env");
    writeFileSync(outside, "OUTSIDE=untouched\n");
    symlinkSync(outside, path.join(wt, ".env.local"));
    await writeEnvFile(wt, ".env.local", vars);
    expect(readFileSync(outside, "utf8")).toBe("OUTSIDE=untouched\n");
    const st = lstatSync(path.join(wt, ".env.local"));
    expect(st.isSymbolicLink()).toBe(false);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(path.join(wt, ".env.local"), "utf8"))).toEqual(vars);
  });

  it("replaces a dangling symlink without creating its target", async () => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    const target = path.join(dir, "would-be-created.env");
    symlinkSync(target, path.join(wt, ".env.local"));
    await writeEnvFile(wt, ".env.local", vars);
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(path.join(wt, ".env.local")).isFile()).toBe(true);
  });

  it("refuses (ConflictError, exit 3) when a parent folder is a symlink, and writes nothing outside", async () => {
    const wt = path.join(dir, "wt");
    const outsideDir = path.join(dir, "outside");
    mkdirSync(wt);
    mkdirSync(outsideDir);
    symlinkSync(outsideDir, path.join(wt, "config"));
    let err: unknown;
    try {
      await writeEnvFile(wt, "config/.env", vars);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).exitCode).toBe(3);
    expect(readdirSync(outsideDir)).toEqual([]);
  });

  it.each([["../escape.env"], ["/tmp/abs.env"]])("refuses the path %j that leaves the worktree", async (rel) => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    await expect(writeEnvFile(wt, rel, vars)).rejects.toBeInstanceOf(ConflictError);
    expect(existsSync(path.join(dir, "escape.env"))).toBe(false);
  });

  it("refuses a control character before touching the file", async () => {
    const wt = path.join(dir, "wt");
    mkdirSync(wt);
    const file = path.join(wt, ".env.local");
    writeFileSync(file, "KEEP=1\n");
    await expect(writeEnvFile(wt, ".env.local", { BAD: "a\nINJECTED=1" })).rejects.toBeInstanceOf(UsageError);
    expect(readFileSync(file, "utf8")).toBe("KEEP=1\n");
    expect(readdirSync(wt)).toEqual([".env.local"]);
  });
});

describe("linesAddedToEnvFile", () => {
  const names = ["PORT", "WT_ID"];
  const found = "# from main\r\nSECRET=1\r\n";
  const written = renderEnvFile({ PORT: "46701", WT_ID: "1" }, found);
  const known = envLineDigests(written, names);

  it("counts nothing in what wt wrote, whatever its own values became, blank lines or CRLF", () => {
    expect(known).toHaveLength(2);
    expect(linesAddedToEnvFile(written, names, known)).toBe(0);
    const edited = `${written.replace("PORT=46701", "export PORT=9")}\n\n`.replace(/\n/g, "\r\n");
    expect(linesAddedToEnvFile(edited, names, known)).toBe(0);
    // A line of the include's copy taken out is no loss either.
    expect(linesAddedToEnvFile(written.replace("SECRET=1\n", ""), names, known)).toBe(0);
  });

  it("counts each line added, before or after wt's block, comments included", () => {
    expect(linesAddedToEnvFile(`API_KEY=x\n${written}# mine\nDEBUG=1\n`, names, known)).toBe(3);
    expect(linesAddedToEnvFile(written.replace("SECRET=1", "SECRET=2"), names, known)).toBe(1);
  });

  it("never records the lines themselves", () => {
    expect(known.join(" ")).not.toContain("SECRET");
    expect(known.every((d) => /^[0-9a-f]{16}$/.test(d))).toBe(true);
  });
});
