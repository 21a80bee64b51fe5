import { createWriteStream, type WriteStream } from "node:fs";
import path from "node:path";
import { coerceError, MerrError } from "../core/errors.ts";
import { removeStaleTemps } from "../core/fs.ts";
import type { Logger } from "../core/logger.ts";
import { sampleDir } from "../core/paths.ts";
import {
  firstMissing,
  isRecordInvalid,
  outputFilesOf,
  readStageRecord,
  REUSED_CSV_TOOLS,
  writeSampleRecord,
  writeStageRecord,
  type SampleRecord,
  type SampleStatus,
  type StageRecord,
} from "../core/records.ts";
import type { Sample } from "../core/types.ts";
import type { AnyStage } from "../stages/_stage.ts";
import { createStageContext, type ResourcePool } from "./context.ts";
import { dataFilesHash } from "./plan.ts";
import { isFinalFailure } from "./retry.ts";
import type { MediaIdentity } from "./fingerprint.ts";
import { runStage } from "./run-stage.ts";

/** The payload of every stage job (small JSON, stored in Redis). */
export interface JobPayload {
  runId: string;
  outDir: string;
  pipeline: string;
  /**
   * The stage's input fingerprint (see fingerprint.ts), computed by the build that enqueued the job; for
   * finalize, the sample's. A record with the same fingerprint is reused.
   */
  fingerprint: string;
  /** Every stage's fingerprint for this sample: a successor runs once its inputs have records with these. */
  prints: Record<string, string>;
  /** Redis key of the plan (see flow.ts), from which the worker enqueues successors. */
  planKey: string;
  sample: Sample;
  stage: string;
  options: unknown;
  /**
   * The hash of the stage's data files as the build read them (`dataFiles`, part of the fingerprint): the
   * worker checks its own files against it, so a record is never made with other files than planned.
   */
  dataHash?: string;
  needs: string[];
  uses: string[];
  /** Pipeline gates: stages that must be done for this one to run; their outputs are not passed on. */
  gates?: string[];
  /** For finalize: every stage of the plan. */
  stages?: string[];
  /** For finalize: per stage, the skip codes after which the sample goes on (a note, not a reason). */
  partialSkips?: Record<string, string[]>;
  /** The clip's identity as the build read it, which finalize records (sample.json `media`: the next build's cache). */
  media?: MediaIdentity;
  /** The identities of the files beside the clip that stages read, by path (sample.json `beside`). */
  beside?: Record<string, NonNullable<MediaIdentity>>;
}

export interface ExecuteEnv {
  logger: Logger;
  signal: AbortSignal;
  resources: ResourcePool;
  settings: Record<string, unknown>;
  /** This try, 1-based. */
  attempt: number;
  /** Tries the stage has at most; with the retry policy, decides whether a failure now is final (and recorded). */
  attempts: number;
  onProgress?: (pct: number, note?: string) => void;
}

export interface ExecuteResult {
  record: StageRecord;
  /** True when the stage function ran; false when a valid record was reused or an upstream problem skipped it. */
  executed: boolean;
  /** True when a valid record of this stage was reused (the stage did not run, and no upstream problem skipped it). */
  reused: boolean;
}

const SKIP_UPSTREAM_FAILED = "upstream-failed";
const SKIP_UPSTREAM_SKIPPED = "upstream-skipped";

/**
 * Runs one stage job: reuses a valid record (same fingerprint), skips when a needed stage did not finish,
 * otherwise runs the stage and writes its record atomically. Queue-agnostic: the BullMQ binding calls it.
 */
export async function executeStageJob(stage: AnyStage, p: JobPayload, env: ExecuteEnv): Promise<ExecuteResult> {
  const startedAt = new Date();
  const deps: Record<string, unknown> = {};
  const skips: Record<string, { code: string; message: string }> = {};
  const fingerprint = p.fingerprint;
  const gates = p.gates ?? [];
  for (const name of [...p.needs, ...p.uses, ...gates]) {
    let rec: StageRecord | undefined;
    try {
      rec = await readStageRecord(p.outDir, p.sample.id, name);
    } catch (error) {
      if (!isRecordInvalid(error)) throw error;
      // An input record that cannot be read fails this stage with the file's name (not "left no record").
      // The failure carries this job's fingerprint, so the stages that read this one see it settled.
      const failed = makeRecord(stage, p, "failed", startedAt, {
        error: { code: error.code, message: error.message },
        fingerprint,
        attempt: env.attempt,
      });
      await writeStageRecord(p.outDir, p.sample.id, failed);
      await logExecution(p, failed);
      throw error;
    }
    if (rec?.status === "done") {
      if (!gates.includes(name) || p.needs.includes(name) || p.uses.includes(name)) deps[name] = rec.output;
      continue;
    }
    // A used stage that was skipped: the stage goes on without it and may say why (coarse: no sound). One
    // that failed skips it as a needed one does: the sample has failed anyway, a caption made without the
    // failed clue would be made in vain (a model call for nothing), and the upstream skip is derived again
    // on the next build, so the stage runs after the failed one is retried, with what it then gives.
    if (!p.needs.includes(name) && !gates.includes(name) && rec?.status !== "failed") {
      if (rec?.status === "skipped" && rec.skip) skips[name] = { code: rec.skip.code, message: rec.skip.message };
      continue;
    }
    const why = !rec
      ? { code: SKIP_UPSTREAM_FAILED, message: `${name} left no record (it failed or never ran)` }
      : rec.status === "failed"
        ? { code: SKIP_UPSTREAM_FAILED, message: `${name} failed: ${rec.error?.message ?? "unknown error"}` }
        : { code: SKIP_UPSTREAM_SKIPPED, message: `${name} skipped: ${rec.skip?.code ?? "?"}` };
    // Not a reusable outcome (isReusable): derived again from the upstream records on every build.
    const record = makeRecord(stage, p, "skipped", startedAt, { skip: why, fingerprint });
    await writeStageRecord(p.outDir, p.sample.id, record);
    return { record, executed: false, reused: false };
  }
  let existing: StageRecord | undefined;
  try {
    existing = await readStageRecord(p.outDir, p.sample.id, stage.name);
  } catch (error) {
    if (!isRecordInvalid(error)) throw error;
    // This stage's own record: it is about to be written again, so an unreadable one is redone (never
    // reused), and said so with the file's name.
    env.logger.warn({ code: error.code, file: error.details?.file }, `${error.message} (redoing ${stage.name})`);
  }
  // A record whose files were deleted since is redone (its successors' inputs are unchanged: they stand).
  if (existing && recordStands(p.outDir, p.sample.id, existing, fingerprint)) {
    return { record: existing, executed: false, reused: true };
  }
  const { ctx, provenance } = await createStageContext({
    runId: p.runId,
    outDir: p.outDir,
    sample: p.sample,
    stage: stage.name,
    logger: env.logger,
    signal: env.signal,
    onProgress: env.onProgress,
    resources: env.resources,
    settings: env.settings,
  });
  let record: StageRecord;
  try {
    checkDataFiles(stage, p);
    const result = await runStage(stage, { sample: p.sample, options: p.options, deps, skips }, ctx);
    record =
      result.status === "done"
        ? makeRecord(stage, p, "done", startedAt, { output: result.output, fingerprint, provenance, attempt: env.attempt })
        : makeRecord(stage, p, "skipped", startedAt, {
            skip: { code: result.skip.code, message: result.skip.message },
            fingerprint,
            provenance,
            attempt: env.attempt,
          });
  } catch (error) {
    const err = coerceError(error);
    if (isFinalFailure(err, env.attempt, env.attempts)) {
      const failed = makeRecord(stage, p, "failed", startedAt, {
        error: { code: err.code, message: err.message },
        fingerprint,
        provenance,
        attempt: env.attempt,
      });
      await writeStageRecord(p.outDir, p.sample.id, failed);
      await logExecution(p, failed);
    }
    throw err;
  }
  await writeStageRecord(p.outDir, p.sample.id, record);
  await logExecution(p, record);
  return { record, executed: true, reused: false };
}

/**
 * The stage's data files (an AU rule set, the tone wording, prompts) must be the ones the build planned
 * with: a worker on another machine, with another checkout or an edited file, would otherwise write a
 * record under a fingerprint that does not describe it. E_CONFIG_INVALID (final) naming the files.
 */
function checkDataFiles(stage: AnyStage, p: JobPayload): void {
  if (p.dataHash === undefined) return;
  const files = stage.dataFiles?.(p.options) ?? [];
  if (dataFilesHash(files) === p.dataHash) return;
  throw new MerrError(
    "E_CONFIG_INVALID",
    `${stage.name}: this worker's ${files.length === 1 ? "data file differs" : "data files differ"} from what the build planned with (${files.join(", ")}): ` +
      "give every worker the same merr and the same rule, wording and prompt files at the same paths, and build again after editing one",
    { details: { files } },
  );
}

/**
 * True when a record still stands for these inputs: same fingerprint, and an outcome of the stage itself
 * (done, or skipped for its own reason). Failures are retried; an upstream skip is derived again, since
 * the upstream stage may have been retried since.
 */
export function isReusable(record: StageRecord, fingerprint: string): boolean {
  if (record.fingerprint !== fingerprint || record.status === "failed") return false;
  return !(record.status === "skipped" && record.skip?.code.startsWith("upstream-"));
}

/** True when `record` of a sample in `outDir` stands: reusable for `fingerprint`, and the files it names still there. */
export function recordStands(outDir: string, sampleId: string, record: StageRecord, fingerprint: string): boolean {
  return isReusable(record, fingerprint) && !firstMissing(outputFilesOf(outDir, sampleId, record));
}

/**
 * Records a failure the stage function never saw end (its job stalled too often: the workers running it
 * died). Leaves an existing record of this fingerprint alone. Returns true when it wrote one.
 */
export async function recordLostJob(stage: AnyStage, p: JobPayload, reason: string): Promise<boolean> {
  // An unreadable record is replaced: the failure says why the stage has no result.
  const existing = await readStageRecord(p.outDir, p.sample.id, stage.name).catch((error: unknown) => {
    if (isRecordInvalid(error)) return undefined;
    throw error;
  });
  if (existing?.fingerprint === p.fingerprint) return false;
  const now = new Date();
  await writeStageRecord(p.outDir, p.sample.id, makeRecord(stage, p, "failed", now, { error: { code: "E_INTERNAL", message: reason }, fingerprint: p.fingerprint }));
  return true;
}

function makeRecord(
  stage: AnyStage,
  p: JobPayload,
  status: StageRecord["status"],
  startedAt: Date,
  extra: Partial<StageRecord> & { fingerprint: string },
): StageRecord {
  const finished = new Date();
  return {
    stage: stage.name,
    version: stage.version,
    status,
    options: p.options,
    provenance: {},
    startedAt: startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - startedAt.getTime(),
    attempt: 1,
    ...extra,
  };
}

/**
 * One line per stage execution (the stage function ran to an end), for audits and the resume tests. The
 * line is appended after the record is committed: a kill -9 between the two leaves that execution without
 * its line (its record stands, so a rerun does not redo it); no order of the two writes avoids both that
 * and a line for an execution whose record was lost.
 */
export const executionLogPath = (outDir: string): string => path.join(outDir, "executions.log");

const logStreams = new Map<string, WriteStream>();

/** Closes the execution logs this process has open (workers call it when they stop). */
export async function closeExecutionLogs(): Promise<void> {
  const streams = [...logStreams.values()];
  logStreams.clear();
  await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(resolve))));
}

async function logExecution(p: JobPayload, r: StageRecord): Promise<void> {
  const line = JSON.stringify({ sample: p.sample.id, stage: r.stage, status: r.status, attempt: r.attempt, ms: r.durationMs, pid: process.pid });
  const file = executionLogPath(p.outDir);
  let stream = logStreams.get(file);
  if (!stream) {
    // O_APPEND: each short line is one write, so processes sharing the log do not interleave.
    stream = createWriteStream(file, { flags: "a" });
    logStreams.set(file, stream);
  }
  const s = stream;
  await new Promise<void>((resolve, reject) => s.write(`${line}\n`, (error) => (error ? reject(error) : resolve())));
}

/**
 * Pure: a sample's status from its stage records. A skip whose code its stage lists in `partialSkips` (the
 * sample went on without that stage's output) is a note, not a reason: it leaves the status as it is.
 */
export function sampleStatusOf(
  stages: string[],
  records: Record<string, StageRecord | undefined>,
  partialSkips: Readonly<Record<string, readonly string[]>> = {},
): Pick<SampleRecord, "status" | "reasons" | "stages" | "notes"> {
  const reasons: SampleRecord["reasons"] = [];
  const notes: NonNullable<SampleRecord["notes"]> = [];
  const states: SampleRecord["stages"] = {};
  let status: SampleStatus = "done";
  const rank: Record<SampleStatus, number> = { done: 0, skipped: 1, filtered: 2, failed: 3 };
  const worsen = (s: SampleStatus): void => {
    if (rank[s] > rank[status]) status = s;
  };
  for (const name of stages) {
    const rec = records[name];
    states[name] = rec?.status ?? "missing";
    if (!rec) {
      reasons.push({ stage: name, code: "missing", message: `${name} left no record` });
      worsen("failed");
    } else if (rec.status === "failed") {
      reasons.push({ stage: name, code: rec.error?.code ?? "E_INTERNAL", message: rec.error?.message ?? "failed" });
      worsen("failed");
    } else if (rec.status === "skipped" && rec.skip && partialSkips[name]?.includes(rec.skip.code)) {
      notes.push({ stage: name, code: rec.skip.code, message: rec.skip.message });
    } else if (rec.status === "skipped" && rec.skip && !rec.skip.code.startsWith("upstream-")) {
      reasons.push({ stage: name, code: rec.skip.code, message: rec.skip.message });
      worsen(rec.skip.code === "filtered-out" ? "filtered" : "skipped");
    }
  }
  return { status, reasons, stages: states, ...(notes.length ? { notes } : {}) };
}

/** Pure: the pseudo-label (au-analyze's `pseu_emotion`) and final label (fine's `label`) of finished stages. */
export function labelsOf(records: Record<string, StageRecord | undefined>): NonNullable<SampleRecord["labels"]> {
  const read = (stage: string, key: string): string | undefined => {
    const rec = records[stage];
    const value = rec?.status === "done" ? (rec.output as Record<string, unknown> | undefined)?.[key] : undefined;
    return typeof value === "string" ? value : undefined;
  };
  const pseudo = read("au-analyze", "pseu_emotion");
  const final = read("fine", "label");
  return { ...(pseudo ? { pseudo } : {}), ...(final ? { final } : {}) };
}

/**
 * Pure: the tools the sample's face analysis ran with, from au-extract's provenance ({@link REUSED_CSV_TOOLS}
 * for a CSV reused from beside the clip; undefined when it did not run: no record, or not done).
 */
export function faceToolsOf(records: Record<string, StageRecord | undefined>): string | undefined {
  const rec = records["au-extract"];
  if (rec?.status !== "done") return undefined;
  const p = rec.provenance as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof p[k] === "string" || typeof p[k] === "number" ? String(p[k]) : undefined);
  if (str("reusedFrom") !== undefined) return REUSED_CSV_TOOLS;
  // OpenFace names no version, and its path differs between machines with the same build: not compared.
  if (str("extractor") === "openface") return "openface";
  if (str("extractor") !== "builtin") return undefined;
  // "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) ..." -> "ffmpeg 5.1.9-0+deb12u1"
  const ffmpeg = /ffmpeg version (\S+)/.exec(str("ffmpeg") ?? "")?.[1];
  return [
    `builtin v${str("version") ?? "?"}`,
    `human ${str("human") ?? "?"}`,
    `tfjs ${str("tfjs") ?? "?"}${str("backend") ? ` ${str("backend")}` : ""}`,
    ...(ffmpeg ? [`ffmpeg ${ffmpeg}`] : []),
  ].join(", ");
}

/** Pure: the transcript gate's rejection reason, when the transcript stage rejected the recognised text. */
export function transcriptRejectionOf(records: Record<string, StageRecord | undefined>): string | undefined {
  const rec = records["transcript"];
  if (rec?.status !== "done") return undefined;
  const gate = (rec.output as { gate?: { status?: unknown; reason?: unknown } } | undefined)?.gate;
  return gate?.status === "rejected" && typeof gate.reason === "string" ? gate.reason : undefined;
}

/** Pure: audio-tone's lip check verdict, when it ran. */
export function lipSyncOf(records: Record<string, StageRecord | undefined>): string | undefined {
  const rec = records["audio-tone"];
  if (rec?.status !== "done") return undefined;
  const verdict = (rec.output as { lipSync?: { verdict?: unknown } } | undefined)?.lipSync?.verdict;
  return typeof verdict === "string" ? verdict : undefined;
}

/**
 * A stage record for the sample status: an unreadable record counts as a failure of its stage with
 * E_RECORD_INVALID (the message names the file and the fix), so the sample says why instead of the
 * finalize job failing.
 */
async function readStageRecordOrFailure(outDir: string, sampleId: string, stage: string): Promise<StageRecord | undefined> {
  try {
    return await readStageRecord(outDir, sampleId, stage);
  } catch (error) {
    if (!isRecordInvalid(error)) throw error;
    const now = new Date().toISOString();
    return {
      stage, version: 0, status: "failed", error: { code: error.code, message: error.message }, fingerprint: "unreadable",
      provenance: {}, startedAt: now, finishedAt: now, durationMs: 0, attempt: 1,
    };
  }
}

/** The finalize step: writes `sample.json` from the stage records of the plan. */
export async function finalizeSample(p: JobPayload): Promise<SampleRecord> {
  const stages = p.stages ?? [];
  if (stages.length === 0) throw new MerrError("E_INPUT_INVALID", "finalize job without a stage list");
  const records: Record<string, StageRecord | undefined> = {};
  for (const name of stages) records[name] = await readStageRecordOrFailure(p.outDir, p.sample.id, name);
  const record: SampleRecord = {
    id: p.sample.id,
    sample: p.sample,
    ...sampleStatusOf(stages, records, p.partialSkips),
    labels: labelsOf(records),
    ...(transcriptRejectionOf(records) ? { transcriptRejected: transcriptRejectionOf(records) } : {}),
    ...(lipSyncOf(records) ? { lipSync: lipSyncOf(records) } : {}),
    ...(faceToolsOf(records) ? { faceTools: faceToolsOf(records) } : {}),
    files: stages.flatMap((name) => (records[name] ? outputFilesOf(p.outDir, p.sample.id, records[name]) : [])),
    pipeline: `${p.pipeline}@${p.fingerprint}`,
    finishedAt: new Date().toISOString(),
    ...(p.media ? { media: p.media } : {}),
    ...(p.beside && Object.keys(p.beside).length ? { beside: p.beside } : {}),
  };
  await writeSampleRecord(p.outDir, record);
  // Every stage has its record, so a temp file still here was left by a writer killed before its rename.
  const dir = sampleDir(p.outDir, p.sample.id);
  await removeStaleTemps([dir, path.join(dir, "stages")], STALE_TEMP_MS);
  return record;
}

/**
 * Finalize removes a sample's temp files not modified for this long. No stage of the sample is running
 * then; the age only spares a duplicate of a stalled job that is still writing (merr's writers write a
 * temp file at once, and ffmpeg's temp files and folders change as it writes). A killed worker's job is
 * taken over after BullMQ's 30 s stall check, so its temp file is older than this by the time the
 * retried stage has its record and the sample is finalized.
 */
const STALE_TEMP_MS = 20_000;
