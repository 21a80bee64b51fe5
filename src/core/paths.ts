import path from "node:path";
import { fileURLToPath } from "node:url";

/** The merr package root (where package.json, prompts/, au-rules/ and data/ live). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const projectPath = (...parts: string[]): string => path.join(PROJECT_ROOT, ...parts);

/** Where a run keeps one sample's files. */
export const sampleDir = (outDir: string, sampleId: string): string => path.join(outDir, "samples", sampleId);
