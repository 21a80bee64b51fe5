import { readFile, rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
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

describe("distributed: merr build --redis URL --no-workers plus two merr worker processes", () => {
  it("completes the run with the work done by the workers, which stop cleanly on SIGTERM", async () => {
    out = await tempOutDir("merr-dist-");
    const redis = testRedisUrl();
    const workers = [
      spawnMerr(["worker", "--profile", "cpu", "--redis", redis, "--prefix", prefix, "--log-level", "warn"]),
      spawnMerr(["worker", "--profile", "all", "--redis", redis, "--prefix", prefix, "--log-level", "warn"]),
    ];
    const build = spawnMerr(["build", "--pipeline", "media", "--source", "sample", "--out", out, "--redis", redis, "--prefix", prefix, "--no-workers", "--log-level", "warn"]);
    const code = await build.exit;
    expect(build.stderr()).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(build.stdout()).toMatch(/samples: 6 \(6 done/);
    const pids = new Set(
      (await readFile(executionLogPath(out), "utf8")).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { pid: number }).pid),
    );
    const workerPids = new Set(workers.map((w) => w.child.pid));
    expect([...pids].every((p) => workerPids.has(p))).toBe(true);
    expect(pids.has(build.child.pid as number)).toBe(false);
    for (const w of workers) w.child.kill("SIGTERM");
    const codes = await Promise.all(workers.map((w) => w.exit));
    expect(codes).toEqual([0, 0]);
  });
});
