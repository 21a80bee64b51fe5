import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import media from "../../pipelines/media.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { readRunRecords } from "../../src/core/records.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { runBuild } from "../../src/runtime/run.ts";
import { loadSamples } from "../../src/sources/index.ts";
import { STAGES } from "../../src/stages/index.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const prefix = uniquePrefix();
let outDir = "";

afterAll(async () => {
  await dropPrefix(prefix);
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const countLines = async (file: string): Promise<number> =>
  (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean).length;

describe("runBuild on the bundled sample with real Redis and ffmpeg", () => {
  it("writes probe, audio and frames for each clip, then a rerun executes no stage", async () => {
    outDir = await tempOutDir();
    const samples = await loadSamples({ source: "sample" });
    expect(samples.map((s) => s.id)).toEqual([
      "1001_DFA_ANG_XX", "1001_DFA_DIS_XX", "1001_DFA_FEA_XX", "1001_DFA_HAP_XX", "1001_DFA_NEU_XX", "1001_DFA_SAD_XX",
    ]);
    const plan = compilePipeline(media);
    const common = {
      outDir, source: "sample", samples, plan, registry: new Map(STAGES), redis: testRedisUrl(), prefix,
      inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none" as const,
    };
    const first = await runBuild(common);
    expect(first.exitCode).toBe(0);
    expect(first.enqueued).toBe(6);
    expect(first.summary.samples.done).toBe(6);
    for (const s of samples) {
      const dir = path.join(outDir, "samples", s.id);
      expect((await stat(path.join(dir, "audio.wav"))).size).toBeGreaterThan(40_000);
      expect((await stat(path.join(dir, "frames", "000001.jpg"))).size).toBeGreaterThan(1000);
    }
    const records = [];
    for await (const r of readRunRecords(outDir)) records.push(r);
    expect(records).toHaveLength(6);
    const probe = records[0]?.stages.probe?.output as { width: number; height: number; frameCount: number; hasAudio: boolean };
    expect(probe).toMatchObject({ width: 480, height: 360, hasAudio: true });
    expect(probe.frameCount).toBeGreaterThan(40);
    expect(records[0]?.stages.probe?.provenance.ffprobe).toMatch(/ffprobe version/);
    const summary = JSON.parse(await readFile(path.join(outDir, "summary.json"), "utf8"));
    expect(summary.samples.done).toBe(6);
    const executions = await countLines(executionLogPath(outDir));
    expect(executions).toBe(18);

    const second = await runBuild(common);
    expect(second.enqueued).toBe(0);
    expect(second.alreadyDone).toBe(6);
    expect(await countLines(executionLogPath(outDir))).toBe(18);
  });

  it("redoes only the stage whose options changed", async () => {
    const samples = (await loadSamples({ source: "sample", limit: 2 }));
    const plan = compilePipeline(media, { "sample-frames": { fps: 4 } });
    const before = await countLines(executionLogPath(outDir));
    const res = await runBuild({
      outDir, source: "sample", samples, plan, registry: new Map(STAGES), redis: testRedisUrl(), prefix,
      inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
    });
    expect(res.enqueued).toBe(2);
    const lines = (await readFile(executionLogPath(outDir), "utf8")).split("\n").filter(Boolean).slice(before).map((l) => JSON.parse(l) as { stage: string });
    expect(lines.map((l) => l.stage).sort()).toEqual(["sample-frames", "sample-frames"]);
  });
});
