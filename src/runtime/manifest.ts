import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readJsonIfExists, readJsonIfExistsSync, writeJsonAtomic } from "../core/fs.ts";
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
  /** The run folder the manifest was written in (absolute): a build finding another has a moved folder. */
  dir: z.string().optional(),
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

/**
 * Opens the run of an output dir (same runId as before) or starts a new one. A run folder that was moved
 * (its manifest written elsewhere) gets a new runId: jobs an earlier build left in Redis name the old
 * place, and with the old runId they would keep the new build's jobs of the same inputs from being queued
 * (workers drop them: {@link runFolderHolds}). `movedFrom` says where it was.
 */
export async function openRun(
  outDir: string,
  fields: Omit<RunManifest, "runId" | "createdAt" | "updatedAt" | "builds" | "state" | "dir">,
): Promise<RunManifest & { movedFrom?: string }> {
  const previous = await readRunManifest(outDir);
  // The real path: a folder built through a symlink and then by its own path has not moved.
  const here = realpathSync(path.resolve(outDir));
  const movedFrom = previous?.dir !== undefined && previous.dir !== here ? previous.dir : undefined;
  const now = new Date().toISOString();
  const manifest: RunManifest = {
    ...fields,
    runId: previous && !movedFrom ? previous.runId : `r${randomBytes(4).toString("hex")}`,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    builds: (previous?.builds ?? 0) + 1,
    state: "running",
    dir: here,
  };
  await writeJsonAtomic(runManifestPath(outDir), manifest);
  return { ...manifest, ...(movedFrom ? { movedFrom } : {}) };
}

/**
 * True when `outDir` holds run `runId` (its run.json says so). A job names the run folder it writes into;
 * after the folder was moved (or deleted), a job an earlier build left in Redis would make its old place
 * again and write records nobody reads: workers drop it instead. Read for every job (a small file): a
 * long-running worker may have served the folder before it moved.
 */
export function runFolderHolds(outDir: string, runId: string): boolean {
  try {
    return readJsonIfExistsSync<{ runId?: unknown }>(runManifestPath(outDir))?.runId === runId;
  } catch {
    return false;
  }
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
