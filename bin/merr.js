#!/usr/bin/env node
// Runs the TypeScript sources through tsx (a dependency), so `npx merr` works right after `npm ci`.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/cli/merr.ts");
run();
