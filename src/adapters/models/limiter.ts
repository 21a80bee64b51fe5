import { MerrError } from "../../core/errors.ts";

/** Time source of the model layer; tests may inject a fake one. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with E_ABORTED when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

function abortError(signal: AbortSignal | undefined): MerrError {
  return new MerrError("E_ABORTED", "model request aborted", { cause: signal?.reason });
}

export interface LimiterOptions {
  /** Calls running at once. */
  concurrency: number;
  /** Calls started per rolling 60 s window; 0 = unlimited. */
  requestsPerMinute: number;
  clock?: Clock;
}

export interface LimiterStats {
  active: number;
  queued: number;
  started: number;
}

/**
 * An in-process limiter for one backend: at most `concurrency` calls at once and at most
 * `requestsPerMinute` starts in any rolling minute. Waiters are served first-in first-out.
 */
export interface Limiter {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  stats(): LimiterStats;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const clock = options.clock ?? systemClock;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const rpm = Math.max(0, Math.floor(options.requestsPerMinute));
  const starts: number[] = [];
  const waiters: Array<() => void> = [];
  let active = 0;
  let started = 0;

  const acquireSlot = async (signal?: AbortSignal): Promise<void> => {
    if (active < concurrency && waiters.length === 0) {
      active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(abortError(signal));
      };
      if (signal?.aborted) return reject(abortError(signal));
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.push(waiter);
    });
  };

  const release = (): void => {
    const next = waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else active--;
  };

  const waitForRate = async (signal?: AbortSignal): Promise<void> => {
    if (rpm === 0) return;
    for (;;) {
      const now = clock.now();
      while (starts.length && (starts[0] ?? 0) <= now - 60_000) starts.shift();
      if (starts.length < rpm) {
        starts.push(now);
        return;
      }
      await clock.sleep((starts[0] ?? now) + 60_000 - now, signal);
    }
  };

  return {
    async run(fn, signal) {
      await acquireSlot(signal);
      try {
        await waitForRate(signal);
        started++;
        return await fn();
      } finally {
        release();
      }
    },
    stats: () => ({ active, queued: waiters.length, started }),
  };
}
