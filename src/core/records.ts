import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readJsonIfExistsSync, writeFileAtomic } from "./fs.ts";
import { sampleDir } from "./paths.ts";
import type { Sample } from "./types.ts";

/**
 * On-disk records of a run, the source of truth for "done":
 *
 *     <out>/run.json                              RunManifest
 *     <out>/samples/<id>/stages/<stage>.json      StageRecord (one per stage that finished, skipped or failed)
 *     <out>/samples/<id>/sample.json              SampleRecord (written when the sample's last stage ended)
 */

export const StageRecordSchema = z.object({
  stage: z.string(),
  version: z.number(),
  status: z.enum(["done", "skipped", "failed"]),
  output: z.unknown().optional(),
  skip: z.object({ code: z.string(), message: z.string() }).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Hash of (stage, version, options, inputs): a record with another fingerprint is stale and redone. */
  fingerprint: z.string(),
  options: z.unknown().optional(),
  provenance: z.record(z.string(), z.unknown()).default({}),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  attempt: z.number().default(1),
});
export type StageRecord = z.infer<typeof StageRecordSchema>;

export const SampleStatus = z.enum(["done", "filtered", "skipped", "failed"]);
export type SampleStatus = z.infer<typeof SampleStatus>;

export const SampleRecordSchema = z.object({
  id: z.string(),
  sample: z.object({
    id: z.string(),
    path: z.string(),
    source: z.string(),
    label: z.string().optional(),
    transcript: z.string().optional(),
  }),
  /** done: every stage done; filtered: a filter stage dropped it; skipped: a stage had nothing to work on; failed. */
  status: SampleStatus,
  /** Why it is not `done`: one entry per stage that was skipped or failed first-hand. */
  reasons: z.array(z.object({ stage: z.string(), code: z.string(), message: z.string() })),
  stages: z.record(z.string(), z.enum(["done", "skipped", "failed", "missing"])),
  /** The sample's AU pseudo-label (au-analyze) and final label (fine), when those stages gave one. */
  labels: z.object({ pseudo: z.string().optional(), final: z.string().optional() }).optional(),
  /** Why a recognised transcript was not used as the subtitle (the transcript stage's gate), when it was not. */
  transcriptRejected: z.string().optional(),
  pipeline: z.string(),
  finishedAt: z.string(),
});
export type SampleRecord = z.infer<typeof SampleRecordSchema>;

export const stageRecordPath = (outDir: string, sampleId: string, stage: string): string =>
  path.join(sampleDir(outDir, sampleId), "stages", `${stage}.json`);

export const sampleRecordPath = (outDir: string, sampleId: string): string =>
  path.join(sampleDir(outDir, sampleId), "sample.json");

export async function readStageRecord(outDir: string, sampleId: string, stage: string): Promise<StageRecord | undefined> {
  const raw = readJsonIfExistsSync(stageRecordPath(outDir, sampleId, stage));
  if (raw === undefined) return undefined;
  const parsed = StageRecordSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

export async function writeStageRecord(outDir: string, sampleId: string, record: StageRecord): Promise<void> {
  await writeFileAtomic(stageRecordPath(outDir, sampleId, record.stage), `${JSON.stringify(record, null, 2)}\n`);
}

export async function writeSampleRecord(outDir: string, record: SampleRecord): Promise<void> {
  await writeFileAtomic(sampleRecordPath(outDir, record.id), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readSampleRecord(outDir: string, sampleId: string): Promise<SampleRecord | undefined> {
  const raw = readJsonIfExistsSync(sampleRecordPath(outDir, sampleId));
  if (raw === undefined) return undefined;
  const parsed = SampleRecordSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Everything a run left for one sample. */
export interface SampleRecords {
  id: string;
  sample?: Sample;
  record?: SampleRecord;
  stages: Record<string, StageRecord>;
}

/** Reads every sample's records of a run (finished or partial), sorted by sample id. */
export async function* readRunRecords(outDir: string): AsyncGenerator<SampleRecords> {
  let ids: string[];
  try {
    ids = (await readdir(path.join(outDir, "samples"), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const id of ids) {
    const stages: Record<string, StageRecord> = {};
    let files: string[] = [];
    try {
      files = (await readdir(path.join(sampleDir(outDir, id), "stages"))).filter((f) => f.endsWith(".json"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const file of files.sort()) {
      const rec = await readStageRecord(outDir, id, file.slice(0, -5));
      if (rec) stages[rec.stage] = rec;
    }
    const record = await readSampleRecord(outDir, id);
    yield { id, sample: record?.sample, record, stages };
  }
}
