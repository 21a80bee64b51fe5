import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedRedis } from "../../src/runtime/embedded-redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Integration tests talk to a real Redis: REDIS_URL when set, else a private redis-server started here
 * with the same code as `merr build`'s embedded mode. Each test file isolates itself with its own prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env.REDIS_URL;
  if (env) {
    project.provide("redisUrl", env);
    return async () => undefined;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-test-redis-"));
  const redis = await startEmbeddedRedis({ dir, orphan: "stop" });
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
