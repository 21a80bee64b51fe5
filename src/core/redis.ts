import { Redis, type RedisOptions } from "ioredis";
import { MerrError } from "./errors.ts";

/**
 * Where Redis is: a URL (`redis://host:6379/0`, `rediss://...`) or a unix socket (`unix:///path/redis.sock`).
 * This module is the only place that creates Redis connections.
 */
export type RedisTarget = string;

/** A Redis URL as merr prints it: without its password (a URL that does not parse loses what is before "@"). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

export function redisOptionsFor(target: RedisTarget): RedisOptions {
  const base: RedisOptions = {
    // BullMQ workers block on Redis; they require this to be null.
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
  };
  if (target.startsWith("unix://")) return { ...base, path: target.slice("unix://".length) };
  if (target.startsWith("/")) return { ...base, path: target };
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new MerrError("E_USAGE", `--redis "${redactUrl(target)}" is not a Redis URL; use redis://host:6379 or unix:///path/to/redis.sock`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new MerrError("E_USAGE", `--redis "${redactUrl(target)}" must start with redis://, rediss:// or unix://`);
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    ...base,
    host: url.hostname || "127.0.0.1",
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: url.protocol === "rediss:" ? {} : undefined,
  };
}

/** A new ioredis connection. The caller owns it and must `quit()` it. */
export function createRedis(target: RedisTarget, extra: RedisOptions = {}): Redis {
  const client = new Redis({ ...redisOptionsFor(target), ...extra });
  // ioredis reconnects by itself and rejects the commands that fail; without a listener it would also
  // print every transient socket error (EPIPE while closing) as "Unhandled error event".
  client.on("error", () => undefined);
  return client;
}

/** Connects once and pings, with a clear error when Redis is not reachable. */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const client = createRedis(target, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on("error", () => {
    // Reported through the rejected connect() below; without a listener ioredis prints to stderr.
  });
  try {
    await client.connect();
    await client.ping();
    const info = await client.info("memory");
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy && policy !== "noeviction") {
      throw new MerrError(
        "E_CONFIG_INVALID",
        `Redis at ${redactUrl(target)} uses maxmemory-policy ${policy}; BullMQ needs noeviction (redis-cli CONFIG SET maxmemory-policy noeviction)`,
      );
    }
  } catch (error) {
    if (error instanceof MerrError) throw error;
    const why = (error as Error).message.replace(/[.\s]+$/, "");
    throw new MerrError(
      "E_REDIS_UNAVAILABLE",
      `cannot reach Redis at ${redactUrl(target)}: ${why}; check that redis-server runs there and the URL is right (merr build without --redis starts a private one)`,
      { cause: error },
    );
  } finally {
    client.disconnect();
  }
}
