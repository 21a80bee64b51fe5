import { rm } from "node:fs/promises";
import { Queue, Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MerrError } from "../../src/core/errors.ts";
import { createMemoryLogger, silentLogger } from "../../src/core/logger.ts";
import { createRedis } from "../../src/core/redis.ts";
import { readStageRecord, writeStageRecord } from "../../src/core/records.ts";
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

/** Resolves when `name` has started for `sample`; `started` records that it has. */
const started = new Map<string, () => void>();
const startedPromise = new Map<string, Promise<void>>();
const whenStarted = (key: string): Promise<void> => {
  let p = startedPromise.get(key);
  if (!p) {
    p = new Promise<void>((resolve) => started.set(key, resolve));
    startedPromise.set(key, p);
  }
  return p;
};
const markStarted = (key: string): void => {
  void whenStarted(key);
  started.get(key)?.();
};

const out = z.object({ ok: z.boolean() });
const root = defineStage({ name: "root", version: 1, description: "", reads: [], options: z.object({}), output: out, run: async () => ({ ok: true }) });
/** Two stages that read root only, and each wait until the other has started: they deadlock unless they run side by side. */
const rendezvous = (name: string, other: string): AnyStage =>
  defineStage({
    name, version: 1, description: "", reads: [], needs: { root }, options: z.object({}), output: out,
    async run({ sample }) {
      markStarted(`${sample.id}/${name}`);
      await Promise.race([
        whenStarted(`${sample.id}/${other}`),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${other} did not start while ${name} ran: the branches were serialised`)), 5000)),
      ]);
      return { ok: true };
    },
  });
const left = rendezvous("left", "right");
const right = rendezvous("right", "left");
const join = defineStage({ name: "join", version: 1, description: "", reads: [], needs: { left, right }, options: z.object({}), output: out, run: async () => ({ ok: true }) });

describe("DAG scheduling on a real queue", () => {
  it("runs two stages that read the same stage side by side, then the stage that reads both once, after both", async () => {
    const outDir = await tempOutDir();
    dirs.push(outDir);
    const stages = [root, left, right, join];
    const pipeline = definePipeline({ name: "diamond", description: "", stages: stages.map((stage) => ({ stage, attempts: 1, concurrency: 2 })) });
    const res = await runBuild({
      outDir, source: "test", samples: ["s1", "s2"].map((id) => ({ id, path: `/nonexistent/${id}.mp4`, source: "test" })),
      plan: compilePipeline(pipeline), registry: new Map(stages.map((s) => [s.name, s])), redis: testRedisUrl(), prefix,
      inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
    });
    expect(res.summary.samples.done).toBe(2);
    for (const id of ["s1", "s2"]) {
      const [l, r, j] = await Promise.all(["left", "right", "join"].map((s) => readStageRecord(outDir, id, s)));
      expect(l?.status).toBe("done");
      expect(r?.status).toBe("done");
      expect(j?.status).toBe("done");
      // join started after both of its inputs had ended.
      expect(Date.parse(j?.startedAt ?? "")).toBeGreaterThanOrEqual(Math.max(Date.parse(l?.finishedAt ?? ""), Date.parse(r?.finishedAt ?? "")));
    }
  });
});

/** a fails for good while `failA` holds; b needs a; c needs a and uses b (runs without it when b has no result). */
let failA = true;
const stageA = defineStage({
  name: "a", version: 1, description: "", reads: [], options: z.object({}), output: out,
  run: async () => {
    if (failA) throw new MerrError("E_MEDIA_INVALID", "a: the clip cannot be read (this test's first build)");
    return { ok: true };
  },
});
const stageB = defineStage({ name: "b", version: 1, description: "", reads: [], needs: { a: stageA }, options: z.object({}), output: out, run: async () => ({ ok: true }) });
const stageC = defineStage({
  name: "c", version: 1, description: "", reads: [], needs: { a: stageA }, uses: { b: stageB }, options: z.object({}), output: z.object({ sawB: z.boolean() }),
  run: async ({ deps }) => ({ sawB: deps.b !== undefined }),
});

describe("resuming after an interrupted build", () => {
  it("a redone stage's successors wait for it: jobs an earlier build left waiting and its failure records do not run them early", async () => {
    const outDir = await tempOutDir();
    dirs.push(outDir);
    const stages = [stageA, stageB, stageC];
    const pipeline = definePipeline({ name: "chain", description: "", stages: stages.map((stage) => ({ stage, attempts: 1, concurrency: 1 })) });
    const build = () =>
      runBuild({
        outDir, source: "test", samples: [{ id: "s1", path: "/nonexistent/s1.mp4", source: "test" }],
        plan: compilePipeline(pipeline), registry: new Map(stages.map((s) => [s.name, s])), redis: testRedisUrl(), prefix,
        inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
      });
    // 1. a fails for good (say, a Ctrl-C recorded as a broken clip): b and c record an upstream failure.
    expect((await build()).summary.samples.failed).toBe(1);
    expect((await readStageRecord(outDir, "s1", "c"))?.skip?.code).toBe("upstream-failed");
    // 2. As a build interrupted at that point leaves them: the later jobs still waiting in Redis.
    for (const name of ["b", "c", "finalize"]) {
      const connection = createRedis(testRedisUrl());
      const queue = new Queue(name, { connection, prefix });
      for (const job of await queue.getJobs(["completed", "failed"])) {
        if (!job.id) continue;
        await job.remove();
        await queue.add(job.name, job.data, { jobId: job.id });
      }
      await queue.close();
      await connection.quit();
      await dropPrefix(`${prefix}-other`);
    }
    // 3. The next build redoes a; b and c run after it, and the sample is finished only then.
    failA = false;
    const res = await build();
    expect(res.summary.samples.done).toBe(1);
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((s) => readStageRecord(outDir, "s1", s)));
    expect([a?.status, b?.status, c?.status]).toEqual(["done", "done", "done"]);
    expect(c?.output).toEqual({ sawB: true });
    expect(Date.parse(c?.startedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(b?.finishedAt ?? ""));
  });
});

/** t fails while `failT` holds; u needs a root and uses t. */
let failT = true;
const stageT = defineStage({
  name: "t", version: 1, description: "", reads: [], options: z.object({}), output: out,
  run: async () => {
    if (failT) throw new MerrError("E_MODEL_UNAVAILABLE", "t: the tone model timed out (this test's first build)", { retryable: false });
    return { ok: true };
  },
});
const stageU = defineStage({
  name: "u", version: 1, description: "", reads: [], needs: { root }, uses: { t: stageT }, options: z.object({}), output: z.object({ sawT: z.boolean() }),
  run: async ({ deps }) => ({ sawT: deps.t !== undefined }),
});

describe("a used stage that failed", () => {
  it("skips the stages that use it (no caption made without the failed clue); after its retry they run with what it gives", async () => {
    const outDir = await tempOutDir();
    dirs.push(outDir);
    const stages = [root, stageT, stageU];
    const pipeline = definePipeline({ name: "uses", description: "", stages: stages.map((stage) => ({ stage, attempts: 1, concurrency: 1 })) });
    let toRun: Record<string, number> = {};
    const build = () =>
      runBuild({
        outDir, source: "test", samples: [{ id: "s1", path: "/nonexistent/s1.mp4", source: "test" }],
        plan: compilePipeline(pipeline), registry: new Map(stages.map((s) => [s.name, s])), redis: testRedisUrl(), prefix: `${prefix}-uses`,
        inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none", onEnqueued: (e) => (toRun = e.toRun),
      });
    expect((await build()).summary.samples.failed).toBe(1);
    const skipped = await readStageRecord(outDir, "s1", "u");
    expect(skipped).toMatchObject({ status: "skipped", skip: { code: "upstream-failed", message: expect.stringMatching(/^t failed: \[E_MODEL_UNAVAILABLE\] t: the tone model timed out/) } });
    // As an earlier merr left it: u made without the failed t. It is made again after t's retry all the same.
    const { skip: _skip, ...rest } = skipped!;
    await writeStageRecord(outDir, "s1", { ...rest, status: "done", output: { sawT: false } });
    failT = false;
    expect((await build()).summary.samples.done).toBe(1);
    expect(toRun).toEqual({ root: 0, t: 1, u: 1 });
    expect(await readStageRecord(outDir, "s1", "u")).toMatchObject({ status: "done", output: { sawT: true } });
    await dropPrefix(`${prefix}-uses`);
  });
});

/** A one-stage build without workers of its own under `p`, whose unserved queues read "nobody serves <queues>". */
async function buildAlone(p: string, logger: ReturnType<typeof createMemoryLogger>, signal: AbortSignal, timing: { graceMs: number; checkMs: number }) {
  const outDir = await tempOutDir();
  dirs.push(outDir);
  return runBuild({
    outDir, source: "test", samples: [{ id: "s1", path: "/nonexistent/s1.mp4", source: "test" }],
    plan: compilePipeline(definePipeline({ name: "alone", description: "", stages: [{ stage: root, attempts: 1 }] })), registry: new Map([[root.name, root]]),
    redis: testRedisUrl(), prefix: p, inProcessWorkers: false, settings: {}, logger, progress: "none", signal,
    unservedGraceMs: timing.graceMs, unservedCheckMs: timing.checkMs, describeUnserved: (queues) => `nobody serves ${queues.join(", ")}`,
  });
}

describe("a build without workers of its own", () => {
  it("says when its jobs wait on queues that no worker serves (a worker on another prefix does not count), once", async () => {
    const logger = createMemoryLogger();
    const stop = new AbortController();
    // A worker that serves the queue under another prefix, as when `merr worker` was given the wrong --prefix.
    const connection = createRedis(testRedisUrl(), { maxRetriesPerRequest: null });
    const elsewhere = new Worker("root", async () => ({ ok: true }), { connection, prefix: `${prefix}-other` });
    const startedAt = Date.now();
    const build = buildAlone(prefix, logger, stop.signal, { graceMs: 1500, checkMs: 500 });
    try {
      const said = () => logger.entries.filter((e) => e.level === "warn" && e.msg.startsWith("nobody serves"));
      const deadline = Date.now() + 20_000;
      while (said().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(said().map((e) => e.msg)).toEqual(["nobody serves root"]);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1500);
      // Said once while nothing changes.
      await new Promise((r) => setTimeout(r, 2500));
      expect(said()).toHaveLength(1);
    } finally {
      stop.abort();
      await build;
      await elsewhere.close();
      await connection.quit();
      await dropPrefix(`${prefix}-other`);
    }
    expect((await build).interrupted).toBe(true);
  }, 40_000);

  it("says when Redis no longer holds any of its jobs while samples are unfinished (a flushed or restarted Redis)", async () => {
    const own = `${prefix}-lost`;
    const logger = createMemoryLogger();
    const stop = new AbortController();
    const build = buildAlone(own, logger, stop.signal, { graceMs: 1000, checkMs: 300 });
    try {
      const said = (start: string) => logger.entries.filter((e) => e.level === "warn" && e.msg.startsWith(start));
      const waitFor = async (start: string) => {
        const deadline = Date.now() + 20_000;
        while (said(start).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      };
      await waitFor("nobody serves");
      expect(said("merr build: none of this build's jobs")).toEqual([]);
      await dropPrefix(own); // the queued job is gone
      await waitFor("merr build: none of this build's jobs");
      expect(said("merr build: none of this build's jobs").map((e) => e.msg)).toEqual([
        "merr build: none of this build's jobs has been in Redis for 1 s, yet 1 sample is unfinished: Redis has lost them (restarted without persistence, flushed, or its keys deleted). Stop this build (Ctrl-C) and build again: it resumes from the records on disk",
      ]);
    } finally {
      stop.abort();
      await build;
      await dropPrefix(own);
    }
  }, 40_000);

  it("says nothing while a worker of its prefix holds its job (an active job counts as served)", async () => {
    const own = `${prefix}-served`;
    const logger = createMemoryLogger();
    const stop = new AbortController();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const connection = createRedis(testRedisUrl(), { maxRetriesPerRequest: null });
    // A worker that takes the job and keeps it active until the end of the test.
    const worker = new Worker("root", async () => {
      await held;
      return { ok: true };
    }, { connection, prefix: own });
    const build = buildAlone(own, logger, stop.signal, { graceMs: 1000, checkMs: 300 });
    try {
      await new Promise((r) => setTimeout(r, 3500));
      expect(logger.entries.filter((e) => e.msg.startsWith("nobody serves"))).toEqual([]);
    } finally {
      stop.abort();
      await build;
      release();
      await worker.close();
      await connection.quit();
      await dropPrefix(own);
    }
  }, 40_000);
});
