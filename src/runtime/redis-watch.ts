import { checkRedis, type RedisTarget } from "../core/redis.ts";

export interface RedisWatchOptions {
  /** Milliseconds between checks. @defaultValue 2000 */
  intervalMs?: number;
  /** Called once when Redis stops answering (after `failures` checks in a row). */
  onDown(cause: string): void;
  /** Called once when it answers again after `onDown`. */
  onUp?(): void;
  /** Failed checks in a row before Redis counts as gone. @defaultValue 2 */
  failures?: number;
  signal?: AbortSignal;
}

/**
 * Pings Redis every `intervalMs` with a short-lived connection and reports a loss and a recovery once
 * each, instead of the stream of connection errors that the long-lived connections would log.
 */
export function watchRedis(target: RedisTarget, o: RedisWatchOptions): { stop(): void } {
  const need = o.failures ?? 2;
  let failed = 0;
  let down = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    try {
      await checkRedis(target, 1000);
      failed = 0;
      if (down) {
        down = false;
        o.onUp?.();
      }
    } catch (error) {
      failed += 1;
      if (!down && failed >= need) {
        down = true;
        o.onDown((error as Error).message.replace(/^\[E_REDIS_UNAVAILABLE\] /, ""));
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), o.intervalMs ?? 2000);
  };
  timer = setTimeout(() => void tick(), o.intervalMs ?? 2000);
  const stop = (): void => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  o.signal?.addEventListener("abort", stop, { once: true });
  return { stop };
}
