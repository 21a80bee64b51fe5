import type { AnyStage } from "../stages/_stage.ts";

/** How the queue treats one stage of a pipeline. */
export interface StagePolicy {
  /** Tries before the stage counts as failed for a sample. @defaultValue 3 */
  attempts?: number;
  /** First retry delay in ms; doubles each try (exponential backoff). @defaultValue 2000 */
  backoffMs?: number;
  /**
   * Jobs of this stage one worker process runs at a time. `"cores"`: one per CPU core the process may use
   * (os.availableParallelism(), shared among the worker processes `merr build --processes` starts), for
   * stages whose work is a CPU-bound child process (ffmpeg, pocketsphinx). @defaultValue 2
   */
  concurrency?: number | "cores";
  /** At most `max` jobs per `durationMs` across all workers (for rate-limited model APIs). */
  rateLimit?: { max: number; durationMs: number };
  /** Default options for the stage (validated by the stage's option schema; CLI flags override). */
  options?: Record<string, unknown>;
}

/** A stage's jobs at a time in a process that may use `cores` CPU cores. Pure. */
export function resolveConcurrency(declared: number | "cores" | undefined, cores: number): number {
  if (declared === "cores") return Math.max(1, Math.floor(cores));
  return declared ?? 2;
}

/** The CPU cores each of `processes` worker processes on this machine may use (at least 1). Pure. */
export function coresPerProcess(available: number, processes: number): number {
  return Math.max(1, Math.floor(available / Math.max(1, processes)));
}

export interface PipelineStage extends StagePolicy {
  stage: AnyStage;
  /**
   * Stages that must be done for this one to run in this pipeline, although it reads nothing of theirs:
   * a sample they skip or fail is not worth this stage's work (the audio of a clip the AU rules filter
   * out). They do not enter this stage's fingerprint, so a change in them does not redo it.
   */
  after?: AnyStage[];
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
