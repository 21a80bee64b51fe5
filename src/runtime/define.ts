import type { AnyStage } from "../stages/_stage.ts";

/** How the queue treats one stage of a pipeline. */
export interface StagePolicy {
  /** Tries before the stage counts as failed for a sample. @defaultValue 3 */
  attempts?: number;
  /** First retry delay in ms; doubles each try (exponential backoff). @defaultValue 2000 */
  backoffMs?: number;
  /** Jobs of this stage one worker process runs at a time. @defaultValue 2 */
  concurrency?: number;
  /** At most `max` jobs per `durationMs` across all workers (for rate-limited model APIs). */
  rateLimit?: { max: number; durationMs: number };
  /** Default options for the stage (validated by the stage's option schema; CLI flags override). */
  options?: Record<string, unknown>;
}

export interface PipelineStage extends StagePolicy {
  stage: AnyStage;
}

export interface PipelineDefinition {
  name: string;
  description: string;
  stages: PipelineStage[];
}

/** Declares a pipeline (data). Returns its argument; the shape is checked when it is compiled. */
export function definePipeline(def: PipelineDefinition): PipelineDefinition {
  return def;
}

export interface WorkerProfile {
  name: string;
  description: string;
  /** Stage queues this profile serves, or "*" for all. */
  stages: string[] | "*";
  /** Per-stage concurrency overrides for this profile (e.g. more model calls in flight on a GPU box). */
  concurrency?: Record<string, number>;
}

export function defineWorkerProfile(def: WorkerProfile): WorkerProfile {
  return def;
}
