import type { ErrorCode, MerrError } from "../core/errors.ts";

/**
 * The retry policy: the one place that decides whether a failed stage job is tried again. BullMQ runs the
 * retries, with the stage's exponential backoff (`backoffMs`, doubling, with jitter). Nothing below the
 * queue retries: model clients make one request per try (only a 429's Retry-After is waited out inside
 * the call).
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

/** True when a failure on try `attempt` (1-based) of at most `attempts` is final: no further try. */
export function isFinalFailure(error: Pick<MerrError, "code" | "retryable">, attempt: number, attempts: number): boolean {
  if (!error.retryable) return true;
  return attempt >= Math.min(attempts, MAX_TRIES[error.code] ?? attempts);
}
