import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { MerrError } from "./errors.ts";
import { isCommittedJson, readJsonIfExistsSync, writeFileAtomic } from "./fs.ts";
import { sampleDir } from "./paths.ts";
import type { Sample } from "./types.ts";

/**
 * On-disk records of a run, the source of truth for "done":
 *
 *     <out>/run.json                              RunManifest
 *     <out>/samples/<id>/stages/<stage>.json      StageRecord (one per stage that finished, skipped or failed)
 *     <out>/samples/<id>/sample.json              SampleRecord (written when the sample's last stage ended)
 *     <out>/samples/<id>/former.json              FormerFingerprints (records taken over from an earlier merr)
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
  /** The sample folder the record was written in (absolute): where the paths of its output point. */
  dir: z.string().optional(),
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

/** A sample (core/types.ts `Sample`) as jobs carry it and sample.json records it. */
export const SampleSchema = z.object({
  id: z.string().min(1),
  path: z.string().min(1),
  source: z.string(),
  label: z.string().optional(),
  transcript: z.string().optional(),
  spokenTranscript: z.string().optional(),
});

/** The skip of an optional stage the build was not asked to run (trainer features without --features). */
export const NOT_REQUESTED = "not-requested";

/** The parts a done sample lacks: its notes but those of stages it was not asked for, which it does not lack. */
export const missingParts = <N extends { code: string }>(notes: readonly N[] | undefined): N[] => (notes ?? []).filter((n) => n.code !== NOT_REQUESTED);

/** sample.json `faceTools` of a sample whose AUs are an OpenFace CSV found beside the clip (au-extract's `reuseCsv`). */
export const REUSED_CSV_TOOLS = "OpenFace CSV beside the clip";

export const SampleRecordSchema = z.object({
  id: z.string(),
  sample: SampleSchema,
  /** done: every stage done; filtered: a filter stage dropped it; skipped: a stage had nothing to work on; failed. */
  status: SampleStatus,
  /** Why it is not `done`: one entry per stage that was skipped or failed first-hand. */
  reasons: z.array(z.object({ stage: z.string(), code: z.string(), message: z.string() })),
  /** Parts the sample went on without (a stage's partial skip: no audio track, no speech): it still counts as done. */
  notes: z.array(z.object({ stage: z.string(), code: z.string(), message: z.string() })).optional(),
  stages: z.record(z.string(), z.enum(["done", "skipped", "failed", "missing"])),
  /** The sample's AU pseudo-label (au-analyze) and final label (fine), when those stages gave one. */
  labels: z.object({ pseudo: z.string().optional(), final: z.string().optional() }).optional(),
  /** Why a recognised transcript was not used as the subtitle (the transcript stage's gate), when it was not. */
  transcriptRejected: z.string().optional(),
  /** audio-tone's lip check (`moving`, `still`, `unclear`, `not-seen`), when it ran: the run summary counts them. */
  lipSync: z.string().optional(),
  /**
   * The tools au-extract ran with ("builtin v10, human 3.3.6, tfjs 4.22.0 wasm, ffmpeg 5.1.9"; "openface",
   * which names no version; {@link REUSED_CSV_TOOLS}): the same clip gives the same AUs only under the same tools, so the run summary
   * warns when a run's samples were analysed under several.
   */
  faceTools: z.string().optional(),
  /**
   * The files the sample's stage records name (audio.wav, au.csv, peak.jpg...): a build checks they are
   * still there before taking the sample for finished, and redoes the stage of one that is gone.
   */
  files: z.array(z.string()).optional(),
  pipeline: z.string(),
  finishedAt: z.string(),
  /** The sample folder sample.json was written in (absolute): where the paths of `files` point. */
  dir: z.string().optional(),
  /**
   * The clip's identity when the sample was built (size, mtime, SHA-256 of its content): the next build
   * hashes the clip again only when its size or mtime differ (runtime/fingerprint.ts).
   */
  media: z.object({ size: z.number(), mtimeMs: z.number(), sha256: z.string() }).optional(),
  /** The same for the files beside the clip that a stage reads (an OpenFace CSV with `reuseCsv`), by path. */
  beside: z.record(z.string(), z.object({ size: z.number(), mtimeMs: z.number(), sha256: z.string() })).optional(),
});
export type SampleRecord = z.infer<typeof SampleRecordSchema>;

export const stageRecordPath = (outDir: string, sampleId: string, stage: string): string =>
  path.join(sampleDir(outDir, sampleId), "stages", `${stage}.json`);

export const sampleRecordPath = (outDir: string, sampleId: string): string =>
  path.join(sampleDir(outDir, sampleId), "sample.json");

/** What to do about an unreadable stage record (there is no option that forces one stage to run again). */
const STAGE_RECORD_FIX = "delete it and build again: the stage that owns it runs again and rewrites it";
const SAMPLE_RECORD_FIX = "delete it and build again: the sample's stages are reused and sample.json is written again";

/**
 * Reads one record file: `undefined` when it does not exist; E_RECORD_INVALID, naming the file and the
 * fix, when it is not JSON or not a record of this merr (corrupt, hand-edited, or made by another version).
 * An unreadable record is never taken for a missing one: that would blame the wrong stage.
 */
function readRecordFile<T>(file: string, schema: z.ZodType<T>, kind: string, fix: string): T | undefined {
  let raw: unknown;
  try {
    raw = readJsonIfExistsSync(file);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new MerrError("E_RECORD_INVALID", `${file}: not a ${kind}: not valid JSON (${error.message}); ${fix}`, { cause: error, details: { file } });
  }
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
  throw new MerrError("E_RECORD_INVALID", `${file}: not a ${kind} of this merr (${issues}); ${fix}`, { details: { file } });
}

/**
 * `value` with its paths into the sample folder a record was written in (`from`) turned into the same
 * paths in the sample's folder of `outDir`. Records name their files by absolute path (`csvPath`,
 * `wavPath`, `framesDir`, sample.json's `files`); a run folder moved or copied elsewhere (`mv merr-out
 * /data/`) still holds them under its old place, where they are gone (or belong to the copy's original).
 * Records say where they were written (`dir`). For those of merr versions before that, the folder is the
 * one `samples/<sampleId>` their paths lead into; when they lead into two (a clip that itself sits in a
 * folder so named, beside the run's files), a path is moved only when it is gone and its namesake here
 * exists. Other strings are left as they are.
 */
export function rebasePaths<T>(value: T, outDir: string, sampleId: string, from?: string): T {
  const here = path.resolve(sampleDir(outDir, sampleId));
  if (from === here) return value;
  const marker = `${path.sep}samples${path.sep}${sampleId}`;
  const inside = (v: string): boolean => v === here || v.startsWith(`${here}${path.sep}`);
  const folderOf = (v: string): string | undefined => {
    const at = v.endsWith(marker) ? v.length - marker.length : v.lastIndexOf(`${marker}${path.sep}`);
    return at < 0 ? undefined : v.slice(0, at + marker.length);
  };
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  if (from === undefined) collect(value);
  const folders = new Set(strings.filter((v) => path.isAbsolute(v) && !inside(v)).map(folderOf).filter((f): f is string => f !== undefined));
  const only = from ?? (folders.size === 1 ? [...folders][0] : undefined);
  const moved = (v: string): string => {
    if (only !== undefined) return v === only ? here : v.startsWith(`${only}${path.sep}`) ? `${here}${v.slice(only.length)}` : v;
    const folder = folderOf(v);
    if (folder === undefined) return v;
    const there = `${here}${v.slice(folder.length)}`;
    return !existsSync(v) && existsSync(there) ? there : v;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return !path.isAbsolute(v) || inside(v) ? v : moved(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** A record as it reads where the run folder is now: its output's paths rebased ({@link rebasePaths}). */
export const rebaseStageRecord = (record: StageRecord, outDir: string, sampleId: string): StageRecord =>
  record.output === undefined ? record : { ...record, output: rebasePaths(record.output, outDir, sampleId, record.dir) };

/** sample.json as it reads where the run folder is now: its `files` rebased ({@link rebasePaths}). */
export const rebaseSampleRecord = (record: SampleRecord, outDir: string): SampleRecord =>
  record.files === undefined ? record : { ...record, files: rebasePaths(record.files, outDir, record.id, record.dir) };

/** A stage's record; `undefined` when there is none, E_RECORD_INVALID when the file cannot be read as one. */
export async function readStageRecord(outDir: string, sampleId: string, stage: string): Promise<StageRecord | undefined> {
  const record = readRecordFile(stageRecordPath(outDir, sampleId, stage), StageRecordSchema, "stage record", STAGE_RECORD_FIX);
  return record && rebaseStageRecord(record, outDir, sampleId);
}

export async function writeStageRecord(outDir: string, sampleId: string, record: StageRecord): Promise<void> {
  await writeFileAtomic(stageRecordPath(outDir, sampleId, record.stage), `${JSON.stringify({ ...record, dir: path.resolve(sampleDir(outDir, sampleId)) }, null, 2)}\n`);
}

/**
 * `<sample>/former.json`: per stage, the fingerprint a build gave a record it took over from an earlier merr
 * (runtime/flow.ts) and the one that merr made it under. Reviews name the records' fingerprints when they
 * were made: while a stage's record has the fingerprint given at take-over (also when it is written again
 * under it: a retried failure, an upstream skip derived again), its reviews are read against the former one.
 */
export type FormerFingerprints = Record<string, { fingerprint: string; former: string }>;

const formerFingerprintsPath = (outDir: string, sampleId: string): string => path.join(sampleDir(outDir, sampleId), "former.json");

/** Reads `former.json` (undefined when there is none or it cannot be read). */
export function readFormerFingerprints(outDir: string, sampleId: string): FormerFingerprints | undefined {
  try {
    return readJsonIfExistsSync<FormerFingerprints>(formerFingerprintsPath(outDir, sampleId));
  } catch {
    return undefined;
  }
}

/** Adds taken-over fingerprints to `former.json`. */
export async function addFormerFingerprints(outDir: string, sampleId: string, added: FormerFingerprints): Promise<void> {
  await writeFileAtomic(formerFingerprintsPath(outDir, sampleId), `${JSON.stringify({ ...readFormerFingerprints(outDir, sampleId), ...added }, null, 2)}\n`);
}

export async function writeSampleRecord(outDir: string, record: SampleRecord): Promise<void> {
  await writeFileAtomic(sampleRecordPath(outDir, record.id), `${JSON.stringify({ ...record, dir: path.resolve(sampleDir(outDir, record.id)) }, null, 2)}\n`);
}

/** A sample's `sample.json`; `undefined` when there is none, E_RECORD_INVALID when the file cannot be read as one. */
export async function readSampleRecord(outDir: string, sampleId: string): Promise<SampleRecord | undefined> {
  const record = readRecordFile(sampleRecordPath(outDir, sampleId), SampleRecordSchema, "sample record", SAMPLE_RECORD_FIX);
  return record && rebaseSampleRecord(record, outDir);
}

/** True for the error of a record file that exists but cannot be read as a record. */
export const isRecordInvalid = (error: unknown): error is MerrError => error instanceof MerrError && error.code === "E_RECORD_INVALID";

/** Everything a run left for one sample. */
export interface SampleRecords {
  id: string;
  sample?: Sample;
  record?: SampleRecord;
  stages: Record<string, StageRecord>;
  /** `former.json`, when records were taken over from an earlier merr. */
  former?: FormerFingerprints;
}

/** Reads every sample's records of a run (finished or partial), sorted by sample id. Throws E_RECORD_INVALID on an unreadable record. */
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
      files = (await readdir(path.join(sampleDir(outDir, id), "stages"))).filter(isCommittedJson);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const file of files.sort()) {
      const rec = await readStageRecord(outDir, id, file.slice(0, -5));
      if (rec) stages[rec.stage] = rec;
    }
    const record = await readSampleRecord(outDir, id);
    const former = readFormerFingerprints(outDir, id);
    yield { id, sample: record?.sample, record, stages, ...(former ? { former } : {}) };
  }
}

/**
 * The files a stage record's output names inside the sample's folder (absolute paths anywhere in the
 * output: `wavPath`, `csvPath`, `framesDir`, a feature's `file`). Pure.
 */
export function outputFilesOf(outDir: string, sampleId: string, record: Pick<StageRecord, "status" | "output">): string[] {
  if (record.status !== "done") return [];
  const dir = `${path.resolve(sampleDir(outDir, sampleId))}${path.sep}`;
  const files: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.startsWith(dir)) files.push(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(record.output);
  // A folder that is listed stands for the files in it (sample-frames' frames: one check, not one per frame).
  const listed = new Set(files);
  return files.filter((f) => !listed.has(path.dirname(f)));
}

/** The first of `files` that is gone, or undefined. */
export function firstMissing(files: readonly string[]): string | undefined {
  return files.find((f) => !existsSync(f));
}

