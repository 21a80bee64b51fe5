import os from "node:os";
import { getWorkerProfile } from "../../../workers/index.ts";
import { PIPELINES } from "../../../pipelines/index.ts";
import { loadConfig } from "../../core/config.ts";
import { buildStageSettings } from "../settings.ts";
import { preflightWorker } from "../preflight.ts";
import { MerrError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { createStageWorkers } from "../../runtime/bull.ts";
import { redactUrl } from "../../core/redis.ts";
import { ResourcePool } from "../../runtime/context.ts";
import { resolveConcurrency } from "../../runtime/define.ts";
import { FINALIZE } from "../../runtime/plan.ts";
import { checkRedis } from "../../core/redis.ts";
import { STAGES } from "../../stages/index.ts";
import { parseConcurrency, parseRateLimits } from "../options.ts";

export interface WorkerFlags {
  profile: string;
  redis?: string;
  prefix?: string;
  concurrency?: string[];
  /** CPU cores this worker may use. @defaultValue os.availableParallelism() */
  cores?: number;
  rateLimit?: string[];
  logLevel?: string;
  preflight?: boolean;
}

/** Default concurrency of a stage: what the pipelines declare for it (the largest), else 1. */
function declaredConcurrency(stage: string, cores: number): number {
  let n = 0;
  for (const p of PIPELINES.values()) for (const s of p.stages) if (s.stage.name === stage) n = Math.max(n, resolveConcurrency(s.concurrency, cores));
  return n || 1;
}

/** The rate limit a pipeline declares for a stage, if any (the tightest). */
function declaredRateLimit(stage: string): { max: number; durationMs: number } | undefined {
  let best: { max: number; durationMs: number } | undefined;
  for (const p of PIPELINES.values()) {
    for (const s of p.stages) {
      const r = s.stage.name === stage ? s.rateLimit : undefined;
      if (r && (!best || r.max / r.durationMs < best.max / best.durationMs)) best = r;
    }
  }
  return best;
}

/** `merr worker`: serves the profile's queues until SIGTERM/SIGINT, then finishes active jobs and exits 0. */
export async function workerCommand(flags: WorkerFlags, signal: AbortSignal): Promise<number> {
  const config = loadConfig({ redis: flags.redis, prefix: flags.prefix, logLevel: flags.logLevel });
  if (!config.redis) throw new MerrError("E_USAGE", "merr worker needs --redis URL (or MERR_REDIS_URL): the Redis that `merr build --redis URL --no-workers` uses");
  const profile = getWorkerProfile(flags.profile);
  // Every stage a build may send, not only this profile's: one command line may serve several profiles.
  const known = [...STAGES.keys(), FINALIZE];
  const overrides = parseConcurrency(flags.concurrency, known);
  const limits = parseRateLimits(flags.rateLimit, known);
  await checkRedis(config.redis);
  const names = profile.stages === "*" ? [...STAGES.keys(), FINALIZE] : profile.stages.filter((s) => s === FINALIZE || STAGES.has(s));
  const logger = createLogger({ level: config.logLevel }).child({ profile: profile.name, pid: process.pid });
  if (flags.preflight !== false) await preflightWorker(names, config, signal, logger);
  const resources = new ResourcePool();
  const workers = createStageWorkers({
    redis: config.redis,
    prefix: config.prefix,
    stages: new Map(STAGES),
    queues: names.map((name) => ({
      name,
      concurrency: overrides[name] ?? profile.concurrency?.[name] ?? (name === FINALIZE ? 8 : declaredConcurrency(name, flags.cores ?? os.availableParallelism())),
      rateLimit: limits[name] ?? declaredRateLimit(name),
    })),
    logger,
    resources,
    settings: buildStageSettings(config),
  });
  // The Redis and prefix it serves: a build whose jobs wait on queues no worker serves tells the user to compare them.
  logger.info({ queues: names, redis: redactUrl(config.redis), prefix: config.prefix }, "worker started");
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  logger.info({}, "stopping: finishing active jobs");
  await workers.close();
  await resources.close();
  logger.info({}, "worker stopped");
  return 0;
}
