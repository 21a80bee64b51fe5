import { MerrError, coerceError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { Clock, Limiter } from "./limiter.ts";
import type { BackendSettings } from "./settings.ts";

/**
 * How one backend calls its server: the limiter slot, a timeout per attempt, bounded retries with
 * exponential backoff on E_MODEL_UNAVAILABLE (429, 5xx, connection errors), a separate small budget for
 * E_MODEL_OUTPUT_INVALID (malformed or empty answers), and no retry for anything else.
 */
export interface RequestPolicy {
  /** `<backend>:<model>`, used in messages and logs. */
  source: string;
  settings: BackendSettings;
  limiter: Limiter;
  clock: Clock;
  logger: Logger;
  /** Random number in [0, 1) for backoff jitter. */
  random?: () => number;
}

/** Maps a non-2xx HTTP status to E_MODEL_UNAVAILABLE (408, 429, 5xx: retryable) or E_MODEL_REJECTED. */
export function httpFailure(source: string, status: number, reason: string, retryAfter?: string | null): MerrError {
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(retryAfter);
  const text = reason.trim().slice(0, 300) || "(no reason given)";
  return new MerrError(
    retryable ? "E_MODEL_UNAVAILABLE" : "E_MODEL_REJECTED",
    `${source}: server answered HTTP ${status}: ${text}`,
    { details: { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } },
  );
}

/** A request that never got an HTTP answer (connection refused, reset, DNS): retryable. */
export function connectionFailure(source: string, error: unknown): MerrError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new MerrError("E_MODEL_UNAVAILABLE", `${source}: cannot reach the server (${detail})`, { cause: error });
}

export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function backoffDelay(attempt: number, settings: BackendSettings, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(settings.retryMaxMs, retryAfterMs);
  const full = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** attempt);
  return full / 2 + (random() * full) / 2;
}

/**
 * Runs `attempt(signal)` under the policy. `attempt` throws MerrErrors (backend adapters map their
 * protocol's failures); anything else is treated as a connection failure.
 */
export async function callWithPolicy<T>(
  policy: RequestPolicy,
  outer: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { settings, clock, logger, source } = policy;
  const random = policy.random ?? Math.random;
  let unavailable = 0;
  let invalid = 0;
  for (;;) {
    outer?.throwIfAborted();
    let timedOut = false;
    try {
      return await policy.limiter.run(async () => {
        const controller = new AbortController();
        const timer = setTimeout(() => {
          timedOut = true;
          controller.abort(new Error("timeout"));
        }, settings.timeoutMs);
        const onOuterAbort = (): void => controller.abort(outer?.reason);
        outer?.addEventListener("abort", onOuterAbort, { once: true });
        try {
          return await attempt(controller.signal);
        } finally {
          clearTimeout(timer);
          outer?.removeEventListener("abort", onOuterAbort);
        }
      }, outer);
    } catch (raw) {
      if (outer?.aborted) throw new MerrError("E_ABORTED", `${source}: request aborted`, { cause: raw });
      if (timedOut) {
        throw new MerrError("E_TIMEOUT", `${source}: no answer within ${settings.timeoutMs} ms`, { cause: raw });
      }
      const error = raw instanceof MerrError ? raw : connectionFailure(source, coerceError(raw));
      if (error.code === "E_MODEL_UNAVAILABLE" && unavailable < settings.retries) {
        const retryAfterMs = error.details?.retryAfterMs as number | undefined;
        const delay = backoffDelay(unavailable, settings, random, retryAfterMs);
        unavailable++;
        logger.warn({ backend: source, attempt: unavailable, delayMs: Math.round(delay), reason: error.message }, "model server unavailable, retrying");
        await clock.sleep(delay, outer);
        continue;
      }
      if (error.code === "E_MODEL_OUTPUT_INVALID" && invalid < settings.outputRetries) {
        invalid++;
        logger.warn({ backend: source, attempt: invalid, reason: error.message }, "invalid model answer, asking again");
        continue;
      }
      if (error.code === "E_MODEL_UNAVAILABLE" && unavailable > 0) {
        throw new MerrError("E_MODEL_UNAVAILABLE", `${error.message} (gave up after ${unavailable + 1} attempts)`, {
          cause: error,
          details: error.details,
        });
      }
      if (error.code === "E_MODEL_OUTPUT_INVALID" && invalid > 0) {
        throw new MerrError("E_MODEL_OUTPUT_INVALID", `${error.message} (gave up after ${invalid + 1} attempts)`, { cause: error });
      }
      throw error;
    }
  }
}

/** Reads a JSON response body; a malformed body is E_MODEL_OUTPUT_INVALID. */
export async function readJsonBody(source: string, response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: malformed JSON from the server: ${JSON.stringify(text.slice(0, 80))}`, { cause: error });
  }
}
