import { realpathSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { Queue } from "bullmq";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { entryFromRecords } from "../../src/core/merr-entry.ts";
import { readFormerFingerprints, readSampleRecord, readStageRecord } from "../../src/core/records.ts";
import { readSampleRecordsSync } from "../../src/export/load-entries.ts";
import { appendReview, foldReviews, loadReviews } from "../../src/core/reviews.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { createRedis } from "../../src/core/redis.ts";
import { createStageWorkers } from "../../src/runtime/bull.ts";
import { ResourcePool } from "../../src/runtime/context.ts";
import type { Sample } from "../../src/core/types.ts";
import { definePipeline } from "../../src/runtime/define.ts";
import { legacyFingerprints, mediaIdentity, sampleFingerprint } from "../../src/runtime/fingerprint.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { runBuild, type EnqueuedCounts } from "../../src/runtime/run.ts";
import { defineStage } from "../../src/stages/_stage.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const prefix = uniquePrefix();
const dirs: string[] = [];
afterAll(async () => {
  await dropPrefix(prefix);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Every run of a stage, as `sample/stage`. */
const runs: string[] = [];
/** read leaves a file in the sample's folder and names it by absolute path, as merr's stages do; after reads it. */
const read = defineStage({
  name: "read", version: 1, description: "", reads: ["media"], options: z.object({}), output: z.object({ file: z.string() }),
  run: async ({ sample }, ctx) => {
    runs.push(`${sample.id}/read`);
    const file = path.join(ctx.sampleDir, "bytes.txt");
    await writeFile(file, String((await readFile(sample.path)).length));
    return { file };
  },
});
const after = defineStage({
  name: "after", version: 1, description: "", reads: [], needs: { read }, options: z.object({}), output: z.object({ bytes: z.number() }),
  run: async ({ sample, deps }) => {
    runs.push(`${sample.id}/after`);
    return { bytes: Number(await readFile(deps.read.file, "utf8")) };
  },
});
const stages = [read, after];
const plan = compilePipeline(definePipeline({ name: "media-id", description: "", stages: stages.map((stage) => ({ stage, attempts: 1, concurrency: 1 })) }));

describe("the clip enters the fingerprints by its content (real queue, real files)", () => {
  it("a moved or touched clip, or a moved run folder, redoes nothing; records of the path-and-mtime scheme are taken over with their reviews; new content redoes all", async () => {
    const root = await tempOutDir("merr-media-id-");
    dirs.push(root);
    let outDir = path.join(root, "out");
    await mkdir(path.join(root, "old"));
    const first = path.join(root, "old", "clip.mp4");
    await writeFile(first, Buffer.alloc(3000, 5));
    const sampleAt = (p: string): Sample => ({ id: "clip", path: p, source: "test" });
    let counts: EnqueuedCounts | undefined;
    const build = async (sample: Sample): Promise<string[]> => {
      const before = runs.length;
      const res = await runBuild({
        outDir, source: "test", samples: [sample], plan, registry: new Map(stages.map((s) => [s.name, s])), redis: testRedisUrl(), prefix,
        inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none", onEnqueued: (e) => (counts = e),
      });
      expect(res.summary.samples.done).toBe(1);
      return runs.slice(before);
    };

    expect(await build(sampleAt(first))).toEqual(["clip/read", "clip/after"]);

    // Moved to another folder, its mtime changed on the way (a copy without timestamps): nothing runs again,
    // and sample.json names the clip where it is now.
    const moved = path.join(root, "new", "clip.mp4");
    await mkdir(path.dirname(moved));
    await rename(first, moved);
    await utimes(moved, new Date("2026-01-02T00:00:00Z"), new Date("2026-01-02T00:00:00Z"));
    expect(await build(sampleAt(moved))).toEqual([]);
    expect(counts).toMatchObject({ moved: 1, changed: 0, alreadyDone: 0, takenOver: 0 });
    expect(await readSampleRecord(outDir, "clip")).toMatchObject({ sample: { path: moved }, media: await mediaIdentity(moved) });
    expect(await build(sampleAt(moved))).toEqual([]);
    expect(counts).toMatchObject({ moved: 0, alreadyDone: 1 });
    // Touched in place: nothing runs, and sample.json takes the new mtime (the next build does not read the clip).
    await utimes(moved, new Date("2026-01-03T00:00:00Z"), new Date("2026-01-03T00:00:00Z"));
    expect(await build(sampleAt(moved))).toEqual([]);
    expect((await readSampleRecord(outDir, "clip"))?.media).toEqual(await mediaIdentity(moved));

    // Records as a merr before content identity wrote them (media keyed by path and mtime too, no `dir`),
    // with a review made on them: the build takes them over, runs nothing, and the review still applies.
    // (legacyFingerprints gives what that merr gave: test/unit/fingerprint.test.ts checks it against it.)
    const sample = sampleAt(moved);
    const legacy = legacyFingerprints(plan, sample, await mediaIdentity(moved));
    const asEarlierMerr = async (file: string, change: (r: Record<string, unknown>) => Record<string, unknown>) => {
      const { dir: _dir, ...rest } = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      await writeFile(file, JSON.stringify(change(rest)));
    };
    for (const stage of ["read", "after"]) {
      expect((await readStageRecord(outDir, "clip", stage))?.fingerprint).not.toBe(legacy[stage]);
      await asEarlierMerr(path.join(outDir, "samples", "clip", "stages", `${stage}.json`), (r) => ({ ...r, fingerprint: legacy[stage] }));
    }
    await asEarlierMerr(path.join(outDir, "samples", "clip", "sample.json"), (r) => ({ ...r, pipeline: `${plan.pipeline}@${sampleFingerprint(legacy)}` }));
    const inputs = entryFromRecords(readSampleRecordsSync(outDir, "clip")).inputs;
    expect(inputs).toEqual({ read: legacy.read, after: legacy.after });
    await appendReview(outDir, { schema: "merr.review/1", sample: "clip", action: "reject", reviewer: "ana", at: new Date().toISOString(), inputs });
    const review = async () => foldReviews((await loadReviews(outDir)).records, entryFromRecords(readSampleRecordsSync(outDir, "clip")).inputs);

    expect(await build(sample)).toEqual([]);
    expect(counts).toMatchObject({ takenOver: 1, alreadyDone: 1, changed: 0, moved: 0 });
    const taken = await readStageRecord(outDir, "clip", "read");
    expect(taken?.fingerprint).not.toBe(legacy.read);
    expect(readFormerFingerprints(outDir, "clip")).toEqual({ read: { fingerprint: taken?.fingerprint, former: legacy.read }, after: expect.objectContaining({ former: legacy.after }) });
    expect(await review()).toMatchObject({ decision: "rejected", applied: 1, stale: 0 });
    // Taken over once: the next build finds the sample finished under today's fingerprints.
    expect(await build(sample)).toEqual([]);
    expect(counts).toMatchObject({ takenOver: 0, alreadyDone: 1 });
    // A taken-over record made again under its new fingerprint (a retried failure; here its file deleted)
    // keeps the review current: it was made on these inputs.
    await rm(path.join(outDir, "samples", "clip", "stages", "after.json"));
    expect(await build(sample)).toEqual(["clip/after"]);
    expect(await review()).toMatchObject({ decision: "rejected", applied: 1, stale: 0 });

    // The run folder moved: its records still name their files under the old place. Nothing runs, and a
    // stage redone there reads its input's file where it is now.
    const movedOut = path.join(root, "out-moved");
    const before = JSON.parse(await readFile(path.join(outDir, "run.json"), "utf8")) as { runId: string; dir: string };
    expect(before.dir).toBe(realpathSync(outDir));
    await rename(outDir, movedOut);
    outDir = movedOut;
    expect(await build(sample)).toEqual([]);
    expect(counts).toMatchObject({ alreadyDone: 1 });
    // The moved folder runs under a new run id: jobs an earlier build left in Redis name the old place.
    const after = JSON.parse(await readFile(path.join(outDir, "run.json"), "utf8")) as { runId: string; dir: string };
    expect(after.dir).toBe(realpathSync(movedOut));
    expect(after.runId).not.toBe(before.runId);

    // Such a job (a build killed before the move left it queued) is dropped by the workers: it makes
    // nothing at the old place.
    const stale = `${prefix}-stale`;
    const workers = createStageWorkers({
      redis: testRedisUrl(), prefix: stale, stages: new Map(stages.map((s) => [s.name, s])), queues: [{ name: "read", concurrency: 1 }],
      logger: silentLogger, resources: new ResourcePool(), settings: {},
    });
    const connection = createRedis(testRedisUrl());
    const queue = new Queue("read", { connection, prefix: stale });
    try {
      const job = await queue.add("read", { runId: before.runId, outDir: before.dir, pipeline: plan.pipeline, sample, stage: "read", fingerprint: "x", prints: { read: "x" }, planKey: "none", options: {}, needs: [], uses: [], gates: [] });
      const deadline = Date.now() + 10_000;
      while ((await job.getState()) !== "failed" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await queue.getJob(job.id!))?.failedReason).toMatch(/^\[E_INPUT_INVALID\] .* no longer holds run r[0-9a-f]+ \(moved or deleted\): this job of an earlier build is dropped$/);
      expect(await stat(before.dir).catch(() => undefined)).toBeUndefined();
    } finally {
      await workers.close();
      await queue.close();
      await connection.quit().catch(() => undefined);
      await dropPrefix(stale);
    }
    expect((await readStageRecord(outDir, "clip", "read"))?.output).toEqual({ file: path.join(outDir, "samples", "clip", "bytes.txt") });
    await rm(path.join(outDir, "samples", "clip", "stages", "after.json"));
    expect(await build(sample)).toEqual(["clip/after"]);
    expect((await readStageRecord(outDir, "clip", "after"))?.output).toEqual({ bytes: 3000 });

    // Other bytes under the same name and size: every stage runs again, and the review no longer applies.
    await writeFile(moved, Buffer.alloc(3000, 6));
    expect(await build(sample)).toEqual(["clip/read", "clip/after"]);
    expect(counts).toMatchObject({ changed: 1 });
    expect(await review()).toMatchObject({ applied: 0, stale: 1, staleStages: ["after", "read"] });
  });
});
