import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The merr package root (where package.json, prompts/, au-rules/ and data/ live). This file is
 * src/core/paths.ts in the sources and dist/src/core/paths.js in the build: the compiled code reads the
 * same data folders as the sources, so a `dist` two levels up is skipped.
 */
const twoUp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PROJECT_ROOT = path.basename(twoUp) === "dist" ? path.dirname(twoUp) : twoUp;

export const projectPath = (...parts: string[]): string => path.join(PROJECT_ROOT, ...parts);

/** Where a run keeps one sample's files. */
export const sampleDir = (outDir: string, sampleId: string): string => path.join(outDir, "samples", sampleId);
