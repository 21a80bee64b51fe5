import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { writeJsonAtomic } from "../core/fs.ts";
import { writeListing } from "../core/run-samples.ts";
import type { Logger } from "../core/logger.ts";
import { checkRedis, createRedis, redactUrl } from "../core/redis.ts";
import type { Sample } from "../core/types.ts";
import type { AnyStage } from "../stages/_stage.ts";
import { countersKey, createStageWorkers, createWorkerWatch, type StageWorkers } from "./bull.ts";
import { ResourcePool } from "./context.ts";
import { resolveConcurrency } from "./define.ts";
import { startEmbeddedRedis, type EmbeddedRedis } from "./embedded-redis.ts";
import { startWorkerProcesses } from "./worker-processes.ts";
import { enqueueSamples, finalsKey } from "./flow.ts";
import { openRun, summaryPath, updateRunState, writeSamplesList, type RunManifest } from "./manifest.ts";
import { FINALIZE, type Plan } from "./plan.ts";
import { createProgressReporter, logLineText, noCounts, parseCounters, type ProgressMode, type Terminal } from "./progress.ts";
import { summarizeRun, type RunSummary } from "./summary.ts";

export interface BuildOptions {
  outDir: string;
  source: string;
  samples: Sample[];
  /**
   * Every sample the source listed, before `--ids` and `--limit` (written to `<out>/listing.json`: export
   * and status name the run's samples it lacks). @defaultValue `samples`
   */
  listed?: { input?: string; samples: readonly Sample[] };
  plan: Plan;
  /** Stage implementations by name. */
  registry: Map<string, AnyStage>;
  /** External Redis; undefined = a private redis-server under `<out>/redis`. */
  redis?: string;
  prefix: string;
  /** Run workers in this process. With false, `merr worker` processes do the work. */
  inProcessWorkers: boolean;
  /**
   * Extra worker processes on this machine: `count` children started with `argv(redisUrl)` (the CLI
   * passes `merr worker --profile all --redis <url> --prefix <prefix>`). They stop with the build.
   */
  extraWorkers?: { count: number; argv: (redisUrl: string) => string[] };
  /** Per-stage concurrency overrides of the in-process workers. */
  concurrency?: Record<string, number>;
  /** CPU cores the in-process workers may use (stages declared with `concurrency: "cores"`). @defaultValue os.availableParallelism() */
  cores?: number;
  settings: Record<string, unknown>;
  logger: Logger;
  progress: ProgressMode;
  /** The terminal of `progress: "tty"` (the CLI's logger writes above its block too). @defaultValue stderr */
  terminal?: Terminal;
  signal?: AbortSignal;
  redisBin?: string;
  /** Called once the samples are enqueued, before waiting (the CLI prints what will run). */
  onEnqueued?: (e: EnqueuedCounts) => void;
  /**
   * A build without workers of its own: the message for the queues whose jobs have waited
   * {@link UNSERVED_GRACE_MS} with no worker serving them (each once until a worker serves it again); shown
   * above the progress on a terminal, else logged as a warning.
   */
  describeUnserved?: (queues: string[], redisUrl: string) => string;
  /** How long before unserved queues, or a Redis without any of the build's jobs, are reported. @defaultValue {@link UNSERVED_GRACE_MS} */
  unservedGraceMs?: number;
  /** How often the queues are checked for workers and work. @defaultValue 10000 */
  unservedCheckMs?: number;
}

/** How long jobs wait on a queue no worker serves before a build without workers says so (and how long a build waits with none of its jobs in Redis). */
export const UNSERVED_GRACE_MS = 30_000;

export interface EnqueuedCounts {
  added: number;
  alreadyDone: number;
  inFlight: number;
  changed: number;
  /** Of `added`: samples that failed in an earlier build, tried again. */
  retried: number;
  /** Of `added`: finished samples whose clip moved (only their sample.json is written again). */
  moved: number;
  /** Samples whose records an earlier merr made and this build took over (flow.ts `takeOverLegacyRecords`). */
  takenOver: number;
  toRun: Record<string, number>;
}

export interface BuildResult {
  runId: string;
  summary: RunSummary;
  enqueued: number;
  alreadyDone: number;
  inFlight: number;
  /** Samples that had finished in an earlier build with other inputs or options (and were enqueued again). */
  changed: number;
  /** Per stage, how many jobs will run the stage (no valid record), counted when enqueueing. */
  toRun: Record<string, number>;
  /** 0 all samples done/filtered/skipped, 2 some failed. */
  exitCode: 0 | 2;
  interrupted: boolean;
}

/** Resolves the Redis to use: the given URL (checked) or a private embedded server. */
export async function connectRedis(o: { outDir: string; redis?: string; logger: Logger; redisBin?: string }): Promise<{ url: string; embedded?: EmbeddedRedis }> {
  if (o.redis) {
    await checkRedis(o.redis);
    return { url: o.redis };
  }
  const embedded = await startEmbeddedRedis({ dir: path.join(o.outDir, "redis"), logger: o.logger, bin: o.redisBin });
  return { url: embedded.url, embedded };
}

/** `merr build`: enqueue each sample's work, run (or wait for) the workers, summarise. */
export async function runBuild(o: BuildOptions): Promise<BuildResult> {
  const outDir = path.resolve(o.outDir);
  await mkdir(outDir, { recursive: true });
  const { url, embedded } = await connectRedis({ outDir, redis: o.redis, logger: o.logger, redisBin: o.redisBin });
  const releasers: Array<() => Promise<void>> = [];
  if (embedded) releasers.push(() => embedded.stop());
  const stageNames = o.plan.order;
  let manifest: RunManifest | undefined;
  try {
    manifest = await openRun(outDir, {
      pipeline: o.plan.pipeline,
      planFingerprint: o.plan.fingerprint,
      source: o.source,
      sampleCount: o.samples.length,
      stages: stageNames,
      redis: o.redis ? redactUrl(o.redis) : "embedded",
      prefix: o.prefix,
    });
    await writeSamplesList(outDir, o.samples);
    await writeListing(outDir, {
      source: o.source,
      ...(o.listed?.input ? { input: path.resolve(o.listed.input) } : {}),
      listedAt: new Date().toISOString(),
      samples: (o.listed?.samples ?? o.samples).map((s) => ({ id: s.id, path: s.path })),
    });
    const runId = manifest.runId;
    const qs = { redis: url, prefix: o.prefix };
    const log = o.logger.child({ runId, pipeline: o.plan.pipeline });
    const movedFrom = (manifest as { movedFrom?: string }).movedFrom;
    if (movedFrom) log.info({ movedFrom }, `the run folder was at ${movedFrom}: this build runs as ${runId}, and jobs an earlier build left in Redis for the old place are dropped`);
    const pending = new Set(o.samples.map((s) => s.id));
    // The one completion tracker: finalize appends each finished sample to a Redis list, read from
    // where it stood before enqueueing (entries of earlier builds are not this build's).
    const redis: Redis = createRedis(url);
    releasers.push(async () => {
      // QUIT waits for a Redis that has gone: give it two seconds, then drop the connection.
      await Promise.race([redis.quit().catch(() => undefined), sleep(2000, undefined, { ref: false })]);
      redis.disconnect();
    });
    const finals = finalsKey(o.prefix, runId);
    let seen = await redis.llen(finals);
    const enq = await enqueueSamples(qs, { runId, outDir, plan: o.plan }, o.samples);
    for (const id of enq.alreadyDone) pending.delete(id);
    log.info({ added: enq.added.length, alreadyDone: enq.alreadyDone.length, inFlight: enq.inFlight.length, changed: enq.changed.length, moved: enq.moved.length, takenOver: enq.takenOver, toRun: enq.toRun }, "samples enqueued");
    o.onEnqueued?.({
      added: enq.added.length, alreadyDone: enq.alreadyDone.length, inFlight: enq.inFlight.length, changed: enq.changed.length,
      retried: enq.retried.length, moved: enq.moved.length, takenOver: enq.takenOver, toRun: enq.toRun,
    });
    const baseline = parseCounters(await redis.hgetall(countersKey(o.prefix, runId)), stageNames);
    // Workers start once the queues hold only this build's work: a job an earlier build left waiting is
    // removed while enqueueing (it may be premature), and must not run before that.
    let workers: StageWorkers | undefined;
    const resources = new ResourcePool();
    const cores = o.cores ?? os.availableParallelism();
    if (o.inProcessWorkers) {
      workers = createStageWorkers({
        ...qs,
        stages: o.registry,
        queues: [
          ...stageNames.map((n) => {
            const s = o.plan.stages.get(n);
            return { name: n, concurrency: o.concurrency?.[n] ?? resolveConcurrency(s?.concurrency ?? 1, cores), rateLimit: s?.rateLimit };
          }),
          { name: FINALIZE, concurrency: 8 },
        ],
        logger: o.logger,
        resources,
        settings: o.settings,
      });
      releasers.push(async () => {
        await workers?.close();
        await resources.close();
      });
    }

    if (o.extraWorkers && o.extraWorkers.count > 0) {
      // On a terminal the children's log lines go above the progress block, as text, like this process's own.
      const terminal = o.progress === "tty" ? o.terminal : undefined;
      const extra = startWorkerProcesses(o.extraWorkers.count, o.extraWorkers.argv(url), log, terminal ? (line) => terminal.line(logLineText(line)) : undefined);
      // Released before Redis stops (releasers run last-in first-out).
      releasers.push(() => extra.stop());
    }
    // Without workers of its own, the build says when its jobs wait on queues that no worker serves; any
    // build says when Redis no longer holds any of its jobs while samples are unfinished.
    const watch = createWorkerWatch({
      connection: redis, prefix: o.prefix, queues: [...stageNames, FINALIZE], workers: !o.inProcessWorkers,
      graceMs: o.unservedGraceMs ?? UNSERVED_GRACE_MS, ...(o.unservedCheckMs ? { everyMs: o.unservedCheckMs } : {}),
    });
    releasers.push(() => Promise.race([watch.close(), sleep(2000, undefined, { ref: false })]).then(() => undefined));
    const reporter = createProgressReporter(o.progress, log, o.terminal);
    const started = Date.now();
    const total = o.samples.length;
    let interrupted = false;
    const report = async (): Promise<void> => {
      const now = parseCounters(await redis.hgetall(countersKey(o.prefix, runId)), stageNames);
      reporter.update({
        total,
        finished: total - pending.size,
        elapsedMs: Date.now() - started,
        stages: stageNames.map((name) => {
          const a = now.get(name) ?? noCounts();
          const b = baseline.get(name) ?? noCounts();
          return {
            name, done: a.done - b.done, filtered: a.filtered - b.filtered, skipped: a.skipped - b.skipped, failed: a.failed - b.failed, reused: a.reused - b.reused,
          };
        }),
      });
    };
    // A command to a Redis that has gone waits for it to come back: a stop (Ctrl-C, SIGTERM) does not wait too.
    const stopped = new Promise<"stopped">((resolve) => {
      if (o.signal?.aborted) resolve("stopped");
      o.signal?.addEventListener("abort", () => resolve("stopped"), { once: true });
    });
    const unlessStopped = <T>(work: Promise<T>): Promise<T | "stopped"> => {
      work.catch(() => undefined); // a command left waiting fails when the connection is dropped
      return Promise.race([work, stopped]);
    };
    let lastReport = 0;
    while (pending.size > 0) {
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      let fresh: string[] = [];
      try {
        const read = await unlessStopped(redis.lrange(finals, seen, -1));
        if (read === "stopped") continue;
        fresh = read;
      } catch (error) {
        // Redis restarting: the list is on its AOF, read on from the same place once it is back.
        log.warn({ err: (error as Error).message }, "cannot read the finished samples from Redis; trying again");
      }
      seen += fresh.length;
      for (const id of fresh) pending.delete(id);
      if (Date.now() - lastReport >= 500) {
        lastReport = Date.now();
        await unlessStopped(report()).catch((error: unknown) => log.warn({ err: (error as Error).message }, "progress update failed"));
        const checked = await unlessStopped(watch.check()).catch(() => "stopped" as const);
        const { unserved, lost } = checked === "stopped" ? { unserved: [], lost: false } : checked;
        if (unserved.length) {
          const text = o.describeUnserved?.(unserved, url) ?? `jobs wait on queues that no worker serves: ${unserved.join(", ")} (prefix ${o.prefix})`;
          reporter.note(text, { queues: unserved, prefix: o.prefix });
        }
        if (lost && pending.size > 0) {
          reporter.note(
            `merr build: none of this build's jobs has been in Redis for ${(o.unservedGraceMs ?? UNSERVED_GRACE_MS) / 1000} s, yet ${pending.size} sample${pending.size === 1 ? " is" : "s are"} unfinished: ` +
              "Redis has lost them (restarted without persistence, flushed, or its keys deleted). Stop this build (Ctrl-C) and build again: it resumes from the records on disk",
            { pending: pending.size },
          );
        }
      }
      if (pending.size > 0 && fresh.length === 0) await sleep(50, undefined, { signal: o.signal }).catch(() => undefined);
    }
    // One last line with the final counts, so the display does not stop at the previous tick.
    await unlessStopped(report()).catch(() => undefined);
    reporter.end();

    const summary = await summarizeRun(outDir, o.samples, stageNames);
    await writeJsonAtomic(summaryPath(outDir), { runId, pipeline: o.plan.pipeline, finishedAt: new Date().toISOString(), interrupted, ...summary });
    await updateRunState(outDir, manifest, interrupted ? "interrupted" : "finished");
    return {
      runId,
      summary,
      enqueued: enq.added.length,
      alreadyDone: enq.alreadyDone.length,
      inFlight: enq.inFlight.length,
      changed: enq.changed.length,
      toRun: enq.toRun,
      exitCode: summary.samples.failed > 0 ? 2 : 0,
      interrupted,
    };
  } catch (error) {
    if (manifest) await updateRunState(outDir, manifest, "interrupted").catch(() => undefined);
    throw error;
  } finally {
    while (releasers.length) await releasers.pop()?.().catch((e: unknown) => o.logger.warn({ err: String(e) }, "release failed"));
  }
}

