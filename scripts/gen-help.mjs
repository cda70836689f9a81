// Writes `wt --help` to dist/cli/help.txt at build time, so `wt --help` prints it without
// loading commander (issue 5: <= 1.8x `node -e 0`). It is commander's own text for the
// program in dist/, so it cannot drift from the commands. The completion scripts
// (dist/cli/completion.<shell>, issue 13) are generated from the same program, for the same
// reasons: `wt completion bash` and every TAB answer without commander.
import { writeFileSync } from "node:fs";
import { bashCompletion, completionSpec, fishCompletion, zshCompletion } from "../dist/cli/completion.js";
import { buildProgram } from "../dist/cli/index.js";

const program = await buildProgram();
program.configureOutput({ getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
writeFileSync(new URL("../dist/cli/help.txt", import.meta.url), program.helpInformation());

const spec = completionSpec(program);
for (const [shell, render] of [
  ["bash", bashCompletion],
  ["zsh", zshCompletion],
  ["fish", fishCompletion],
]) {
  writeFileSync(new URL(`../dist/cli/completion.${shell}`, import.meta.url), render(spec));
}
