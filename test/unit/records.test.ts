import { mkdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createMemoryLogger } from "../../src/core/logger.ts";
import {
  firstMissing,
  outputFilesOf,
  readRunRecords,
  readSampleRecord,
  readStageRecord,
  addFormerFingerprints,
  rebasePaths,
  sampleRecordPath,
  stageRecordPath,
  writeSampleRecord,
  writeStageRecord,
  type StageRecord,
} from "../../src/core/records.ts";
import type { Sample } from "../../src/core/types.ts";
import { readSampleRecordsSync } from "../../src/export/load-entries.ts";
import { entryFromRecords } from "../../src/core/merr-entry.ts";
import { ResourcePool } from "../../src/runtime/context.ts";
import { executeStageJob, finalizeSample, type JobPayload } from "../../src/runtime/execute.ts";
import { dataFilesHash } from "../../src/runtime/plan.ts";
import { counterOf } from "../../src/runtime/progress.ts";
import { summarizeRun } from "../../src/runtime/summary.ts";
import { defineStage } from "../../src/stages/_stage.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
let outDir: string;
beforeEach(async () => {
  outDir = await tempOutDir("merr-records-");
  dirs.push(outDir);
});

const sample: Sample = { id: "s1", path: "/clips/s1.flv", source: "folder" };
let runs = 0;
const first = defineStage({
  name: "first",
  version: 1,
  description: "test",
  options: z.object({}),
  output: z.object({ n: z.number() }),
  async run() {
    runs += 1;
    return { n: 1 };
  },
});
const second = defineStage({
  name: "second",
  version: 1,
  description: "test",
  needs: { first },
  options: z.object({}),
  output: z.object({ n: z.number() }),
  async run({ deps }) {
    return { n: deps.first.n + 1 };
  },
});

const payload = (stage: string, needs: string[] = []): JobPayload => ({
  runId: "r", outDir, pipeline: "test", fingerprint: `fp-${stage}`, prints: { first: "fp-first", second: "fp-second" }, planKey: "k",
  sample, stage, options: {}, needs, uses: [], stages: ["first", "second"],
});
const env = (logger = createMemoryLogger()) => ({
  logger, signal: new AbortController().signal, resources: new ResourcePool(), settings: {}, attempt: 1, attempts: 1,
});
const record = (stage: string, status: StageRecord["status"], extra: Partial<StageRecord> = {}): StageRecord => ({
  stage, version: 1, status, fingerprint: "f", provenance: {}, startedAt: "t", finishedAt: "t", durationMs: 0, attempt: 1, ...extra,
});
async function writeRaw(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

describe("record files", () => {
  it("a missing record is undefined; a corrupt or old-format one is E_RECORD_INVALID naming the file and the fix", async () => {
    expect(await readStageRecord(outDir, "s1", "first")).toBeUndefined();
    expect(await readSampleRecord(outDir, "s1")).toBeUndefined();
    const file = stageRecordPath(outDir, "s1", "first");
    await writeRaw(file, '{"stage": "first", "vers');
    await expect(readStageRecord(outDir, "s1", "first")).rejects.toThrow(/^\[E_RECORD_INVALID\] .*first\.json: not a stage record: not valid JSON .*delete it and build again/);
    await writeRaw(file, JSON.stringify({ stage: "first", status: "done" })); // an older layout: no version, fingerprint...
    const err = (await readStageRecord(outDir, "s1", "first").then(() => undefined, (e: unknown) => e)) as { code: string; message: string } | undefined;
    expect(err).toMatchObject({ code: "E_RECORD_INVALID" });
    expect(err?.message).toContain(file);
    expect(err?.message).toMatch(/version: .*fingerprint/);
    await writeRaw(sampleRecordPath(outDir, "s1"), "not json");
    await expect(readSampleRecord(outDir, "s1")).rejects.toThrow(/E_RECORD_INVALID.*sample\.json: not a sample record/);
  });

  it("a temp file a killed writer left beside a record (half or whole) is not read as a record", async () => {
    await writeStageRecord(outDir, "s1", record("first", "done"));
    const stages = path.dirname(stageRecordPath(outDir, "s1", "first"));
    // writeFileAtomic's temp names: dot-named, keeping the extension (a kill before the rename leaves one).
    await writeRaw(path.join(stages, ".second.4242.0badf00d.tmp.json"), '{"stage": "second", "vers');
    await writeRaw(path.join(stages, ".first.4242.deadbeef.tmp.json"), JSON.stringify(record("first", "failed")));
    const read = [];
    for await (const r of readRunRecords(outDir)) read.push(r);
    const [viaAsync] = read;
    expect(Object.keys(viaAsync?.stages ?? {})).toEqual(["first"]);
    expect(viaAsync?.stages.first?.status).toBe("done");
    const viaSync = readSampleRecordsSync(outDir, "s1");
    expect(Object.keys(viaSync.stages)).toEqual(["first"]);
    expect(viaSync.stages.first?.status).toBe("done");
  });

  it("finalize removes the temp files and folders a killed writer left, once they are 20 s old", async () => {
    await writeStageRecord(outDir, "s1", record("first", "done"));
    await writeStageRecord(outDir, "s1", record("second", "done"));
    const dir = path.dirname(sampleRecordPath(outDir, "s1"));
    const stages = path.join(dir, "stages");
    const old = new Date(Date.now() - 5 * 60_000);
    const leftovers = [path.join(stages, ".second.4242.0badf00d.tmp.json"), path.join(dir, ".audio.4242.deadbeef.tmp.wav"), path.join(dir, ".frames.4242.cafebabe.tmp")];
    await writeRaw(leftovers[0]!, '{"stage": "sec');
    await writeRaw(leftovers[1]!, "RIFF");
    await mkdir(leftovers[2]!);
    await writeRaw(path.join(leftovers[2]!, "000001.jpg"), "x");
    for (const f of leftovers) await utimes(f, old, old);
    // A temp file being written now, and files that only look alike, stay.
    const fresh = path.join(stages, ".first.4243.01234567.tmp.json");
    await writeRaw(fresh, "{");
    const keep = [path.join(dir, "peak.jpg"), path.join(dir, ".hidden"), path.join(dir, ".note.tmp.json")];
    for (const f of keep) {
      await writeRaw(f, "x");
      await utimes(f, old, old);
    }
    await finalizeSample(payload("finalize"));
    const exists = async (f: string) => stat(f).then(() => true, () => false);
    for (const f of leftovers) expect({ f, exists: await exists(f) }).toEqual({ f, exists: false });
    for (const f of [fresh, ...keep, stageRecordPath(outDir, "s1", "first")]) expect({ f, exists: await exists(f) }).toEqual({ f, exists: true });
  });

  it("keeps the labels of sample.json", async () => {
    await writeSampleRecord(outDir, {
      id: "s1", sample, status: "done", reasons: [], stages: { first: "done" }, labels: { pseudo: "happy", final: "happy" }, pipeline: "test@p", finishedAt: "t",
    });
    expect((await readSampleRecord(outDir, "s1"))?.labels).toEqual({ pseudo: "happy", final: "happy" });
  });
});

describe("an unreadable record in a run", () => {
  it("fails the stage that reads it with E_RECORD_INVALID, and the sample says so (not 'left no record')", async () => {
    const file = stageRecordPath(outDir, "s1", "first");
    await writeRaw(file, "{ truncated");
    await expect(executeStageJob(second, payload("second", ["first"]), env())).rejects.toMatchObject({ code: "E_RECORD_INVALID", retryable: false });
    const failed = await readStageRecord(outDir, "s1", "second");
    expect(failed).toMatchObject({ status: "failed", error: { code: "E_RECORD_INVALID" } });
    expect(failed?.error?.message).toContain(file);

    const rec = await finalizeSample(payload("finalize"));
    expect(rec.status).toBe("failed");
    expect(rec.stages).toEqual({ first: "failed", second: "failed" });
    expect(rec.reasons[0]).toMatchObject({ stage: "first", code: "E_RECORD_INVALID" });
    expect(rec.reasons[0]?.message).toContain(file);
    expect(JSON.stringify(rec)).not.toContain("left no record");
  });

  it("redoes the stage whose own record is unreadable, with a warning naming the file", async () => {
    const file = stageRecordPath(outDir, "s1", "first");
    await writeRaw(file, "[]");
    const logger = createMemoryLogger();
    const before = runs;
    const res = await executeStageJob(first, payload("first"), env(logger));
    expect(runs).toBe(before + 1);
    expect(res).toMatchObject({ executed: true, reused: false, record: { status: "done", output: { n: 1 } } });
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ stage: "first", status: "done" });
    const warning = logger.entries.find((e) => e.level === "warn");
    expect(warning?.fields).toMatchObject({ code: "E_RECORD_INVALID", file });
  });

  it("merr status counts a sample with an unreadable sample.json as failed, with the file", async () => {
    await writeStageRecord(outDir, "s1", record("first", "done", { output: { n: 1 } }));
    await writeRaw(sampleRecordPath(outDir, "s1"), "{");
    const summary = await summarizeRun(outDir, [sample], ["first"]);
    expect(summary.samples.failed).toBe(1);
    expect(summary.notDone[0]).toMatchObject({ id: "s1", status: "failed", code: "E_RECORD_INVALID" });
    expect(summary.notDone[0]?.message).toContain(sampleRecordPath(outDir, "s1"));
  });
});

describe("data files a job was planned with", () => {
  it("a worker whose data file differs from the build's fails the job (final), naming the file; the same file runs", async () => {
    const file = path.join(outDir, "rules.yaml");
    await writeRaw(file, "id: mine\n");
    let ran = 0;
    const withData = defineStage({
      name: "first",
      version: 1,
      description: "test",
      dataFiles: () => [file],
      options: z.object({}),
      output: z.object({ n: z.number() }),
      async run() {
        ran += 1;
        return { n: 1 };
      },
    });
    const planned = { ...payload("first"), dataHash: dataFilesHash([file]) };
    await writeRaw(file, "id: mine\nversion: 2\n"); // edited after the build planned the job
    await expect(executeStageJob(withData, planned, env())).rejects.toMatchObject({ code: "E_CONFIG_INVALID", retryable: false });
    expect(ran).toBe(0);
    const failed = await readStageRecord(outDir, "s1", "first");
    expect(failed).toMatchObject({ status: "failed", error: { code: "E_CONFIG_INVALID" } });
    expect(failed?.error?.message).toContain(file);
    await expect(executeStageJob(withData, { ...planned, dataHash: dataFilesHash([file]) }, env())).resolves.toMatchObject({ executed: true, record: { status: "done" } });
    expect(ran).toBe(1);
  });
});

describe("progress counters", () => {
  it("count a stage skipped after an upstream failure as skipped, a filtered sample as filtered, a reused record as reused", async () => {
    await writeStageRecord(outDir, "s1", record("first", "failed", { error: { code: "E_TOOL_FAILED", message: "boom" } }));
    const skipped = await executeStageJob(second, payload("second", ["first"]), env());
    expect(skipped.record.skip?.code).toBe("upstream-failed");
    expect(counterOf(skipped)).toBe("skipped");

    const ran = await executeStageJob(first, payload("first"), env());
    expect(counterOf(ran)).toBe("done");
    const again = await executeStageJob(first, payload("first"), env());
    expect(counterOf(again)).toBe("reused");
    expect(counterOf({ reused: false, record: { ...again.record, status: "skipped", skip: { code: "filtered-out", message: "no AU rule fired" } } })).toBe("filtered");
    expect(counterOf({ reused: false, record: { ...again.record, status: "skipped", skip: { code: "no-face", message: "no face" } } })).toBe("skipped");
  });
});

describe("a used stage that was skipped", () => {
  it("arrives as no output, with its skip's code and message beside the outputs", async () => {
    let seen: unknown;
    const user = defineStage({
      name: "second",
      version: 1,
      description: "test",
      uses: { first },
      options: z.object({}),
      output: z.object({ n: z.number() }),
      async run({ deps, skips }) {
        seen = { dep: deps.first, skips };
        return { n: 0 };
      },
    });
    await writeStageRecord(outDir, "s1", record("first", "skipped", { skip: { code: "no-audio", message: "the clip has no audio track" } }));
    await executeStageJob(user, { ...payload("second"), uses: ["first"] }, env());
    expect(seen).toEqual({ dep: undefined, skips: { first: { code: "no-audio", message: "the clip has no audio track" } } });
  });
});

describe("the files a stage record names", () => {
  it("are the paths in its output inside the sample's folder, a listed folder standing for its files; none unless done", async () => {
    const out = "/runs/r";
    const dir = path.join(out, "samples", "s1");
    const output = {
      wavPath: path.join(dir, "audio.wav"),
      framesDir: path.join(dir, "frames"),
      frames: [path.join(dir, "frames", "000001.jpg"), path.join(dir, "frames", "000002.jpg")],
      encoders: { "HL-UTT": { file: path.join(dir, "features", "HL-UTT.npy") } },
      clip: "/clips/s1.mp4", // the source clip is not the run's
      other: path.join(out, "samples", "s10", "audio.wav"), // another sample's folder
    };
    expect(outputFilesOf(out, "s1", { status: "done", output })).toEqual([output.wavPath, output.framesDir, output.encoders["HL-UTT"].file]);
    expect(outputFilesOf(out, "s1", { status: "skipped", output })).toEqual([]);
    const tmp = await tempOutDir();
    await writeFile(path.join(tmp, "here"), "");
    expect(firstMissing([path.join(tmp, "here"), path.join(tmp, "gone")])).toBe(path.join(tmp, "gone"));
    expect(firstMissing([path.join(tmp, "here")])).toBeUndefined();
  });
});

describe("rebasePaths (a run folder moved or copied elsewhere)", () => {
  it("turns paths under the folder a record was written in into the same paths in this one, and leaves everything else", () => {
    const here = path.resolve("/data/run", "samples", "s1");
    const output = {
      csvPath: "/old/place/run/samples/s1/au.csv",
      framesDir: "/old/place/run/samples/s1",
      frames: ["/old/place/run/samples/s1/frames/f1.jpg", `${here}/frames/f2.jpg`],
      clip: "/clips/samples/s1/s1.mp4",
      reusedFrom: "/clips/samples/s1/s1.csv",
      other: "/old/place/run/samples/s10/au.csv",
      note: "au.csv is at /old/place/run/samples/s1/au.csv",
      nested: { n: 3, ok: true, none: null },
    };
    expect(rebasePaths(output, "/data/run", "s1", "/old/place/run/samples/s1")).toEqual({
      ...output,
      csvPath: `${here}/au.csv`,
      framesDir: here,
      frames: [`${here}/frames/f1.jpg`, `${here}/frames/f2.jpg`],
    });
    expect(rebasePaths(output, "/data/run", "s1", here)).toBe(output);
  });

  it("a record of a merr before `dir`: a path into some samples/<id>/ moves here only when it is gone and its namesake here exists", async () => {
    const root = await tempOutDir("merr-rebase-");
    dirs.push(root);
    const here = path.join(root, "run", "samples", "s1");
    const clips = path.join(root, "clips", "samples", "s1");
    await mkdir(here, { recursive: true });
    await mkdir(clips, { recursive: true });
    await writeFile(path.join(here, "au.csv"), "x");
    await writeFile(path.join(clips, "s1.csv"), "x");
    const output = { csvPath: "/gone/run/samples/s1/au.csv", reusedFrom: path.join(clips, "s1.csv"), wav: "/gone/run/samples/s1/audio.wav" };
    expect(rebasePaths(output, path.join(root, "run"), "s1")).toEqual({ ...output, csvPath: path.join(here, "au.csv") });
    // A copy of such a run, its original still there: the one folder its paths lead into is the original's.
    const original = path.join(root, "orig", "samples", "s1");
    await mkdir(original, { recursive: true });
    await writeFile(path.join(original, "au.csv"), "x");
    const copied = { csvPath: path.join(original, "au.csv"), sidecarPath: path.join(original, "au.sidecar.json"), frames: [path.join(original, "frames")] };
    expect(rebasePaths(copied, path.join(root, "run"), "s1")).toEqual({ csvPath: path.join(here, "au.csv"), sidecarPath: path.join(here, "au.sidecar.json"), frames: [path.join(here, "frames")] });
  });

  it("records are written with the folder they are in; a taken-over stage's reviews count under its former fingerprint while it keeps the one given then", async () => {
    const root = await tempOutDir("merr-former-");
    dirs.push(root);
    const base: StageRecord = { stage: "probe", version: 1, status: "skipped", skip: { code: "upstream-failed", message: "x" }, fingerprint: "new", provenance: {}, startedAt: "", finishedAt: "", durationMs: 0, attempt: 1 };
    await writeStageRecord(root, "s1", base);
    expect(await readStageRecord(root, "s1", "probe")).toMatchObject({ fingerprint: "new", dir: path.resolve(root, "samples", "s1") });
    await addFormerFingerprints(root, "s1", { probe: { fingerprint: "new", former: "old" } });
    expect(entryFromRecords(readSampleRecordsSync(root, "s1")).inputs).toEqual({ probe: "old" });
    await writeStageRecord(root, "s1", { ...base, fingerprint: "other" });
    expect(entryFromRecords(readSampleRecordsSync(root, "s1")).inputs).toEqual({ probe: "other" });
  });
});
