import path from "node:path";
import { describe, expect, it } from "vitest";
import { createMemoryLogger } from "../../src/core/logger.ts";
import { createStageWorkers } from "../../src/runtime/bull.ts";
import { ResourcePool } from "../../src/runtime/context.ts";
import { startEmbeddedRedis } from "../../src/runtime/embedded-redis.ts";
import { FINALIZE } from "../../src/runtime/plan.ts";
import { STAGES } from "../../src/stages/index.ts";
import { until } from "../helpers/runs.ts";
import { tempDir } from "../helpers/temp.ts";

describe("workers when Redis goes away and comes back", () => {
  it("log one warning and one recovery line, not an error per connection and retry", async () => {
    const dir = path.join(await tempDir(), "redis");
    let redis = await startEmbeddedRedis({ dir });
    const logger = createMemoryLogger();
    const resources = new ResourcePool();
    const workers = createStageWorkers({
      redis: redis.url,
      prefix: `merr-test-${process.pid}-loss`,
      stages: new Map(STAGES),
      queues: ["probe", "extract-audio", "sample-frames", FINALIZE].map((name) => ({ name, concurrency: 1 })),
      logger,
      resources,
      settings: {},
    });
    try {
      await Promise.all(workers.workers.map((w) => w.waitUntilReady()));
      await redis.stop();
      await until(() => logger.entries.some((e) => e.level === "warn"), 15_000, "the loss warning");
      await new Promise((r) => setTimeout(r, 2000)); // reconnect attempts keep failing meanwhile
      redis = await startEmbeddedRedis({ dir });
      await until(() => logger.entries.some((e) => e.msg === "Redis connection back"), 20_000, "the recovery line");
      const said = logger.entries.filter((e) => e.level !== "debug").map((e) => `${e.level}: ${e.msg}`);
      expect(said).toEqual(["warn: Redis connection lost; reconnecting (logged once until it is back)", "info: Redis connection back"]);
    } finally {
      await workers.close();
      await resources.close();
      await redis.stop();
    }
  });
});
