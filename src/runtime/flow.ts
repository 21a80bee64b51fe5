import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { hashJson } from "../core/ids.ts";
import { readdirSync } from "node:fs";
import path from "node:path";
import { rm } from "node:fs/promises";
import { sampleDir } from "../core/paths.ts";
import {
  addFormerFingerprints, firstMissing, isRecordInvalid, readSampleRecord, readStageRecord, SampleSchema, stageRecordPath, writeSampleRecord, writeStageRecord, type SampleRecord, type StageRecord,
} from "../core/records.ts";
import { createRedis, type RedisTarget } from "../core/redis.ts";
import type { Sample } from "../core/types.ts";
import type { QueueSettings } from "./bull.ts";
import { recordStands, type JobPayload } from "./execute.ts";
import {
  legacyFingerprints, legacyMediaIdentity, mediaIdentities, sampleFileIdentities, sampleFingerprint, stageFingerprints, type MediaIdentity,
} from "./fingerprint.ts";
import { FINALIZE, type Plan } from "./plan.ts";
import { BACKOFF_JITTER, STAGE_BACKOFF } from "./retry.ts";

/**
 * DAG scheduling by successor enqueue (graphile-worker style), without a flow tree:
 *
 * - The build enqueues, per sample, the stages that must run and whose inputs all have valid records
 *   (a fresh sample: the stages that read no other stage).
 * - A worker that ends a stage job (done, skipped, reused, or failed for good) enqueues each successor
 *   whose inputs all have a record with the expected fingerprint; after the last stages, `finalize`.
 * - Job ids are `<runId>.<sampleId>.<stage>.<fingerprint>`: two inputs ending at once both add the
 *   successor and BullMQ keeps one; a redone job (the worker died after writing its record) adds the same
 *   ids again, which changes nothing. Records on disk are the source of truth; Redis holds work in flight.
 * - `finalize` writes `sample.json` and appends the sample id to the run's list of finished samples
 *   (`finalsKey`), which the build reads to know when every sample is final.
 */

/** Job id of one stage (or finalize) of one sample with one input fingerprint. */
export const jobIdOf = (runId: string, sampleId: string, stage: string, fingerprint: string): string =>
  `${runId}.${sampleId}.${stage}.${fingerprint}`;

/** Redis list of the samples finalize has finished in a run (appended by workers, read by the build). */
export const finalsKey = (prefix: string, runId: string): string => `${prefix}:run:${runId}:finals`;

const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 5000 };
const KEEP_FAILED = { age: 30 * 24 * 3600, count: 20000 };

/** What a worker needs of a plan to enqueue successors: stored once in Redis under {@link planKeyOf}. */
export interface PlanSpec {
  pipeline: string;
  order: string[];
  sinks: string[];
  stages: Record<string, { options: unknown; dataHash?: string; needs: string[]; uses: string[]; gates?: string[]; successors: string[]; attempts: number; backoffMs: number; partialSkips?: string[] }>;
}

export function planSpecOf(plan: Plan): PlanSpec {
  const stages: PlanSpec["stages"] = {};
  for (const name of plan.order) {
    const s = plan.stages.get(name);
    if (!s) throw new Error(`plan has no stage ${name}`);
    stages[name] = {
      options: s.options, ...(s.dataHash ? { dataHash: s.dataHash } : {}), needs: s.needs, uses: s.uses, gates: s.gates, successors: s.successors, attempts: s.attempts, backoffMs: s.backoffMs,
      ...(s.partialSkips.length ? { partialSkips: s.partialSkips } : {}),
    };
  }
  return { pipeline: plan.pipeline, order: plan.order, sinks: plan.sinks, stages };
}

/** Per stage, its skip codes after which the sample goes on (stages without any left out). */
const partialSkipsOf = (spec: PlanSpec): Record<string, string[]> =>
  Object.fromEntries(Object.entries(spec.stages).flatMap(([name, s]) => (s.partialSkips?.length ? [[name, s.partialSkips]] : [])));

export const planKeyOf = (prefix: string, spec: PlanSpec): string => `${prefix}:plan:${hashJson(spec)}`;

/** The stages whose records `stage` waits for (finalize: every stage). */
const inputsOf = (spec: PlanSpec, stage: string): string[] => {
  if (stage === FINALIZE) return spec.order;
  const s = spec.stages[stage];
  // `gates` is absent from plans stored by merr versions before pipeline gates (jobs still queued from them).
  return s ? [...s.needs, ...s.uses, ...(s.gates ?? [])] : [];
};

export interface NewJob {
  queue: string;
  name: string;
  data: JobPayload;
  opts: JobsOptions;
}

/** The job of `stage` (or finalize) for one sample. `from` carries the sample, its fingerprints and the run. */
export function jobOf(spec: PlanSpec, from: Pick<JobPayload, "runId" | "outDir" | "pipeline" | "sample" | "prints" | "planKey" | "media" | "beside">, stage: string): NewJob {
  // The identities of the clip and the files beside it travel with every job of the sample, for finalize
  // to record (sample.json `media`, `beside`).
  const base = {
    runId: from.runId, outDir: from.outDir, pipeline: from.pipeline, sample: from.sample, prints: from.prints, planKey: from.planKey,
    ...(from.media ? { media: from.media } : {}),
    ...(from.beside && Object.keys(from.beside).length ? { beside: from.beside } : {}),
  };
  if (stage === FINALIZE) {
    const fingerprint = sampleFingerprint(from.prints);
    return {
      queue: FINALIZE,
      name: FINALIZE,
      data: { ...base, stage: FINALIZE, fingerprint, options: {}, needs: [], uses: [], gates: [], stages: spec.order, partialSkips: partialSkipsOf(spec) },
      opts: {
        jobId: jobIdOf(from.runId, from.sample.id, FINALIZE, fingerprint),
        attempts: 3,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    };
  }
  const s = spec.stages[stage];
  const fingerprint = from.prints[stage];
  if (!s || !fingerprint) throw new Error(`plan has no stage ${stage}`);
  return {
    queue: stage,
    name: stage,
    data: { ...base, stage, fingerprint, options: s.options, ...(s.dataHash ? { dataHash: s.dataHash } : {}), needs: s.needs, uses: s.uses, gates: s.gates },
    opts: {
      jobId: jobIdOf(from.runId, from.sample.id, stage, fingerprint),
      attempts: s.attempts,
      // The worker's strategy (bull.ts, retry.ts): exponential, or longer when the server said when to come back.
      backoff: { type: STAGE_BACKOFF, delay: s.backoffMs, jitter: BACKOFF_JITTER },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    },
  };
}

/** Queue handles on one connection, for adding jobs; plans read from Redis once per process. */
export interface Scheduler {
  add(jobs: NewJob[]): Promise<void>;
  planSpec(key: string): Promise<PlanSpec>;
  queue(name: string): Queue;
  readonly redis: Redis;
  close(): Promise<void>;
}

/**
 * `onError` hears the queues' connection errors (a worker passes its connection log: one warning while
 * Redis is down). Without a listener BullMQ prints each reconnect attempt's error with its stack.
 */
export function createScheduler(redis: RedisTarget, prefix: string, onError: (error: Error) => void = () => undefined): Scheduler {
  const connection = createRedis(redis);
  const queues = new Map<string, Queue>();
  const plans = new Map<string, Promise<PlanSpec>>();
  const queue = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      q.on("error", onError);
      queues.set(name, q);
    }
    return q;
  };
  return {
    redis: connection,
    queue,
    async add(jobs) {
      const byQueue = new Map<string, NewJob[]>();
      for (const j of jobs) byQueue.set(j.queue, [...(byQueue.get(j.queue) ?? []), j]);
      await Promise.all([...byQueue].map(([name, js]) => queue(name).addBulk(js.map(({ name: n, data, opts }) => ({ name: n, data, opts })))));
    },
    planSpec(key) {
      let p = plans.get(key);
      if (!p) {
        p = connection.get(key).then((raw) => {
          if (!raw) throw new Error(`plan ${key} is not in Redis (was the run's Redis flushed?)`);
          return JSON.parse(raw) as PlanSpec;
        });
        p.catch(() => plans.delete(key));
        plans.set(key, p);
      }
      return p;
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      await connection.quit().catch(() => undefined);
    },
  };
}

/**
 * Called when a stage job of `p` has ended for good (its record is written): enqueues each successor
 * (finalize after the last stages) whose inputs all have a record with the expected fingerprint.
 * Returns the stages enqueued.
 */
export async function enqueueSuccessors(scheduler: Scheduler, p: JobPayload): Promise<string[]> {
  const spec = await scheduler.planSpec(p.planKey);
  if (!spec.stages[p.stage]) return [];
  const ready: string[] = [];
  const seen = new Set<string>();
  // A successor whose record already stands (a resumed build redoes one stage, e.g. a deleted audio.wav's)
  // is not queued again: its old job may still be in Redis as completed, which would swallow the add and
  // leave the sample unfinished. The walk goes on past it to the stages (and finalize) after it.
  const walk = [p.stage];
  while (walk.length) {
    const from = walk.pop() as string;
    const own = spec.stages[from];
    if (!own) continue;
    for (const stage of [...own.successors, ...(spec.sinks.includes(from) ? [FINALIZE] : [])]) {
      if (seen.has(stage)) continue;
      let all = true;
      for (const input of inputsOf(spec, stage)) {
        // An unreadable record counts as there: the successor then fails with E_RECORD_INVALID naming the file.
        const rec = await readStageRecord(p.outDir, p.sample.id, input).catch((error: unknown) => {
          if (isRecordInvalid(error)) return "unreadable" as const;
          throw error;
        });
        if (rec === "unreadable") continue;
        if (!rec || rec.fingerprint !== p.prints[input]) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      seen.add(stage);
      if (stage !== FINALIZE && (await stands(p, stage))) walk.push(stage);
      else ready.push(stage);
    }
  }
  if (ready.length) await scheduler.add(ready.map((stage) => jobOf(spec, p, stage)));
  return ready;
}

/** True when `stage` has a record that stands for this job's inputs (recordStands). */
async function stands(p: JobPayload, stage: string): Promise<boolean> {
  const rec = await readStageRecord(p.outDir, p.sample.id, stage).catch(() => undefined);
  return rec !== undefined && recordStands(p.outDir, p.sample.id, rec, p.prints[stage] as string);
}

export interface FlowContext {
  runId: string;
  outDir: string;
  plan: Plan;
}

export interface EnqueueResult {
  added: string[];
  /** Finished with the same input fingerprints in an earlier build: nothing to do. */
  alreadyDone: string[];
  /** Samples with jobs still in Redis from an earlier process (e.g. a killed build): left to finish. */
  inFlight: string[];
  /** Of `added`: samples that had finished in an earlier build with other inputs or options. */
  changed: string[];
  /** Of `added`: samples that failed in an earlier build (their failed stages are tried again). */
  retried: string[];
  /**
   * Of `added`: samples finished with these inputs whose entry changed only where no stage reads it (the
   * clip moved to another path, the source's name): only their `sample.json` is written again.
   */
  moved: string[];
  /** Samples whose records an earlier merr made (media keyed by path and mtime too) and this build took over. */
  takenOver: number;
  /** Per stage, how many of the samples to do have no valid record of it: the stage jobs that will run. */
  toRun: Record<string, number>;
  /** Each sample's fingerprint (what its `sample.json` will record). */
  fingerprints: Map<string, string>;
}

const BATCH = 100;

/** The identities a build read for a sample: its clip's, and those of the files beside it, by path. */
interface Identity {
  media: MediaIdentity;
  beside: Record<string, NonNullable<MediaIdentity>>;
}

/** An identity as sample.json records it (`media`, `beside`). */
const recorded = (identity: Identity): Pick<SampleRecord, "media" | "beside"> => ({
  ...(identity.media ? { media: identity.media } : {}),
  ...(Object.keys(identity.beside).length ? { beside: identity.beside } : {}),
});

/** True when sample.json records other mtimes than these identities (same content, or the fingerprints would differ). */
const retouched = (rec: SampleRecord, identity: Identity): boolean =>
  (identity.media !== null && rec.media !== undefined && rec.media.mtimeMs !== identity.media.mtimeMs) ||
  Object.entries(identity.beside).some(([file, id]) => rec.beside?.[file] !== undefined && rec.beside[file]!.mtimeMs !== id.mtimeMs);

interface Todo {
  sample: Sample;
  identity: Identity;
  prints: Record<string, string>;
  /** Stages with a record that stands for these inputs (recordStands). */
  valid: Set<string>;
  /** Of `valid`, the stages whose record is a skip for their own reason: the stages that need them are skipped again. */
  skips: Set<string>;
  /** Stages whose record has these inputs' fingerprint but does not stand: a failure, an upstream skip, or a result whose files are gone. */
  stale: string[];
  toRun: string[];
  /** The sample had finished in an earlier build with other inputs or options. */
  changed: boolean;
  /** The sample failed in an earlier build. */
  retried: boolean;
  /** The sample had finished with these inputs under another entry (moved clip): finalize writes it again. */
  moved: boolean;
}

/**
 * True when the sample's folder holds a record of every stage: one deleted since the sample finished (as
 * the fix for an unreadable record says to) is made again by its stage, also when sample.json is intact.
 */
function hasEveryRecord(outDir: string, sampleId: string, stages: readonly string[]): boolean {
  let names: string[];
  try {
    names = readdirSync(path.join(sampleDir(outDir, sampleId), "stages"));
  } catch {
    return false;
  }
  const present = new Set(names);
  return stages.every((stage) => present.has(`${stage}.json`));
}

/** A sample's entry as sample.json records it (parsed: absent fields left out), with its keys in one order. */
const entryKey = (sample: Sample): string => {
  const fields = Object.entries(SampleSchema.parse(sample)).filter(([, v]) => v !== undefined);
  return JSON.stringify(fields.sort(([a], [b]) => (a < b ? -1 : 1)));
};

/**
 * Taking over the records an earlier merr made when it keyed the clip by its path and mtime too
 * (fingerprint.ts): a stage record whose fingerprint is what these inputs gave then is rewritten with
 * today's fingerprint, the old one noted in `former.json` (what reviews were made on), and a
 * `sample.json` of such a build takes today's sample fingerprint. Nothing is redone for the change of
 * scheme. Only records without `dir` (which this merr writes into every record) can be such records, so a
 * run made by this merr costs nothing here; the old fingerprints are computed once per sample, when needed.
 */
interface TakeOver {
  /** `sr` as it stands for today's fingerprint: taken over (and rewritten) when an earlier merr made it from these inputs. */
  record(stage: string, sr: StageRecord | undefined): Promise<StageRecord | undefined>;
  /** sample.json of a build by an earlier merr with these inputs, taken over with every stage record; else as it is. */
  sampleRecord(rec: SampleRecord | undefined): Promise<SampleRecord | undefined>;
  /** True once a record of the sample was taken over. */
  readonly taken: boolean;
}

function takeOverFor(outDir: string, plan: Plan, sample: Sample, identity: Identity, prints: Record<string, string>): TakeOver {
  let legacy: Promise<Record<string, string>> | undefined;
  const old = (): Promise<Record<string, string>> => (legacy ??= legacyMediaIdentity(sample.path).then((media) => legacyFingerprints(plan, sample, media)));
  let taken = false;
  const record = async (stage: string, sr: StageRecord | undefined): Promise<StageRecord | undefined> => {
    const now = prints[stage] as string;
    if (sr === undefined || sr.dir !== undefined || sr.fingerprint === now || sr.fingerprint !== (await old())[stage]) return sr;
    const over: StageRecord = { ...sr, fingerprint: now };
    await addFormerFingerprints(outDir, sample.id, { [stage]: { fingerprint: now, former: sr.fingerprint } });
    await writeStageRecord(outDir, sample.id, over);
    taken = true;
    return over;
  };
  return {
    record,
    async sampleRecord(rec) {
      if (rec === undefined || rec.dir !== undefined || rec.pipeline !== `${plan.pipeline}@${sampleFingerprint(await old())}`) return rec;
      for (const stage of plan.order) await record(stage, await readStageRecordOrNone(outDir, sample.id, stage));
      const over = { ...rec, pipeline: `${plan.pipeline}@${sampleFingerprint(prints)}`, ...recorded(identity) };
      await writeSampleRecord(outDir, over);
      taken = true;
      return over;
    },
    get taken() {
      return taken;
    },
  };
}

/** A stage record, or undefined when there is none or it cannot be read (its own stage redoes it). */
const readStageRecordOrNone = (outDir: string, sampleId: string, stage: string): Promise<StageRecord | undefined> =>
  readStageRecord(outDir, sampleId, stage).catch((error: unknown) => {
    if (isRecordInvalid(error)) return undefined;
    throw error;
  });

/**
 * Which stages of a sample have a record that stands (`valid`) and which a stale one of the same inputs.
 * A record made while a stage it uses had failed does not stand (earlier merr versions ran such stages
 * without the failed clue; now they are skipped as upstream-failed): it is made again after that stage's retry.
 */
async function recordStates(
  outDir: string, spec: PlanSpec, sampleId: string, prints: Record<string, string>, takeOver?: TakeOver,
): Promise<{ valid: Set<string>; skips: Set<string>; stale: string[] }> {
  const valid = new Set<string>();
  const skips = new Set<string>();
  const failed = new Set<string>();
  const stale: string[] = [];
  for (const stage of spec.order) {
    const read = await readStageRecordOrNone(outDir, sampleId, stage);
    const sr = takeOver ? await takeOver.record(stage, read) : read;
    if (sr?.status === "failed") failed.add(stage);
    const withoutFailed = (spec.stages[stage]?.uses ?? []).some((u) => failed.has(u));
    if (sr && !withoutFailed && recordStands(outDir, sampleId, sr, prints[stage] as string)) {
      valid.add(stage);
      if (sr.status === "skipped") skips.add(stage);
    } else if (sr && sr.fingerprint === prints[stage]) stale.push(stage);
  }
  return { valid, skips, stale };
}

/**
 * Enqueues the work of every sample that is not finished on disk with the same fingerprints: per sample,
 * the stages to run whose inputs all have valid records (finalize when every record is valid). Jobs of
 * these stages left finished in Redis by an earlier build are removed first, so that they can run again.
 * The media identities (the clip's, and those of files beside it that a stage reads) are read here, once per
 * build, so every job of a sample sees the same.
 */
export async function enqueueSamples(s: QueueSettings, c: FlowContext, samples: Sample[]): Promise<EnqueueResult> {
  const result: EnqueueResult = {
    added: [], alreadyDone: [], inFlight: [], changed: [], retried: [], moved: [], takenOver: 0,
    toRun: Object.fromEntries(c.plan.order.map((n) => [n, 0])), fingerprints: new Map(),
  };
  const spec = planSpecOf(c.plan);
  const scheduler = createScheduler(s.redis, s.prefix);
  try {
    const planKey = planKeyOf(s.prefix, spec);
    await scheduler.redis.set(planKey, JSON.stringify(spec));
    for (let start = 0; start < samples.length; start += BATCH) {
      const todo: Todo[] = [];
      const batch = samples.slice(start, start + BATCH);
      // An unreadable sample.json counts as unfinished: finalize rewrites it.
      const recs: Array<SampleRecord | undefined> = [];
      for (const sample of batch) {
        recs.push(
          await readSampleRecord(c.outDir, sample.id).catch((error: unknown) => {
            if (isRecordInvalid(error)) return undefined;
            throw error;
          }),
        );
      }
      // The identities of the clips and the files beside them; one whose size and mtime are those its
      // sample.json records is not read again.
      const same = (k: number): SampleRecord | undefined => (recs[k]?.sample.path === batch[k]!.path ? recs[k] : undefined);
      const identities = await mediaIdentities(batch.map((x) => x.path), 16, batch.map((_, k) => same(k)?.media ?? null));
      const besides = await sampleFileIdentities(c.plan, batch, (k, file) => same(k)?.beside?.[file]);
      for (const [k, sample] of batch.entries()) {
        const identity: Identity = { media: identities[k] ?? null, beside: besides[k]!.byPath };
        const prints = stageFingerprints(c.plan, sample, identity.media, besides[k]!.byStage);
        const fingerprint = sampleFingerprint(prints);
        result.fingerprints.set(sample.id, fingerprint);
        const takeOver = takeOverFor(c.outDir, c.plan, sample, identity, prints);
        const rec = await takeOver.sampleRecord(recs[k]);
        // Finished with these inputs, and the files its records name are still there (a deleted audio.wav
        // or peak.jpg is made again: below, its stage's record does not stand without it).
        const finished = rec !== undefined && rec.status !== "failed" && rec.pipeline === `${c.plan.pipeline}@${fingerprint}`;
        // A sample marked skipped for a part it went on without (merr before partial skips) is finalized again.
        const restated = rec?.status === "skipped" && rec.reasons.some((r) => spec.stages[r.stage]?.partialSkips?.includes(r.code));
        // A finished sample whose entry changed where no stage reads it (a clip moved to another path) is only
        // finalized again, for its sample.json to name the clip where it is now.
        const moved = rec !== undefined && finished && entryKey(rec.sample) !== entryKey(sample);
        if (rec !== undefined && finished && !restated && !moved && !firstMissing(rec.files ?? []) && hasEveryRecord(c.outDir, sample.id, c.plan.order)) {
          if (takeOver.taken) result.takenOver++;
          // A touched clip or CSV (same content, another mtime): its recorded identity is brought up to date,
          // or every later build would read the whole file again.
          if (retouched(rec, identity)) await writeSampleRecord(c.outDir, { ...rec, ...recorded(identity) });
          result.alreadyDone.push(sample.id);
          continue;
        }
        const { valid, skips, stale } = await recordStates(c.outDir, spec, sample.id, prints, takeOver);
        if (takeOver.taken) result.takenOver++;
        const toRun = c.plan.order.filter((n) => !valid.has(n));
        // A sample that failed is retried, and one whose files are gone is unfinished: only a finished one
        // with other inputs has changed.
        todo.push({
          sample, identity, prints, valid, skips, stale, toRun,
          changed: rec !== undefined && rec.status !== "failed" && rec.pipeline !== `${c.plan.pipeline}@${fingerprint}`,
          retried: rec?.status === "failed",
          moved,
        });
      }
      const from = (t: Todo) => ({ runId: c.runId, outDir: c.outDir, pipeline: c.plan.pipeline, sample: t.sample, prints: t.prints, planKey, ...t.identity });
      // Jobs of these stages left in Redis by an earlier build: one round trip for the whole batch.
      const probes = todo.flatMap((t) => [...t.toRun, FINALIZE].map((stage) => ({ t, stage, job: jobOf(spec, from(t), stage) })));
      const exists = probes.length
        ? ((await scheduler.redis.pipeline(probes.map((p) => ["exists", `${s.prefix}:${p.job.queue}:${p.job.opts.jobId}`])).exec()) ?? [])
        : [];
      const active = new Set<string>();
      const touched = new Set<Todo>();
      for (const [i, probe] of probes.entries()) {
        if (exists[i]?.[1] !== 1) continue;
        touched.add(probe.t);
        const job = await scheduler.queue(probe.job.queue).getJob(probe.job.opts.jobId as string);
        const state = job ? await job.getState() : "unknown";
        // A job a worker holds right now is left to finish. Any other (waiting, delayed, finished) was
        // queued by an earlier build when its inputs looked settled: it may be premature now (an input is
        // about to be redone), so it goes, and the stage is queued again when its inputs have records.
        if (state === "active" || !job) {
          active.add(`${probe.t.sample.id}/${probe.stage}`);
          continue;
        }
        await job.remove().catch(() => active.add(`${probe.t.sample.id}/${probe.stage}`));
      }
      for (const t of todo) {
        // A record with this build's fingerprint that does not stand (a failure, an upstream skip, a result
        // whose files are gone) is redone, and until then it must not count as settled, or a successor
        // would run before it.
        for (const stage of t.stale) if (!active.has(`${t.sample.id}/${stage}`)) await rm(stageRecordPath(c.outDir, t.sample.id, stage), { force: true });
        // Workers of an earlier build may have moved the sample on meanwhile: read its records again.
        if (touched.has(t)) Object.assign(t, await recordStates(c.outDir, spec, t.sample.id, t.prints));
        // A stage after a standing skip of a stage it needs (a clip the AU rules filtered, one without a
        // face) is skipped again, not run: it is no job to count. One after a failure may run once the
        // failed stage is retried.
        const skippedAgain = new Set<string>();
        for (const n of c.plan.order) {
          if (t.valid.has(n)) continue;
          const st = spec.stages[n]!;
          if ([...st.needs, ...(st.gates ?? [])].some((d) => t.skips.has(d) || skippedAgain.has(d))) skippedAgain.add(n);
          else result.toRun[n] = (result.toRun[n] ?? 0) + 1;
        }
      }
      const frontier = (t: Todo): string[] => {
        const f = c.plan.order.filter((n) => !t.valid.has(n) && inputsOf(spec, n).every((d) => t.valid.has(d)));
        return f.length ? f : t.valid.size === c.plan.order.length ? [FINALIZE] : [];
      };
      await scheduler.add(todo.flatMap((t) => frontier(t).map((stage) => jobOf(spec, from(t), stage))));
      for (const t of todo) {
        const inFlight = [...t.toRun, FINALIZE].some((stage) => active.has(`${t.sample.id}/${stage}`));
        if (inFlight) result.inFlight.push(t.sample.id);
        else {
          result.added.push(t.sample.id);
          if (t.changed) result.changed.push(t.sample.id);
          if (t.retried) result.retried.push(t.sample.id);
          if (t.moved) result.moved.push(t.sample.id);
        }
      }
    }
  } finally {
    await scheduler.close();
  }
  return result;
}
