import { describe, expect, it } from "vitest";
import { makeChalk } from "../../src/cli/render.js";

describe("makeChalk: colour follows NO_COLOR, FORCE_COLOR and the terminal", () => {
  it.each([
    [{}, true, 1],
    [{}, false, 0],
    [{ NO_COLOR: "1" }, true, 0],
    [{ NO_COLOR: "1", FORCE_COLOR: "1" }, true, 0],
    [{ NO_COLOR: "" }, true, 1],
    [{ FORCE_COLOR: "1" }, false, 1],
    [{ FORCE_COLOR: "" }, false, 1],
    [{ FORCE_COLOR: "0" }, true, 0],
    [{ FORCE_COLOR: "false" }, true, 0],
  ])("%j on a terminal=%s: level %i", (env, tty, level) => {
    expect(makeChalk(env as NodeJS.ProcessEnv, tty).level).toBe(level);
  });
});
