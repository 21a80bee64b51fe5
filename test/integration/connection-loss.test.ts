import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createMemoryLogger } from "../../src/core/logger.ts";
import { createStageWorkers } from "../../src/runtime/bull.ts";
import { ResourcePool } from "../../src/runtime/context.ts";
import { startEmbeddedRedis } from "../../src/runtime/embedded-redis.ts";
import { createScheduler, jobIdOf } from "../../src/runtime/flow.ts";
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

  it("the queues that enqueue the next stages report to the connection log, not a stack per reconnect attempt", async () => {
    const dir = path.join(await tempDir(), "redis");
    const redis = await startEmbeddedRedis({ dir });
    const printed = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const heard: string[] = [];
    const scheduler = createScheduler(redis.url, `merr-test-${process.pid}-sched`, (error) => heard.push(String((error as { code?: string }).code)));
    try {
      const job = (id: string) => ({ queue: "probe", name: "probe", data: {} as never, opts: { jobId: jobIdOf("r", id, "probe", "f") } });
      await scheduler.add([job("a")]);
      await redis.stop();
      // A worker that ends a job while Redis is down still asks to queue the next stages.
      void scheduler.add([job("b")]).catch(() => undefined);
      // The embedded Redis listens on a socket file: a lost connection is ENOENT (ECONNREFUSED over TCP).
      await until(() => heard.some((code) => code === "ENOENT" || code === "ECONNREFUSED"), 15_000, "the connection error reaching the listener");
      await new Promise((r) => setTimeout(r, 1500)); // reconnect attempts keep failing meanwhile
      expect(printed.mock.calls.filter((c) => /connect E[A-Z]+/.test(String(c[0])))).toEqual([]);
    } finally {
      printed.mockRestore();
      // Closing would wait for Redis: the connection is dropped instead, which stops its reconnecting.
      scheduler.redis.disconnect();
      void scheduler.close().catch(() => undefined);
      await redis.stop();
    }
  });
});
