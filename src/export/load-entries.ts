import { readdirSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { MerrError } from "../core/errors.ts";
import { isCommittedJson } from "../core/fs.ts";
import { entryFromRecords, FEATURE_FOLDERS, type MerrEntry } from "../core/merr-entry.ts";
import { readFormerFingerprints, rebaseSampleRecord, rebaseStageRecord, SampleRecordSchema, type SampleRecords, type StageRecord } from "../core/records.ts";
import { sampleDir } from "../core/paths.ts";

/** Throws E_USAGE unless `runDir` looks like a run output directory (has `samples/` or `run.json`). */
export async function assertRunDir(runDir: string): Promise<void> {
  const hasSamples = await stat(path.join(runDir, "samples")).then((s) => s.isDirectory(), () => false);
  const hasManifest = await stat(path.join(runDir, "run.json")).then((s) => s.isFile(), () => false);
  if (!hasSamples && !hasManifest) {
    throw new MerrError("E_USAGE", `${runDir} is not a run directory (no samples/ and no run.json); pass the --out of merr build`);
  }
}

const listDir = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw error;
  }
};

/**
 * Parses a record file; `undefined` when it is missing, half-written or not a record. Unlike records.ts
 * (E_RECORD_INVALID), export reads on: one unreadable file leaves that stage out of the entry.
 */
function readRecord<T>(file: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError) return undefined;
    throw error;
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

const STATUSES: ReadonlySet<string> = new Set(["done", "skipped", "failed"]);
const isNote = (v: unknown): boolean =>
  v === undefined || (typeof v === "object" && v !== null && typeof (v as { code?: unknown }).code === "string" && typeof (v as { message?: unknown }).message === "string");

/**
 * The checks of StageRecordSchema that export relies on, by hand: zod took half of the load time of a
 * 30k-sample run (270k records). Defaults as in the schema (`provenance: {}`, `attempt: 1`).
 */
export const stageRecordGuard = {
  safeParse(raw: unknown): { success: true; data: StageRecord } | { success: false } {
    if (typeof raw !== "object" || raw === null) return { success: false };
    const r = raw as Record<string, unknown>;
    const ok =
      typeof r.stage === "string" && typeof r.version === "number" && typeof r.status === "string" && STATUSES.has(r.status) &&
      typeof r.fingerprint === "string" && isNote(r.skip) && isNote(r.error) &&
      (r.provenance === undefined || (typeof r.provenance === "object" && r.provenance !== null && !Array.isArray(r.provenance)));
    if (!ok) return { success: false };
    return { success: true, data: { ...r, provenance: r.provenance ?? {}, attempt: r.attempt ?? 1 } as StageRecord };
  },
};

/**
 * Reads one sample's records (the files `readRunRecords` reads). Synchronous on purpose: a run of 30k
 * samples has ~270k small files, and the promise API's four thread-pool round trips per file made
 * reading them 5x slower; {@link loadEntries} yields to the event loop between batches.
 */
export function readSampleRecordsSync(runDir: string, id: string, top: readonly string[] = listDir(sampleDir(runDir, id))): SampleRecords {
  const dir = path.join(sampleDir(runDir, id), "stages");
  const stages: Record<string, StageRecord> = {};
  for (const f of (top.includes("stages") ? listDir(dir) : []).filter(isCommittedJson).sort()) {
    const rec = readRecord(path.join(dir, f), stageRecordGuard);
    if (rec) stages[rec.stage] = rebaseStageRecord(rec, runDir, id);
  }
  const read = top.includes("sample.json") ? readRecord(path.join(sampleDir(runDir, id), "sample.json"), SampleRecordSchema) : undefined;
  const record = read && rebaseSampleRecord(read, runDir);
  const former = top.includes("former.json") ? readFormerFingerprints(runDir, id) : undefined;
  return { id, sample: record?.sample, record, stages, ...(former ? { former } : {}) };
}

/** Adds `<sample>/features/<folder>.npy` files that exist to the entry's features (stage-named files win). */
function addConventionalFeatures(runDir: string, entry: MerrEntry, top: readonly string[]): void {
  if (!top.includes("features")) return;
  const dir = path.join(sampleDir(runDir, entry.name), "features");
  const files = new Set(listDir(dir));
  for (const folder of FEATURE_FOLDERS) {
    if (!entry.features[folder] && files.has(`${folder}.npy`)) entry.features[folder] = path.join(dir, `${folder}.npy`);
  }
}

/** The entries of a run (finished or partial), sorted by name. */
export async function loadEntries(runDir: string, batch = 250): Promise<MerrEntry[]> {
  await assertRunDir(runDir);
  const ids = listDir(path.join(runDir, "samples")).sort();
  const entries: MerrEntry[] = [];
  for (let i = 0; i < ids.length; i += batch) {
    for (const id of ids.slice(i, i + batch)) {
      // One listing of the sample folder saves a failing (throwing) readdir per absent sub-folder.
      const top = listDir(sampleDir(runDir, id));
      const records = readSampleRecordsSync(runDir, id, top);
      if (Object.keys(records.stages).length === 0 && !records.record) continue; // not a sample folder
      const entry = entryFromRecords(records);
      addConventionalFeatures(runDir, entry, top);
      entries.push(entry);
    }
    await yieldToLoop();
  }
  return entries;
}
