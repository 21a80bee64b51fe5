import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MerrError } from "../../src/core/errors.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { readSampleRecord, readStageRecord } from "../../src/core/records.ts";
import { definePipeline } from "../../src/runtime/define.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { runBuild } from "../../src/runtime/run.ts";
import { defineStage, type AnyStage } from "../../src/stages/_stage.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const prefix = uniquePrefix();
const dirs: string[] = [];
afterAll(async () => {
  await dropPrefix(prefix);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const calls = new Map<string, number>();
const flaky = defineStage({
  name: "flaky",
  version: 1,
  description: "fails once (retryable), then succeeds; 'bad' samples fail permanently",
  options: z.object({}),
  output: z.object({ tries: z.number() }),
  async run({ sample }) {
    const n = (calls.get(sample.id) ?? 0) + 1;
    calls.set(sample.id, n);
    if (sample.id.startsWith("bad")) throw new MerrError("E_MEDIA_INVALID", `${sample.id} is not a video`);
    if (n === 1) throw new MerrError("E_MODEL_UNAVAILABLE", "server busy (429)");
    return { tries: n };
  },
});
const after = defineStage({
  name: "after",
  version: 1,
  description: "needs flaky",
  needs: { flaky },
  options: z.object({}),
  output: z.object({ ok: z.boolean() }),
  run: async () => ({ ok: true }),
});

async function build(stages: AnyStage[], policy: Record<string, object>, ids: string[], reuse?: string) {
  const outDir = reuse ?? (await tempOutDir());
  dirs.push(outDir);
  const pipeline = definePipeline({ name: "policy", description: "", stages: stages.map((stage) => ({ stage, ...(policy[stage.name] ?? {}) })) });
  const started = Date.now();
  const res = await runBuild({
    outDir, source: "test", samples: ids.map((id) => ({ id, path: `/nonexistent/${id}.mp4`, source: "test" })),
    plan: compilePipeline(pipeline), registry: new Map(stages.map((s) => [s.name, s])), redis: testRedisUrl(), prefix,
    inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
  });
  return { res, outDir, ms: Date.now() - started };
}

describe("stage policies on a real queue", () => {
  it("retries a retryable failure with backoff and fails a permanent one at once, naming the code", async () => {
    const { res, outDir } = await build([flaky, after], { flaky: { attempts: 3, backoffMs: 200 } }, ["good_1", "bad_1"]);
    expect(res.exitCode).toBe(2);
    expect(calls.get("good_1")).toBe(2);
    expect(calls.get("bad_1")).toBe(1); // no attempt wasted on a permanent error
    expect(await readStageRecord(outDir, "good_1", "flaky")).toMatchObject({ status: "done", attempt: 2, output: { tries: 2 } });
    const bad = await readSampleRecord(outDir, "bad_1");
    expect(bad?.status).toBe("failed");
    expect(bad?.reasons[0]).toMatchObject({ stage: "flaky", code: "E_MEDIA_INVALID" });
    expect(bad?.stages.after).toBe("skipped");
    expect((await readStageRecord(outDir, "bad_1", "after"))?.skip?.code).toBe("upstream-failed");
  });

  it("rate-limits a stage across its workers", async () => {
    const quick = defineStage({ name: "quick", version: 1, description: "", options: z.object({}), output: z.object({}), run: async () => ({}) });
    const { res, ms } = await build([quick], { quick: { concurrency: 8, rateLimit: { max: 2, durationMs: 1000 } } }, ["a", "b", "c", "d", "e", "f"]);
    expect(res.summary.samples.done).toBe(6);
    // 6 jobs at 2 per second: the third window opens after at least 2 s.
    expect(ms).toBeGreaterThanOrEqual(2000);
  });

  it("a rebuild retries a failed stage and runs the successors that were skipped because of it", async () => {
    let broken = true;
    const source = defineStage({
      name: "source", version: 1, description: "fails permanently while `broken`", options: z.object({}), output: z.object({}),
      run: async () => {
        if (broken) throw new MerrError("E_MEDIA_INVALID", "not yet");
        return {};
      },
    });
    const ran: string[] = [];
    const mid = defineStage({ name: "mid", version: 1, description: "", needs: { source }, options: z.object({}), output: z.object({}), run: async () => (ran.push("mid"), {}) });
    const end = defineStage({ name: "end", version: 1, description: "", needs: { mid }, options: z.object({}), output: z.object({}), run: async () => (ran.push("end"), {}) });
    const first = await build([source, mid, end], {}, ["x"]);
    expect(first.res.exitCode).toBe(2);
    expect((await readStageRecord(first.outDir, "x", "mid"))?.skip?.code).toBe("upstream-failed");
    expect((await readStageRecord(first.outDir, "x", "end"))?.skip?.code).toBe("upstream-skipped");
    broken = false;
    const second = await build([source, mid, end], {}, ["x"], first.outDir);
    expect(second.res.enqueued).toBe(1);
    expect(second.res.exitCode).toBe(0);
    expect(ran).toEqual(["mid", "end"]);
    expect((await readSampleRecord(first.outDir, "x"))?.status).toBe("done");
  });
});
