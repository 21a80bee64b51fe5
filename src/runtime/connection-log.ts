import type { Logger } from "../core/logger.ts";

/** Socket-level failures of a Redis connection: ioredis reconnects by itself after each. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOENT", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);

export const isConnectionError = (error: unknown): boolean => CONNECTION_CODES.has(String((error as { code?: unknown })?.code ?? ""));

/**
 * One warning when a process's Redis connections are lost and one line when they are back, shared by
 * all of its connections, instead of an error per connection and reconnect attempt (a restart of Redis
 * logged hundreds of ECONNREFUSED stacks). Other errors are logged as they come, with `what`.
 */
export function createConnectionLog(logger: Logger | undefined, what: string) {
  let down = false;
  return {
    error(error: Error): void {
      if (!isConnectionError(error)) {
        logger?.error({ err: error.message }, `${what} error`);
        return;
      }
      if (down) return;
      down = true;
      logger?.warn({ err: error.message }, "Redis connection lost; reconnecting (logged once until it is back)");
    },
    ready(): void {
      if (!down) return;
      down = false;
      logger?.info({}, "Redis connection back");
    },
  };
}
