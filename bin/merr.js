#!/usr/bin/env node
// Runs the compiled CLI (dist/, made by `npm run build`; scripts/setup.sh builds it).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/cli/merr.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("merr: the compiled CLI is missing (dist/src/cli/merr.js); build it with: npm run build\n");
  process.exit(1);
}
const { run } = await import(entry.href);
run();
