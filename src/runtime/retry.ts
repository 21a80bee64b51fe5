import type { ErrorCode, MerrError } from "../core/errors.ts";

/**
 * The retry policy: the one place that decides whether a failed stage job is tried again, and when. BullMQ
 * runs the retries, with the stage's exponential backoff (`backoffMs`, doubling, with jitter) or longer when
 * the server said when to come back ({@link retryDelayMs}). Nothing below the queue retries: model clients
 * make one request per try (only a 429's Retry-After within `retryAfterMaxMs` is waited out inside the call).
 *
 * - A code that is not retryable (E_MODEL_REJECTED for a 4xx, E_MEDIA_INVALID, ...) fails at once.
 * - E_TIMEOUT and E_MODEL_OUTPUT_INVALID get {@link MAX_TRIES} tries at most: a server that accepts
 *   requests but never answers costs about 2 x the backend's timeout, not `attempts` x it.
 * - Every other retryable code (E_MODEL_UNAVAILABLE for connection refused, 429 and 5xx, E_TOOL_FAILED...)
 *   gets the stage's `attempts`.
 */
export const MAX_TRIES: Partial<Record<ErrorCode, number>> = {
  E_TIMEOUT: 2,
  E_MODEL_OUTPUT_INVALID: 2,
};

/** Jitter of the queue's backoff (BullMQ: a share of each delay that is random), so retries spread out. */
export const BACKOFF_JITTER = 0.5;

/** The backoff type of stage jobs: BullMQ asks the worker's strategy, {@link retryDelayMs}, for its delays. */
export const STAGE_BACKOFF = "merr-stage";

/** The longest wait a server's delay sets for one retry (a quota reset hours away is asked again after it). */
export const MAX_SERVER_DELAY_MS = 10 * 60_000;

/**
 * How long the queue waits before try `attemptsMade + 1` of a job that failed with `error` (`attemptsMade`
 * counts the failed tries, as BullMQ's strategies get it). The stage's exponential backoff with jitter, as
 * BullMQ's own (`delay` x 2^(n-1), of which a `jitter` share is random); at least the delay the server gave
 * (`details.retryAfterMs` of a retryable error: a 429's Retry-After or Gemini's `retryDelay` beyond what a
 * call waits out itself, at most {@link MAX_SERVER_DELAY_MS}), plus a random share of `delay` so the jobs
 * the server turned away do not all come back at once. Pure but for `random`.
 */
export function retryDelayMs(attemptsMade: number, backoff: { delay?: number; jitter?: number }, error: unknown, random: () => number = Math.random): number {
  const delay = backoff.delay ?? 0;
  const jitter = backoff.jitter ?? 0;
  const longest = Math.round(2 ** Math.max(0, attemptsMade - 1) * delay);
  const exponential = Math.floor(longest * (1 - jitter) + random() * longest * jitter);
  const asked = (error as { details?: { retryAfterMs?: unknown } } | undefined)?.details?.retryAfterMs;
  if (typeof asked !== "number" || !(asked > 0)) return exponential;
  return Math.max(exponential, Math.min(asked, MAX_SERVER_DELAY_MS) + Math.floor(random() * delay * jitter));
}

/** True when a failure on try `attempt` (1-based) of at most `attempts` is final: no further try. */
export function isFinalFailure(error: Pick<MerrError, "code" | "retryable">, attempt: number, attempts: number): boolean {
  if (!error.retryable) return true;
  return attempt >= Math.min(attempts, MAX_TRIES[error.code] ?? attempts);
}
