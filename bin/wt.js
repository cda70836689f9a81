#!/usr/bin/env node
// Thin shim: everything lives in the built CLI (run `npm run build` after changing src/).
import { main } from "../dist/cli/index.js";

main(process.argv);
