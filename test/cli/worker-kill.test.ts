import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { spawnMerr, type Spawned } from "../helpers/cli.ts";
import { copySampleClips, expectEachStageRanOnce, readExecutions } from "../helpers/runs.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const prefix = uniquePrefix();
let root = "";
const children: Spawned[] = [];
afterAll(async () => {
  for (const c of children) c.child.kill("SIGKILL");
  await dropPrefix(prefix);
  if (root) await rm(root, { recursive: true, force: true });
});

describe("kill -9 of one of two merr worker processes on a shared Redis", () => {
  it("the other worker finishes the run: every stage of every sample executed once, none lost, none duplicated", async () => {
    root = await tempOutDir("merr-worker-kill-");
    const input = path.join(root, "clips");
    await copySampleClips(input, ["a", "b", "c"]);
    const out = path.join(root, "out");
    const redis = testRedisUrl();
    const worker = () => spawnMerr(["worker", "--profile", "all", "--redis", redis, "--prefix", prefix, "--log-level", "warn"]);
    const [victim, survivor] = [worker(), worker()];
    children.push(victim, survivor);
    const build = spawnMerr(["build", "--pipeline", "media", "--source", "folder", "--input", input, "--out", out, "--redis", redis, "--prefix", prefix, "--no-workers", "--log-level", "warn"]);
    children.push(build);
    // Kill the first worker once it has done some of the work (so it holds jobs of the run when it dies).
    for (let i = 0; i < 600 && (await readExecutions(out)).filter((e) => e.pid === victim.child.pid).length < 4; i++) await sleep(50);
    victim.child.kill("SIGKILL");
    await victim.exit;
    const atKill = await readExecutions(out);
    expect(atKill.length).toBeLessThan(54); // the run was not over

    expect(await build.exit).toBe(0);
    expect(build.stdout()).toMatch(/samples: 18 \(18 done/);
    // The victim runs at most one job per stage and core (media pipeline: 3 stages, 2 cores here).
    const all = await expectEachStageRanOnce(out, 18, 3, { inFlight: 3 * Math.max(2, os.availableParallelism()) });
    expect(all.some((e) => e.pid === survivor.child.pid && !atKill.includes(e))).toBe(true);
    survivor.child.kill("SIGTERM");
    expect(await survivor.exit).toBe(0);
  });
});
