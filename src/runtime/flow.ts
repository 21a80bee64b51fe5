import { FlowProducer, type FlowJob, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { readSampleRecord, readStageRecord } from "../core/records.ts";
import { createRedis } from "../core/redis.ts";
import type { Sample } from "../core/types.ts";
import type { QueueSettings } from "./bull.ts";
import { isReusable, type JobPayload } from "./execute.ts";
import { mediaIdentities, sampleFingerprint, stageFingerprints } from "./fingerprint.ts";
import { FINALIZE, type Plan } from "./plan.ts";
import { BACKOFF_JITTER } from "./retry.ts";

/** Job id of one stage of one sample in one run: re-adding the same flow never duplicates work. */
export const jobIdOf = (runId: string, sampleId: string, stage: string): string => `${runId}.${sampleId}.${stage}`;

const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 5000 };
const KEEP_FAILED = { age: 30 * 24 * 3600, count: 20000 };

export interface FlowContext {
  runId: string;
  outDir: string;
  plan: Plan;
}

/**
 * One flow per sample: `finalize` at the root, each stage below the stages that read it. Every child has
 * `ignoreDependencyOnFailure`: a failed child never leaves its parent waiting forever; the parent runs,
 * sees the failure in the records and is skipped as `upstream-failed`, so every sample reaches finalize.
 */
export function buildFlow(c: FlowContext, sample: Sample, prints: Record<string, string>): FlowJob {
  const base = { runId: c.runId, outDir: c.outDir, pipeline: c.plan.pipeline, sample };
  const node = (name: string): FlowJob => {
    const s = c.plan.stages.get(name);
    if (!s) throw new Error(`plan has no stage ${name}`);
    const fingerprint = prints[name];
    if (!fingerprint) throw new Error(`no fingerprint for stage ${name}`);
    const data: JobPayload = { ...base, fingerprint, stage: name, options: s.options, needs: s.needs, uses: s.uses };
    return {
      name,
      queueName: name,
      data,
      opts: {
        jobId: jobIdOf(c.runId, sample.id, name),
        attempts: s.attempts,
        backoff: { type: "exponential", delay: s.backoffMs, jitter: BACKOFF_JITTER },
        ignoreDependencyOnFailure: true,
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
      children: s.children.map(node),
    };
  };
  const data: JobPayload = { ...base, fingerprint: sampleFingerprint(prints), stage: FINALIZE, options: {}, needs: [], uses: [], stages: c.plan.order };
  return {
    name: FINALIZE,
    queueName: FINALIZE,
    data,
    opts: { jobId: jobIdOf(c.runId, sample.id, FINALIZE), attempts: 3, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    children: c.plan.roots.map(node),
  };
}

export interface EnqueueResult {
  added: string[];
  /** Finished with the same input fingerprints in an earlier build: nothing to do. */
  alreadyDone: string[];
  /** Flows still in Redis from an earlier process (e.g. a killed build): left to finish. */
  inFlight: string[];
  /** Added samples that had finished in an earlier build with other inputs or options. */
  changed: string[];
  /** Per stage, how many of the added samples have no valid record of it: the stage jobs that will run. */
  toRun: Record<string, number>;
  /** Each sample's fingerprint (what its `sample.json` will record). */
  fingerprints: Map<string, string>;
}

const IN_FLIGHT = new Set(["waiting", "waiting-children", "active", "delayed", "prioritized", "paused"]);

/**
 * Adds the flows of samples that are neither finished on disk with the same fingerprints nor already in
 * flight. The media identities are read here, once per build, so every job of a sample sees the same.
 */
export async function enqueueSamples(
  s: QueueSettings,
  c: FlowContext,
  samples: Sample[],
  finalizeQueue: Queue,
  onProgress?: (n: number) => void,
): Promise<EnqueueResult> {
  const result: EnqueueResult = { added: [], alreadyDone: [], inFlight: [], changed: [], toRun: Object.fromEntries(c.plan.order.map((n) => [n, 0])), fingerprints: new Map() };
  const identities = await mediaIdentities(samples.map((x) => x.path));
  const connection: Redis = createRedis(s.redis);
  const producer = new FlowProducer({ connection, prefix: s.prefix });
  try {
    let batch: FlowJob[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length) await producer.addBulk(batch);
      batch = [];
    };
    for (const [i, sample] of samples.entries()) {
      const prints = stageFingerprints(c.plan, sample, identities[i] ?? null);
      const fingerprint = sampleFingerprint(prints);
      result.fingerprints.set(sample.id, fingerprint);
      const rec = await readSampleRecord(c.outDir, sample.id);
      if (rec && rec.status !== "failed" && rec.pipeline === `${c.plan.pipeline}@${fingerprint}`) {
        result.alreadyDone.push(sample.id);
        continue;
      }
      const rootId = jobIdOf(c.runId, sample.id, FINALIZE);
      const existing = await finalizeQueue.getJob(rootId);
      if (existing) {
        const state = await existing.getState();
        if (IN_FLIGHT.has(state)) {
          const same = (existing.data as JobPayload).fingerprint === fingerprint;
          // A flow enqueued with other inputs is replaced when nothing of it runs; else it finishes and
          // the next build redoes what changed.
          if (same || !(await removeFlow(finalizeQueue, rootId))) {
            result.inFlight.push(sample.id);
            continue;
          }
        } else {
          // Finished with other inputs, or failed: replace the old flow (valid records are reused from disk).
          await finalizeQueue.remove(rootId, { removeChildren: true });
        }
      }
      if (rec) result.changed.push(sample.id);
      for (const stage of c.plan.order) {
        const sr = await readStageRecord(c.outDir, sample.id, stage);
        if (!sr || !isReusable(sr, prints[stage] as string)) result.toRun[stage] = (result.toRun[stage] ?? 0) + 1;
      }
      batch.push(buildFlow(c, sample, prints));
      result.added.push(sample.id);
      if (batch.length >= 100) await flush();
      onProgress?.(result.added.length + result.alreadyDone.length + result.inFlight.length);
    }
    await flush();
  } finally {
    await producer.close();
    await connection.quit().catch(() => undefined);
  }
  return result;
}

/** Removes a flow that is in flight; false when one of its jobs is running (BullMQ refuses, the job holds a lock). */
async function removeFlow(queue: Queue, rootId: string): Promise<boolean> {
  try {
    // 0 when the job or one of its children is locked (BullMQ checks the whole tree before removing).
    return (await queue.remove(rootId, { removeChildren: true })) === 1;
  } catch {
    // BullMQ throws when a job of the flow is locked by a worker: the flow stays and finishes.
    return false;
  }
}
