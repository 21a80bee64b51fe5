import { MerrError, coerceError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { Clock } from "./clock.ts";
import { accessFix, BACKEND_ENV, maskServerSecrets, type ModelServer } from "./server.ts";
import type { BackendSettings } from "./settings.ts";

/**
 * How one backend calls its server: one request with a timeout, and nothing more. Retries and backoff
 * belong to the queue (BullMQ attempts, with a per-error-class policy in the runtime), concurrency to the
 * worker (`--concurrency`, the worker profile) and cross-worker rates to BullMQ limiters (`--rate-limit`).
 * The one exception: a 429 answer with `Retry-After` is waited out inside the call, up to
 * `retryAfterMaxMs` in total, because the server has said exactly when to come back.
 */
export interface RequestPolicy {
  /** `<backend>:<model>`, used in messages and logs. */
  source: string;
  settings: BackendSettings;
  /** Where the requests go (the URL without credentials) and what must never be printed. */
  server: ModelServer;
  clock: Clock;
  logger: Logger;
}

/** What a failure message needs of the policy: the source, the server and whether a key was sent. */
type FailurePolicy = Pick<RequestPolicy, "source" | "server" | "settings">;

/**
 * Maps a non-2xx HTTP status to E_MODEL_UNAVAILABLE (408, 429, 5xx: retryable) or E_MODEL_REJECTED. A
 * refused key or login (401, 403, or `keyRefused`: Gemini answers a bad key with 400) names what to fix.
 */
export function httpFailure(policy: FailurePolicy, status: number, reason: string, retryAfter?: string | null, keyRefused = false): MerrError {
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(retryAfter);
  const text = reason.trim().slice(0, 300) || "(no reason given)";
  const fix = keyRefused || status === 401 || status === 403 ? `. Fix: ${accessFix(policy.server, policy.settings.apiKey !== undefined)}` : "";
  return new MerrError(
    retryable ? "E_MODEL_UNAVAILABLE" : "E_MODEL_REJECTED",
    `${policy.source}: server answered HTTP ${status}: ${text}${fix}`,
    { details: { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } },
  );
}

/**
 * A request that never got an HTTP answer (connection refused, reset, DNS): retryable. The message names
 * the URL, the variable that set it (or that it is the default) and the fix, as preflight does: a server
 * that goes down mid-run is met by samples, not by preflight.
 */
export function connectionFailure(policy: FailurePolicy, error: unknown, reason?: string): MerrError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = reason ?? cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  const { server } = policy;
  const variable = BACKEND_ENV[server.backend].url;
  return new MerrError(
    "E_MODEL_UNAVAILABLE",
    `${policy.source}: cannot reach the server at ${server.shown} (${detail}; the URL is ${server.origin}): start it there, or set ${variable} to where it listens`,
    { cause: error },
  );
}

export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * Runs `attempt(signal)` once under the backend's timeout (plus the 429 Retry-After waits). `attempt`
 * throws MerrErrors (backend adapters map their protocol's failures); anything else is treated as a
 * connection failure. Every failure is thrown with its code: the queue decides about retries. The call's
 * `signal` and `logger` are the request's (the logger of the job that asks, else the client's).
 */
export async function callWithPolicy<T>(
  policy: RequestPolicy,
  call: { signal?: AbortSignal | undefined; logger?: Logger | undefined },
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { settings, clock, source, server } = policy;
  const outer = call.signal;
  const logger = call.logger ?? policy.logger;
  let waited = 0;
  for (;;) {
    outer?.throwIfAborted();
    let timedOut = false;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, settings.timeoutMs);
    const onOuterAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    try {
      return await attempt(controller.signal);
    } catch (raw) {
      if (outer?.aborted) throw new MerrError("E_ABORTED", `${source}: request aborted`, { cause: raw });
      if (timedOut) {
        // The variable that sets it: MERR_OPENAI_TIMEOUT_MS for "openai:<model>".
        const variable = `MERR_${source.split(":")[0]!.toUpperCase()}_TIMEOUT_MS`;
        throw new MerrError("E_TIMEOUT", `${source}: no answer within ${settings.timeoutMs} ms (${variable})`, { cause: raw });
      }
      const error = raw instanceof MerrError ? raw : connectionFailure(policy, coerceError(raw));
      const retryAfterMs = error.details?.status === 429 ? (error.details.retryAfterMs as number | undefined) : undefined;
      if (retryAfterMs !== undefined && waited + retryAfterMs <= settings.retryAfterMaxMs) {
        waited += retryAfterMs;
        // The logger names the backend (and, from a job, its sample): no field of its own repeats it.
        logger.warn({ delayMs: retryAfterMs }, "model server asked to retry later (429 Retry-After): waiting");
        await clock.sleep(retryAfterMs, outer);
        continue;
      }
      // Longer than a call waits: the error keeps the delay (details.retryAfterMs), and the queue waits at
      // least that long before the next try (runtime/retry.ts). Before, it was dropped and the queue's
      // backoff of seconds spent every try within the server's delay.
      if (retryAfterMs !== undefined) error.message += `; the server asks to retry after ${formatDelay(retryAfterMs)}`;
      // A server that echoes the request (a proxy's error page, a debug build) may quote the API key or the
      // base URL's password: never let them into a record, a log or the terminal.
      error.message = maskServerSecrets(error.message, server.secrets);
      // BullMQ keeps the stack in Redis too.
      if (error.stack) error.stack = maskServerSecrets(error.stack, server.secrets);
      throw error;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    }
  }
}

/** `40 s`, `1.5 s`, `12 min`: a server's delay in a message. */
function formatDelay(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 100) / 10} s`;
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
