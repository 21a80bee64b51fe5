import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { silentLogger } from "../../src/core/logger.ts";
import { readStageRecord } from "../../src/core/records.ts";
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
