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
