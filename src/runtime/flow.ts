import { FlowProducer, type FlowJob, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { isRecordInvalid, readSampleRecord, type SampleRecord } from "../core/records.ts";
import { createRedis } from "../core/redis.ts";
import type { Sample } from "../core/types.ts";
import type { QueueSettings } from "./bull.ts";
import type { JobPayload } from "./execute.ts";
import { FINALIZE, type Plan } from "./plan.ts";

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
export function buildFlow(c: FlowContext, sample: Sample): FlowJob {
  const base = { runId: c.runId, outDir: c.outDir, pipeline: c.plan.pipeline, planFingerprint: c.plan.fingerprint, sample };
  const node = (name: string): FlowJob => {
    const s = c.plan.stages.get(name);
    if (!s) throw new Error(`plan has no stage ${name}`);
    const data: JobPayload = { ...base, stage: name, options: s.options, needs: s.needs, uses: s.uses };
    return {
      name,
      queueName: name,
      data,
      opts: {
        jobId: jobIdOf(c.runId, sample.id, name),
        attempts: s.attempts,
        backoff: { type: "exponential", delay: s.backoffMs },
        ignoreDependencyOnFailure: true,
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
      children: s.children.map(node),
    };
  };
  const data: JobPayload = { ...base, stage: FINALIZE, options: {}, needs: [], uses: [], stages: c.plan.order };
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
  /** Finished under the same plan in an earlier build: nothing to do. */
  alreadyDone: string[];
  /** Flows still in Redis from an earlier process (e.g. a killed build): left to finish. */
  inFlight: string[];
}

const IN_FLIGHT = new Set(["waiting", "waiting-children", "active", "delayed", "prioritized", "paused"]);

/** Adds the flows of samples that are neither finished on disk nor already in flight. */
export async function enqueueSamples(
  s: QueueSettings,
  c: FlowContext,
  samples: Sample[],
  finalizeQueue: Queue,
  onProgress?: (n: number) => void,
): Promise<EnqueueResult> {
  const result: EnqueueResult = { added: [], alreadyDone: [], inFlight: [] };
  const connection: Redis = createRedis(s.redis);
  const producer = new FlowProducer({ connection, prefix: s.prefix });
  try {
    let batch: FlowJob[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length) await producer.addBulk(batch);
      batch = [];
    };
    for (const sample of samples) {
      // An unreadable sample.json counts as unfinished: the flow reuses the stage records and finalize rewrites it.
      const rec: SampleRecord | undefined = await readSampleRecord(c.outDir, sample.id).catch((error: unknown) => {
        if (isRecordInvalid(error)) return undefined;
        throw error;
      });
      if (rec && rec.status !== "failed" && rec.pipeline === `${c.plan.pipeline}@${c.plan.fingerprint}`) {
        result.alreadyDone.push(sample.id);
        continue;
      }
      const rootId = jobIdOf(c.runId, sample.id, FINALIZE);
      const existing = await finalizeQueue.getJob(rootId);
      if (existing) {
        const state = await existing.getState();
        if (IN_FLIGHT.has(state)) {
          result.inFlight.push(sample.id);
          continue;
        }
        // Finished under another plan, or failed: replace the old flow (finished stages are reused from disk).
        await finalizeQueue.remove(rootId, { removeChildren: true });
      }
      batch.push(buildFlow(c, sample));
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
