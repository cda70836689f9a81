// Writes `wt --help` to dist/cli/help.txt at build time, so `wt --help` prints it without
// loading commander (issue 5: <= 1.8x `node -e 0`). It is commander's own text for the
// program in dist/, so it cannot drift from the commands.
import { writeFileSync } from "node:fs";
import { buildProgram } from "../dist/cli/index.js";

const program = await buildProgram();
program.configureOutput({ getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
writeFileSync(new URL("../dist/cli/help.txt", import.meta.url), program.helpInformation());
