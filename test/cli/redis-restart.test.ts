import { rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../src/runtime/embedded-redis.ts";
import { spawnMerr, type Spawned } from "../helpers/cli.ts";
import { copySampleClips, expectEachStageRanOnce, readExecutions } from "../helpers/runs.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

let root = "";
const servers: EmbeddedRedis[] = [];
let build: Spawned | undefined;
afterAll(async () => {
  build?.child.kill("SIGKILL");
  for (const s of servers) await s.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("a Redis restart mid-run (shut down, started again on the same AOF)", () => {
  it("the build and its workers reconnect and finish: every stage of every sample executed once, none lost, none duplicated", async () => {
    root = await tempOutDir("merr-redis-restart-");
    const input = path.join(root, "clips");
    await copySampleClips(input, ["a", "b", "c"]);
    const dir = path.join(root, "redis");
    const first = await startEmbeddedRedis({ dir });
    servers.push(first);
    const out = path.join(root, "out");
    build = spawnMerr(["build", "--pipeline", "media", "--source", "folder", "--input", input, "--out", out, "--redis", first.url, "--log-level", "warn"]);
    for (let i = 0; i < 600 && (await readExecutions(out)).length < 8; i++) await sleep(50);
    await first.stop(); // SIGTERM: redis-server writes its AOF and exits
    const during = (await readExecutions(out)).length;
    expect(during).toBeLessThan(54); // the run was not over
    await sleep(1000);
    const second = await startEmbeddedRedis({ dir });
    servers.push(second);
    expect(second.adopted).toBe(false);

    expect(await build.exit).toBe(0);
    expect(build.stdout()).toMatch(/samples: 18 \(18 done/);
    await expectEachStageRanOnce(out, 18, 3);
  });
});

describe("a build stopped while its Redis is gone", () => {
  it("exits within seconds: a Redis command that waits for the server does not hold the stop", async () => {
    const dir = await tempOutDir("merr-redis-gone-");
    const redis = await startEmbeddedRedis({ dir: path.join(dir, "redis") });
    const waiting = spawnMerr(["build", "--source", "sample", "--out", path.join(dir, "out"), "--redis", redis.url, "--no-workers", "--log-level", "warn"]);
    try {
      for (let i = 0; i < 400 && !waiting.stderr().includes("stage jobs to run"); i++) await sleep(50);
      expect(waiting.stderr()).toContain("stage jobs to run");
      await redis.stop();
      const sent = Date.now();
      waiting.child.kill("SIGTERM");
      expect(await waiting.exit).toBe(130);
      expect(Date.now() - sent).toBeLessThan(8000);
      expect(waiting.stdout()).toMatch(/ — interrupted$/m);
    } finally {
      waiting.child.kill("SIGKILL");
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
