/**
 * Rewrites the exit-code table of README.md from src/core/errors.ts (between its markers).
 * Run with `npm run docs:exit-codes`; test/unit/exit-codes.test.ts fails while the README differs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { withExitCodeTable } from "../src/core/exit-codes.ts";
import { projectPath } from "../src/core/paths.ts";

const readme = projectPath("README.md");
const before = readFileSync(readme, "utf8");
const after = withExitCodeTable(before);
if (after !== before) writeFileSync(readme, after);
process.stdout.write(`${after === before ? "unchanged" : "updated"}: README.md exit-code table\n`);
