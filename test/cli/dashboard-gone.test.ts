import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startEmbeddedRedis } from "../../src/runtime/embedded-redis.ts";
import { spawnMerr } from "../helpers/cli.ts";
import { createRedis } from "../../src/core/redis.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { until } from "../helpers/runs.ts";
import { tempDir } from "../helpers/temp.ts";

describe("merr dashboard --out after its build's Redis is gone", () => {
  it("says so once and exits 0 within seconds, without a stream of connection errors", async () => {
    const out = await tempDir();
    const redis = await startEmbeddedRedis({ dir: path.join(out, "redis") });
    // The build ran with --prefix p9: the dashboard shows that prefix's queues without being told.
    const now = new Date().toISOString();
    const manifest = { runId: "r00000001", pipeline: "merr", planFingerprint: "x", source: "sample", createdAt: now, updatedAt: now, builds: 1, sampleCount: 1, stages: ["probe"], redis: "embedded", prefix: "p9", state: "running" };
    await writeFile(path.join(out, "run.json"), JSON.stringify(manifest));
    const dash = spawnMerr(["dashboard", "--out", out, "--port", "0"]);
    let code: number | null | undefined;
    void dash.exit.then((c) => (code = c));
    try {
      await until(() => dash.stdout().includes("merr dashboard: http://"), 20_000, "the dashboard to start");
      expect(dash.stdout()).toContain('(queues under prefix "p9"; Ctrl-C to stop)');
      await redis.stop();
      const stoppedAt = Date.now();
      await until(() => code !== undefined, 15_000, "the dashboard to exit");
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      expect(code).toBe(0);
      const err = dash.stderr().trim().split("\n").filter(Boolean);
      expect(err).toEqual([`merr dashboard: the Redis of the build in ${out} is gone (the build ended); stopping`]);
    } finally {
      if (code === undefined) dash.child.kill("SIGKILL");
      await redis.stop().catch(() => undefined);
    }
  });

  it("stops at once on the first SIGTERM, also when Redis has just gone (closing its queues would wait forever)", async () => {
    const out = await tempDir();
    const redis = await startEmbeddedRedis({ dir: path.join(out, "redis") });
    const dash = spawnMerr(["dashboard", "--out", out, "--port", "0"]);
    try {
      await until(() => dash.stdout().includes("merr dashboard: http://"), 20_000, "the dashboard to start");
      await redis.stop();
      const sent = Date.now();
      dash.child.kill("SIGTERM");
      expect(await dash.exit).toBe(0);
      expect(Date.now() - sent).toBeLessThan(5000);
      // A dashboard has no jobs to finish: it says it stops.
      expect(dash.stderr()).toContain("SIGTERM: stopping (send it again to exit at once)");
    } finally {
      dash.child.kill("SIGKILL");
      await redis.stop();
    }
  });
});

describe("merr dashboard --redis", () => {
  it("names the prefix it shows, and says when that prefix holds no queue (a mistyped --prefix)", async () => {
    const prefix = uniquePrefix();
    const dash = spawnMerr(["dashboard", "--redis", testRedisUrl(), "--prefix", prefix, "--port", "0"]);
    try {
      await until(() => dash.stdout().includes("merr dashboard: http://") && dash.stderr().includes("no queue"), 20_000, "the dashboard to start");
      expect(dash.stdout()).toMatch(new RegExp(`^merr dashboard: http://127\\.0\\.0\\.1:\\d+/ \\(queues under prefix "${prefix}"; Ctrl-C to stop\\)$`, "m"));
      expect(dash.stderr()).toContain(`merr dashboard: this Redis holds no queue under prefix "${prefix}" yet; the queues fill when a build enqueues there (is --prefix the one the build uses?)`);
    } finally {
      dash.child.kill("SIGTERM");
      await dash.exit;
    }
    // A prefix with a job under it: no such line.
    const used = uniquePrefix();
    const client = createRedis(testRedisUrl());
    await client.set(`${used}:probe:some-job`, "1");
    const other = spawnMerr(["dashboard", "--redis", testRedisUrl(), "--prefix", used, "--port", "0"]);
    try {
      await until(() => other.stdout().includes("merr dashboard: http://"), 20_000, "the dashboard to start");
      expect(other.stderr()).not.toContain("no queue");
    } finally {
      other.child.kill("SIGTERM");
      await other.exit;
      await dropPrefix(used);
      await dropPrefix(prefix);
      await client.quit();
    }
  });
});
