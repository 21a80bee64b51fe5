import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { coerceError, MerrError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { createRedis, type RedisTarget } from "../core/redis.ts";
import { createConnectionLog } from "./connection-log.ts";
import type { AnyStage } from "../stages/_stage.ts";
import type { ResourcePool } from "./context.ts";
import { closeExecutionLogs, executeStageJob, finalizeSample, recordLostJob, type JobPayload } from "./execute.ts";
import { createScheduler, enqueueSuccessors, finalsKey } from "./flow.ts";
import { runFolderHolds } from "./manifest.ts";
import { FINALIZE } from "./plan.ts";
import { counterOf } from "./progress.ts";
import { isFinalFailure, retryDelayMs } from "./retry.ts";

/** The only module (with flow.ts) that speaks BullMQ. */

export interface QueueSettings {
  redis: RedisTarget;
  /** BullMQ key prefix; separate prefixes are separate worlds on one Redis. @defaultValue "merr" */
  prefix: string;
}

/** Redis hash of live per-stage counters of a run: fields `<stage>:<done|skipped|failed|reused>`. */
export const countersKey = (prefix: string, runId: string): string => `${prefix}:run:${runId}:counts`;

export interface StageWorkersOptions extends QueueSettings {
  /** Stage implementations by name (the registry), for the queues this process serves. */
  stages: Map<string, AnyStage>;
  /** Which queues to serve, with how many jobs at a time each. `finalize` is served when listed. */
  queues: Array<{ name: string; concurrency: number; rateLimit?: { max: number; durationMs: number } }>;
  logger: Logger;
  resources: ResourcePool;
  settings: Record<string, unknown>;
  /** Lock of an active job; a job whose worker died is retried after about this long. @defaultValue 15000 */
  lockDurationMs?: number;
  /** @defaultValue 5000 */
  stalledIntervalMs?: number;
}

export interface StageWorkers {
  workers: Worker[];
  /** Waits for active jobs to end, then closes every worker and connection. */
  close(): Promise<void>;
}

export function createStageWorkers(o: StageWorkersOptions): StageWorkers {
  const connectionLog = createConnectionLog(o.logger, "worker");
  const counters: Redis = createRedis(o.redis);
  counters.on("error", (error) => connectionLog.error(error));
  counters.on("ready", () => connectionLog.ready());
  // Adds the successors of finished jobs (see flow.ts).
  const scheduler = createScheduler(o.redis, o.prefix, (error) => connectionLog.error(error));
  scheduler.redis.on("ready", () => connectionLog.ready());
  const workers: Worker[] = [];
  const connections: Redis[] = [];
  for (const q of o.queues) {
    const stage = q.name === FINALIZE ? undefined : o.stages.get(q.name);
    if (q.name !== FINALIZE && !stage) throw new Error(`no stage named ${q.name} in the registry`);
    const logger = o.logger.child({ stage: q.name });
    const processor = async (job: Job<JobPayload>, _token?: string, signal?: AbortSignal): Promise<unknown> => {
      const p = job.data;
      // A job of a run folder that has moved (or gone) since an earlier build queued it: dropped, writing
      // nothing (its records would make the old place again); the build in the new place queues its own.
      if (!runFolderHolds(p.outDir, p.runId)) {
        throw new UnrecoverableError(`[E_INPUT_INVALID] ${p.outDir} no longer holds run ${p.runId} (moved or deleted): this job of an earlier build is dropped`);
      }
      const key = countersKey(o.prefix, p.runId);
      if (!stage) {
        try {
          const rec = await finalizeSample(p);
          await counters.hincrby(key, `${FINALIZE}:${rec.status}`, 1);
          await counters.rpush(finalsKey(o.prefix, p.runId), p.sample.id);
          return { status: rec.status };
        } catch (error) {
          // Final either way for the build, which would otherwise wait for this sample forever; the
          // summary then reports it without a sample.json.
          const err = coerceError(error);
          if (isFinalFailure(err, job.attemptsMade + 1, job.opts.attempts ?? 1)) await counters.rpush(finalsKey(o.prefix, p.runId), p.sample.id);
          throw err;
        }
      }
      const attempts = job.opts.attempts ?? 1;
      const attempt = job.attemptsMade + 1;
      const jobLogger = logger.child({ runId: p.runId, sample: p.sample.id, jobId: job.id, attempt });
      const started = Date.now();
      let res: Awaited<ReturnType<typeof executeStageJob>>;
      try {
        res = await executeStageJob(stage, p, {
          logger: jobLogger,
          signal: signal ?? new AbortController().signal,
          resources: o.resources,
          settings: o.settings,
          attempt,
          attempts,
          onProgress: (pct) => {
            void job.updateProgress(Math.round(pct)).catch(() => undefined);
          },
        });
      } catch (error) {
        const err = coerceError(error);
        const final = isFinalFailure(err, attempt, attempts);
        jobLogger[final ? "error" : "warn"]({ code: err.code, err: err.message, final }, final ? "stage failed" : "stage failed, will retry");
        if (final) {
          await counters.hincrby(key, `${stage.name}:failed`, 1).catch(() => undefined);
          // The failure is recorded: successors run and record it as their upstream's (upstream-failed).
          // If this cannot reach Redis, the "failed" handler below tries again.
          await enqueueSuccessors(scheduler, p).catch((e: unknown) => jobLogger.warn({ err: String(e) }, "could not enqueue successors"));
        }
        // A final failure must not be tried again (permanent, or its class's tries are used up).
        if (final && attempt < attempts) throw new UnrecoverableError(err.message);
        throw err;
      }
      await counters.hincrby(key, `${stage.name}:${counterOf(res)}`, 1);
      try {
        await enqueueSuccessors(scheduler, p);
      } catch (error) {
        // The record is written: a retry reuses it and enqueues the successors again.
        throw new MerrError("E_REDIS_UNAVAILABLE", `${stage.name}: could not enqueue the stages that read it: ${coerceError(error).message}`, { cause: error });
      }
      if (res.executed) jobLogger.info({ status: res.record.status, ms: Date.now() - started }, "stage finished");
      // The return value is stored in Redis and shown by the dashboard: the stage's small JSON output
      // (media travels as paths). The record on disk stays the source of truth.
      return { status: res.record.status, output: res.record.output, skip: res.record.skip, executed: res.executed };
    };
    const connection = createRedis(o.redis);
    connection.on("ready", () => connectionLog.ready());
    connections.push(connection);
    const worker = new Worker<JobPayload>(q.name, processor, {
      connection,
      prefix: o.prefix,
      concurrency: q.concurrency,
      limiter: q.rateLimit ? { max: q.rateLimit.max, duration: q.rateLimit.durationMs } : undefined,
      lockDuration: o.lockDurationMs ?? 15_000,
      stalledInterval: o.stalledIntervalMs ?? 5_000,
      maxStalledCount: 2,
      autorun: true,
      // Stage jobs back off with STAGE_BACKOFF: BullMQ passes the error the processor threw, whose
      // details carry a server's Retry-After beyond what the model call waited out itself.
      settings: {
        backoffStrategy: (attemptsMade, _type, error, job) => {
          const backoff = job?.opts.backoff;
          return retryDelayMs(attemptsMade, typeof backoff === "object" ? backoff : { delay: backoff ?? 0 }, error);
        },
      },
    });
    worker.on("error", (error) => connectionLog.error(error));
    if (stage) {
      // A job that stalled too often (its workers died) fails without the processor seeing it: record the
      // loss and move the sample on, or its successors would wait forever.
      worker.on("failed", (job, error) => {
        if (!job) return;
        void (async () => {
          if ((await job.getState()) !== "failed" || !runFolderHolds(job.data.outDir, job.data.runId)) return;
          await recordLostJob(stage, job.data, `[E_INTERNAL] ${error.message}`);
          // Also when the processor failed after the record (e.g. adding successors): adding them twice is harmless.
          await enqueueSuccessors(scheduler, job.data);
        })().catch((e: unknown) => logger.error({ err: String(e) }, "could not record a lost job"));
      });
    }
    workers.push(worker);
  }
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      // BullMQ leaves connections it was given open: they are ours to close.
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      await scheduler.close();
      await counters.quit().catch(() => undefined);
      await closeExecutionLogs();
    },
  };
}

/** Opens a Queue handle per name (for the dashboard, status and enqueueing); close them with closeQueues. */
const queueConnections = new WeakMap<Queue, Redis>();

export function openQueues(s: QueueSettings, names: string[], logger?: Logger): Map<string, Queue> {
  // Without a listener BullMQ prints every connection error of a queue (thousands once Redis is gone).
  const connectionLog = createConnectionLog(logger, "queue");
  return new Map(
    names.map((n) => {
      const connection = createRedis(s.redis);
      connection.on("ready", () => connectionLog.ready());
      const queue = new Queue(n, { connection, prefix: s.prefix });
      queue.on("error", (error) => connectionLog.error(error));
      queueConnections.set(queue, connection);
      return [n, queue];
    }),
  );
}

export async function closeQueues(queues: Map<string, Queue>): Promise<void> {
  await Promise.all(
    [...queues.values()].map(async (q) => {
      await q.close();
      await queueConnections.get(q)?.quit().catch(() => undefined);
    }),
  );
}

/**
 * What a waiting build watches on its queues. Without workers of its own (`merr build --no-workers`): the
 * queues holding work that no worker serves. A worker on another prefix, or none of the profile a stage needs
 * (no `gpu` worker for the model stages), left such a build waiting without a word. BullMQ names each worker's
 * connection after its queue (CLIENT SETNAME), and `Queue.getWorkersCount` reads them with CLIENT LIST; a
 * Redis that refuses CLIENT LIST (some managed services) ends that part. Every build: whether any of its work
 * is still in Redis at all (a Redis restarted without persistence or flushed left a build waiting forever).
 */
export interface WorkerWatch {
  /**
   * Checks at most every `everyMs`. `unserved`: the queues that have just gone `graceMs` with work on them and
   * no worker. `lost`: true once when no queue has held any of the build's work for `graceMs` (the build
   * still waits for samples: Redis lost the jobs).
   */
  check(now?: number): Promise<{ unserved: string[]; lost: boolean }>;
  close(): Promise<void>;
}

export function createWorkerWatch(o: {
  connection: Redis;
  prefix: string;
  queues: readonly string[];
  /** Look for workers (a build without its own); else only for lost jobs. @defaultValue true */
  workers?: boolean;
  everyMs?: number;
  graceMs?: number;
}): WorkerWatch {
  // One CLIENT LIST per queue with work on it: every 10 s is cheap even on a Redis with many clients.
  const everyMs = o.everyMs ?? 10_000;
  const graceMs = o.graceMs ?? 30_000;
  const queues = o.queues.map((name) => {
    const q = new Queue(name, { connection: o.connection, prefix: o.prefix });
    // Errors also reject the calls below, which the check reports as "cannot tell".
    q.on("error", () => undefined);
    return q;
  });
  /** Per queue: since when it has had work and no worker, and whether that was reported. */
  const unserved = new Map<string, { since: number; reported: boolean }>();
  let last = Number.NEGATIVE_INFINITY;
  let lookForWorkers = o.workers !== false;
  /** Since when no queue has held work, and whether that was reported. */
  let empty: { since: number; reported: boolean } | undefined;
  return {
    async check(now = Date.now()) {
      const nothing = { unserved: [], lost: false };
      if (now - last < everyMs) return nothing;
      last = now;
      const due: string[] = [];
      let total = 0;
      let known = true;
      for (const q of queues) {
        let work: number;
        let workers = 0;
        try {
          // Waiting jobs, and those only a worker moves on: a dead worker's active jobs (a worker's stalled
          // check puts them back) and retries waiting out their backoff (a worker promotes them).
          const counts = await q.getJobCounts("waiting", "prioritized", "active", "delayed");
          work = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
          total += work;
          if (lookForWorkers && work > 0) workers = await q.getWorkersCount();
        } catch (error) {
          // CLIENT LIST refused (a managed Redis): no more looking for workers. Redis away: no verdict now.
          if (/unknown command|NOPERM/i.test((error as Error).message)) lookForWorkers = false;
          known = false;
          continue;
        }
        if (!lookForWorkers || work === 0 || workers > 0) {
          unserved.delete(q.name);
          continue;
        }
        const state = unserved.get(q.name) ?? { since: now, reported: false };
        unserved.set(q.name, state);
        if (!state.reported && now - state.since >= graceMs) {
          state.reported = true;
          due.push(q.name);
        }
      }
      let lost = false;
      if (known && total === 0) {
        empty ??= { since: now, reported: false };
        if (!empty.reported && now - empty.since >= graceMs) {
          empty.reported = true;
          lost = true;
        }
      } else if (known) empty = undefined;
      return { unserved: due, lost };
    },
    async close() {
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    },
  };
}
