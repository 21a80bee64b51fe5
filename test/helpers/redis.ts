import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { createRedis } from "../../src/core/redis.ts";

/** The test Redis (see global-setup.ts). */
export const testRedisUrl = (): string => inject("redisUrl");

/** A prefix of one's own: queues of different test files never meet. */
export const uniquePrefix = (): string => `merr-test-${randomUUID().slice(0, 8)}`;

/** Deletes every key under a prefix (obliterate for all of a test file's queues at once). */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = createRedis(testRedisUrl());
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    await client.quit();
  }
}
