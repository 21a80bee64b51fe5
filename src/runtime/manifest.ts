import { randomBytes } from "node:crypto";
import path from "node:path";
import { z } from "zod";
import { readJsonIfExists, writeJsonAtomic } from "../core/fs.ts";
import { MerrError } from "../core/errors.ts";
import type { Sample } from "../core/types.ts";

export const RunManifestSchema = z.object({
  runId: z.string(),
  pipeline: z.string(),
  planFingerprint: z.string(),
  source: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  builds: z.number().int(),
  sampleCount: z.number().int(),
  stages: z.array(z.string()),
  /** "embedded" or the Redis URL without credentials. */
  redis: z.string(),
  prefix: z.string(),
  state: z.enum(["running", "finished", "interrupted"]),
});
export type RunManifest = z.infer<typeof RunManifestSchema>;

export const runManifestPath = (outDir: string): string => path.join(outDir, "run.json");
export const samplesListPath = (outDir: string): string => path.join(outDir, "samples.json");
export const summaryPath = (outDir: string): string => path.join(outDir, "summary.json");

export async function readRunManifest(outDir: string): Promise<RunManifest | undefined> {
  const raw = await readJsonIfExists(runManifestPath(outDir));
  if (raw === undefined) return undefined;
  const parsed = RunManifestSchema.safeParse(raw);
  if (!parsed.success) throw new MerrError("E_DATA_INVALID", `${runManifestPath(outDir)} is not a merr run manifest; choose another --out`);
  return parsed.data;
}

/** Opens the run of an output dir (same runId as before) or starts a new one. */
export async function openRun(
  outDir: string,
  fields: Omit<RunManifest, "runId" | "createdAt" | "updatedAt" | "builds" | "state">,
): Promise<RunManifest> {
  const previous = await readRunManifest(outDir);
  const now = new Date().toISOString();
  const manifest: RunManifest = {
    ...fields,
    runId: previous?.runId ?? `r${randomBytes(4).toString("hex")}`,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    builds: (previous?.builds ?? 0) + 1,
    state: "running",
  };
  await writeJsonAtomic(runManifestPath(outDir), manifest);
  return manifest;
}

export async function updateRunState(outDir: string, manifest: RunManifest, state: RunManifest["state"]): Promise<void> {
  await writeJsonAtomic(runManifestPath(outDir), { ...manifest, state, updatedAt: new Date().toISOString() });
}

export async function writeSamplesList(outDir: string, samples: Sample[]): Promise<void> {
  await writeJsonAtomic(samplesListPath(outDir), samples);
}

export async function readSamplesList(outDir: string): Promise<Sample[]> {
  return (await readJsonIfExists<Sample[]>(samplesListPath(outDir))) ?? [];
}
