import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { writeSampleRecord, type SampleRecord, type StageRecord } from "../../src/core/records.ts";
import { faceToolsOf } from "../../src/runtime/execute.ts";
import { formatSummary, mixedToolsWarning, summarizeRun } from "../../src/runtime/summary.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const auExtract = (provenance: Record<string, unknown>, status: StageRecord["status"] = "done") =>
  ({ "au-extract": { stage: "au-extract", status, provenance } as unknown as StageRecord });
const BUILTIN = { extractor: "builtin", version: 10, human: "3.3.6", tfjs: "4.22.0", backend: "wasm", ffmpeg: "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers" };

describe("the tools a sample's face analysis ran with", () => {
  it("names the analyzer, its model runtime and the worker's ffmpeg, or OpenFace's binary", () => {
    expect(faceToolsOf(auExtract(BUILTIN))).toBe("builtin v10, human 3.3.6, tfjs 4.22.0 wasm, ffmpeg 5.1.9-0+deb12u1");
    // OpenFace: its path differs between machines with the same build, and it names no version.
    expect(faceToolsOf(auExtract({ extractor: "openface", openfaceBin: "/opt/OpenFace/FeatureExtraction" }))).toBe("openface");
    // A CSV reused from beside the clip, a failed stage, no record: nothing to compare.
    expect(faceToolsOf(auExtract({ extractor: "openface", reusedFrom: "/clips/a.csv" }))).toBe("OpenFace CSV beside the clip");
    expect(faceToolsOf(auExtract(BUILTIN, "failed"))).toBeUndefined();
    expect(faceToolsOf({})).toBeUndefined();
  });

  it("the run summary warns when a run's samples were analysed under several tool sets, and only then", async () => {
    expect(mixedToolsWarning({ "builtin v10, ffmpeg 5.1.9": 12 })).toBeUndefined();
    expect(mixedToolsWarning({})).toBeUndefined();
    // A record made before the ffmpeg version was recorded is not another set by itself...
    expect(mixedToolsWarning({ "builtin v10, human 3.3.6": 5, "builtin v10, human 3.3.6, ffmpeg 5.1.9": 7 })).toBeUndefined();
    // ...but another analyzer is.
    expect(mixedToolsWarning({ "builtin v9, human 3.3.6": 5, "builtin v10, human 3.3.6, ffmpeg 5.1.9": 7 })).toMatch(/2 tool sets/);
    // CSVs beside some clips (--reuse-openface-csv), the built-in analyzer for the others: said, with how to use one source.
    expect(mixedToolsWarning({ "OpenFace CSV beside the clip": 4, "builtin v12, human 3.3.6, ffmpeg 5.1.9": 2 })).toBe(
      "the AUs come from 2 sources: OpenFace CSV beside the clip (4 samples); builtin v12, human 3.3.6, ffmpeg 5.1.9 (2 samples). " +
        "A run's pseudo-labels are most alike from one source: put OpenFace's CSV beside every clip, or build with --set au-extract.extractor=openface (OpenFace runs for the clips without one)",
    );
    expect(mixedToolsWarning({ "OpenFace CSV beside the clip": 4 })).toBeUndefined();
    // ...and with OpenFace run for the clips without one, as the warning advises: one source, no warning.
    expect(mixedToolsWarning({ "OpenFace CSV beside the clip": 4, openface: 2 })).toBeUndefined();
    const run = await tempOutDir("merr-tools-");
    dirs.push(run);
    const tools = ["builtin v10, human 3.3.6, tfjs 4.22.0 wasm, ffmpeg 5.1.9", "builtin v10, human 3.3.6, tfjs 4.22.0 wasm, ffmpeg 6.1.1", "builtin v10, human 3.3.6, tfjs 4.22.0 wasm, ffmpeg 5.1.9"];
    const samples = tools.map((_, i) => ({ id: `s${i}`, path: `/clips/s${i}.mp4`, source: "folder" }));
    for (const [i, t] of tools.entries()) {
      const rec: SampleRecord = {
        id: `s${i}`, sample: samples[i]!, status: "done", reasons: [], stages: { "au-extract": "done" }, faceTools: t, pipeline: "merr@x", finishedAt: new Date(0).toISOString(),
      };
      await writeSampleRecord(run, rec);
    }
    const summary = await summarizeRun(run, samples, ["au-extract"]);
    expect(summary.faceTools).toEqual({ [tools[0]!]: 2, [tools[1]!]: 1 });
    expect(formatSummary(summary)).toMatch(/warning: face analysis ran under 2 tool sets: .*ffmpeg 5\.1\.9 \(2 samples\); .*ffmpeg 6\.1\.1 \(1 sample\)\. The same clip can give other AUs/);
    const same = await summarizeRun(run, [samples[0]!, samples[2]!], ["au-extract"]);
    expect(same.warnings).toEqual([]);
  });
});
