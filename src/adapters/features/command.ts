import { rm } from "node:fs/promises";
import { runTool } from "../tools/run-tool.ts";
import { fillPlaceholders } from "./spec.ts";
import { readFeatureNpy } from "./validate.ts";

export interface CommandValues {
  audio: string;
  frames: string;
  faces: string;
  video: string;
  out: string;
}

/**
 * Runs an existing extractor for one clip: the template's argv with its placeholders filled (no shell),
 * then reads and validates the `.npy` it wrote at `{out}`. A failed or bad output throws, and the file
 * is left for inspection; a good one is removed after reading (the caller writes the feature).
 */
export async function runCommandExtractor(
  argv: readonly string[],
  values: CommandValues,
  opts: { signal?: AbortSignal; timeoutMs: number },
): Promise<{ vector: Float32Array; argv: string[]; ms: number }> {
  const filled = fillPlaceholders(argv, values);
  await rm(values.out, { force: true });
  const t0 = performance.now();
  // The user's extractor: its name is data (the --features template), not a program merr installs.
  await runTool(filled[0]!, filled.slice(1), { signal: opts.signal, timeoutMs: opts.timeoutMs });
  const ms = performance.now() - t0;
  const vector = await readFeatureNpy(values.out, `the command ${filled[0]}`);
  await rm(values.out, { force: true });
  return { vector, argv: filled, ms };
}
