import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { entryFromRecords, type MerrEntry } from "../core/merr-entry.ts";
import { readSampleRecord, readStageRecord, type SampleRecords, type StageRecord } from "../core/records.ts";
import { sampleDir } from "../core/paths.ts";
import { mapLimit } from "./videos.ts";

/** Throws E_USAGE unless `runDir` looks like a run output directory (has `samples/` or `run.json`). */
export async function assertRunDir(runDir: string): Promise<void> {
  const hasSamples = await stat(path.join(runDir, "samples")).then((s) => s.isDirectory(), () => false);
  const hasManifest = await stat(path.join(runDir, "run.json")).then((s) => s.isFile(), () => false);
  if (!hasSamples && !hasManifest) {
    throw new MerrError("E_USAGE", `${runDir} is not a run directory (no samples/ and no run.json); pass the --out of merr build`);
  }
}

/** Reads one sample's records (the same files `readRunRecords` reads). */
export async function readSampleRecords(runDir: string, id: string): Promise<SampleRecords> {
  const stages: Record<string, StageRecord> = {};
  let files: string[] = [];
  try {
    files = (await readdir(path.join(sampleDir(runDir, id), "stages"))).filter((f) => f.endsWith(".json")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const recs = await Promise.all(files.map((f) => readStageRecord(runDir, id, f.slice(0, -5))));
  for (const rec of recs) if (rec) stages[rec.stage] = rec;
  const record = await readSampleRecord(runDir, id);
  return { id, sample: record?.sample, record, stages };
}

/**
 * The entries of a run, sorted by name. Samples are read `concurrency` at a time (a run of 30k samples
 * has ~250k small record files; reading them one by one is latency-bound).
 */
export async function loadEntries(runDir: string, concurrency = 64): Promise<MerrEntry[]> {
  await assertRunDir(runDir);
  let ids: string[];
  try {
    ids = (await readdir(path.join(runDir, "samples"), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return mapLimit(ids, concurrency, async (id) => entryFromRecords(await readSampleRecords(runDir, id)));
}
