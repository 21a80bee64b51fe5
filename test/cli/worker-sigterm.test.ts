import { readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { createRedis } from "../../src/core/redis.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { spawnMerr } from "../helpers/cli.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const prefix = uniquePrefix();
let out = "";
afterAll(async () => {
  await dropPrefix(prefix);
  if (out) await rm(out, { recursive: true, force: true });
});

describe("merr worker on SIGTERM", () => {
  it("finishes the job it is running, exits 0, and another worker completes the run", async () => {
    out = await tempOutDir("merr-sigterm-");
    const redis = testRedisUrl();
    const build = spawnMerr(["build", "--source", "sample", "--ids", "1001_DFA_HAP_XX", "--out", out, "--redis", redis, "--prefix", prefix, "--no-workers", "--log-level", "warn"]);
    const first = spawnMerr(["worker", "--profile", "all", "--redis", redis, "--prefix", prefix, "--log-level", "warn"]);
    const connection = createRedis(redis);
    const faces = new Queue("au-extract", { connection, prefix });
    try {
      // Face analysis of the clip takes seconds: stop the worker while it runs.
      for (let i = 0; i < 600 && (await faces.getActiveCount()) === 0; i++) await sleep(100);
      expect(await faces.getActiveCount()).toBe(1);
      first.child.kill("SIGTERM");
      expect(await first.exit).toBe(0);
      expect(first.stderr()).toContain("SIGTERM: finishing active jobs (send it again to exit at once)");
      const log = (await readFile(executionLogPath(out), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { stage: string; pid: number; status: string });
      expect(log.find((e) => e.stage === "au-extract")).toMatchObject({ pid: first.child.pid, status: "done" });
      expect(await faces.getActiveCount()).toBe(0);

      const second = spawnMerr(["worker", "--profile", "all", "--redis", redis, "--prefix", prefix, "--log-level", "warn"]);
      expect(await build.exit).toBe(0);
      expect(build.stdout()).toMatch(/samples: 1 \(/);
      second.child.kill("SIGTERM");
      expect(await second.exit).toBe(0);
      const all = (await readFile(executionLogPath(out), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { stage: string });
      expect(all.filter((e) => e.stage === "au-extract")).toHaveLength(1);
    } finally {
      await faces.close();
      await connection.quit();
      first.child.kill("SIGKILL");
    }
  });
});
