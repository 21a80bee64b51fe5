import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runTool } from "../../src/adapters/tools/run-tool.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { auAnalyze } from "../../src/stages/au-analyze.ts";
import { auExtract, csvClipMismatch } from "../../src/stages/au-extract.ts";
import { peakFrame } from "../../src/stages/peak-frame.ts";
import { sampleFrames } from "../../src/stages/sample-frames.ts";
import type { ProbeOutput } from "../../src/stages/probe.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";

const NOTEBOOK = new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url).pathname;

let dir: string;
let clip: string;
const probeOf = (frameCount: number): ProbeOutput => ({
  durationS: 3.4, fps: 10, frameCount, width: 64, height: 48, hasVideo: true, hasAudio: false,
  container: "matroska,webm", sizeBytes: 1000,
});

beforeAll(async () => {
  dir = await tempOutDir("merr-au-stages-");
  // 30 frames whose luma encodes the frame number (Y = 8n), with a 0.5 s hole after frame 9 (variable frame rate).
  clip = path.join(dir, "clips", "talk.mkv");
  await mkdir(path.dirname(clip), { recursive: true });
  await runTool("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", "nullsrc=s=64x48:r=10:d=3,geq=lum='min(255\\,N*8)':cb=128:cr=128",
    "-vf", "settb=1/1000,setpts='if(lt(N\\,10)\\,N*0.1\\,N*0.1+0.5)/TB'", "-fps_mode", "passthrough", "-c:v", "mpeg4", "-q:v", "2", clip,
  ]);
});

async function meanLuma(jpeg: string): Promise<number> {
  const { stdoutBytes } = await runTool("ffmpeg", ["-v", "error", "-i", jpeg, "-f", "rawvideo", "-pix_fmt", "gray", "-"], { binary: true });
  return stdoutBytes.reduce((a, b) => a + b, 0) / stdoutBytes.length;
}
/** JPEG (full range) value of limited-range luma 8n. */
const lumaOf = (n: number) => ((8 * n - 16) * 255) / 219;

async function ctxFor(stage: string, sample: Sample) {
  return (await testContext({ outDir: dir, sample, stage })).ctx;
}

describe("au-extract with reuseCsv", () => {
  it("asks OpenFace for head pose and gaze unless told not to; the builtin's options (and fingerprint) stay as they were", () => {
    expect(auExtract.options.parse({ extractor: "openface" })).toMatchObject({ poseGaze: true });
    expect(auExtract.options.parse({ extractor: "openface", poseGaze: false })).toMatchObject({ poseGaze: false });
    expect(auExtract.options.parse({})).toEqual({ extractor: "builtin", xvfb: false, poseGaze: false, reuseCsv: false });
  });

  it("reuses <clip-dir>/openface/<stem>.csv, validates it and copies it to the sample folder", async () => {
    await mkdir(path.join(dir, "clips", "openface"), { recursive: true });
    await copyFile(NOTEBOOK, path.join(dir, "clips", "openface", "talk.csv"));
    const sample: Sample = { id: "talk", path: clip, source: "folder" };
    const r = await runStage(auExtract, { sample, options: { reuseCsv: true }, deps: { probe: probeOf(224) } }, await ctxFor("au-extract", sample));
    expect(r.status).toBe("done");
    const out = (r as { output: { csvPath: string; extractor: string; reusedFrom: string; frames: number; framesWithFace: number } }).output;
    expect(out).toMatchObject({ extractor: "openface", frames: 224, framesWithFace: 224, coverage: 1 });
    expect(out.reusedFrom).toBe(path.join(dir, "clips", "openface", "talk.csv"));
    expect(out.csvPath).toBe(path.join(dir, "samples", "talk", "au.csv"));
    expect(await readFile(out.csvPath, "utf8")).toBe(await readFile(NOTEBOOK, "utf8"));
  });

  it("skips with no-face when the CSV never tracked a face, and refuses a CSV that does not parse", async () => {
    const lost = path.join(dir, "clips", "lost.mkv");
    await copyFile(clip, lost);
    await writeFile(path.join(dir, "clips", "lost.csv"), "frame,face_id,timestamp,confidence,success,AU01_r,AU01_c\n1,0,0,0,0,0,0\n2,0,0.1,0,0,0,0\n");
    const sample: Sample = { id: "lost", path: lost, source: "folder" };
    const r = await runStage(auExtract, { sample, options: { reuseCsv: true }, deps: { probe: probeOf(2) } }, await ctxFor("au-extract", sample));
    expect(r).toMatchObject({ status: "skipped", skip: { code: "no-face" } });

    const broken = path.join(dir, "clips", "broken.mkv");
    await copyFile(clip, broken);
    await writeFile(path.join(dir, "clips", "broken.csv"), "not,an,openface,file\n1,2,3,4\n");
    const s2: Sample = { id: "broken", path: broken, source: "folder" };
    await expect(runStage(auExtract, { sample: s2, options: { reuseCsv: true }, deps: { probe: probeOf(30) } }, await ctxFor("au-extract", s2))).rejects.toThrow(
      /E_DATA_INVALID.*broken\.csv:1: not an OpenFace CSV/,
    );
  });

  it("refuses a CSV that spans other frames than the clip's (made from another clip), naming both and the fix", async () => {
    const other = path.join(dir, "clips", "other.mkv");
    await copyFile(clip, other);
    await copyFile(NOTEBOOK, path.join(dir, "clips", "other.csv"));
    const sample: Sample = { id: "other", path: other, source: "folder" };
    const run = async (frameCount: number) => runStage(auExtract, { sample, options: { reuseCsv: true }, deps: { probe: probeOf(frameCount) } }, await ctxFor("au-extract", sample));
    await expect(run(60)).rejects.toThrow(
      /E_DATA_INVALID.*other\.csv: not OpenFace's output for .*other\.mkv: it spans 224 frames, but the clip has 60 \(3\.4 s at 10 fps\).*move it away and build again/,
    );
    // A few frames apart (frame counting of variable frame rate files) is this clip's.
    expect((await run(210)).status).toBe("done");
    expect(csvClipMismatch(224, { frameCount: 0, durationS: 7.5, fps: 30 })).toBeUndefined();
    expect(csvClipMismatch(100, { frameCount: 0, durationS: 2, fps: 30 })).toMatch(/spans 100 frames, but the clip has 60/);
  });
});

describe("au-analyze", () => {
  it("labels, describes, records the rules hash, and writes the full analysis", async () => {
    const sample: Sample = { id: "talk", path: clip, source: "folder" };
    const csvPath = path.join(dir, "samples", "talk", "au.csv");
    const deps = { "au-extract": { csvPath, extractor: "openface", frames: 224, framesWithFace: 224, coverage: 1 } };
    const { ctx, provenance } = await testContext({ outDir: dir, sample, stage: "au-analyze" });
    const r = await runStage(auAnalyze, { sample, options: { rules: "mer-factory" }, deps }, ctx);
    expect(r.status).toBe("done");
    const out = (r as { output: Record<string, unknown> }).output;
    expect(out).toMatchObject({ pseu_emotion: "surprise", AU_list: ["AU05", "AU26"], peak_index: "221", frame_count: 224, peak_method: "mer-factory" });
    expect(out.peak_time_s).toBeCloseTo(14.733);
    expect((provenance.auRules as { hash: string }).hash).toMatch(/^[0-9a-f]{16}$/);
    const saved = JSON.parse(await readFile(out.analysisPath as string, "utf8")) as { decision: { status: string } };
    expect(saved.decision.status).toBe("labelled");

    // a stricter threshold filters the same clip out, with the reason
    const strict = await runStage(auAnalyze, { sample, options: { rules: "merr", intensityMin: 2.5 }, deps }, ctx);
    expect(strict).toMatchObject({ status: "skipped", skip: { code: "filtered-out" } });
    expect((strict as { skip: { message: string } }).skip.message).toMatch(/no AU rule fired/);

    // with a MERR ground truth (spellings folded) the clip goes on without a pseudo-label (keepLabelled);
    // blank, nan and disgust are no MERR label, and keepLabelled off filters as before
    const withLabel = async (label: string | undefined, keepLabelled?: boolean, mapLabel?: string) => {
      const s: Sample = { ...sample, ...(label === undefined ? {} : { label }) };
      const c = await testContext({ outDir: dir, sample: s, stage: "au-analyze" });
      const options = { rules: "merr", intensityMin: 2.5, ...(keepLabelled === undefined ? {} : { keepLabelled }), ...(mapLabel === undefined ? {} : { mapLabel }) };
      return runStage(auAnalyze, { sample: s, options, deps }, c.ctx);
    };
    for (const label of ["NEU", "Sadness"]) {
      const kept = await withLabel(label);
      expect(kept, label).toMatchObject({ status: "done", output: { decision: { status: "kept" } } });
      expect((kept as { output: Record<string, unknown> }).output.pseu_emotion).toBeUndefined();
    }
    for (const [label, keep] of [[undefined, undefined], [" ", undefined], ["nan", undefined], ["disgust", undefined], ["NEU", false]] as const) {
      expect(await withLabel(label, keep), `${label} ${keep}`).toMatchObject({ status: "skipped", skip: { code: "filtered-out" } });
    }
    // a label the fine stage's map (merr build --map-label) turns into a MERR label is kept as one; one it drops is not
    expect(await withLabel("disgust", undefined, "disgust=angry")).toMatchObject({ status: "done", output: { decision: { status: "kept" } } });
    expect(await withLabel("nan", undefined, "disgust=angry")).toMatchObject({ status: "skipped", skip: { code: "filtered-out" } });
    expect(await withLabel("disgust", undefined, "disgust=drop")).toMatchObject({ status: "skipped", skip: { code: "filtered-out" } });
    expect(await withLabel(" ", undefined, "*=neutral")).toMatchObject({ status: "skipped", skip: { code: "filtered-out" } });
  });
});

const peakAnalysis = (peakFrame: number, peakTime: number) => ({
  pseu_emotion: "happy", AU_list: ["AU06", "AU12"], visual_prior_list: ["Cheek Raiser", "Big smile"], peak_index: String(peakFrame),
  peak_AU_list: ["AU06", "AU12"], frame_count: 30, peak_frame: peakFrame, peak_row: peakFrame, peak_time_s: peakTime,
  peak_method: "paper", rules: { id: "merr", version: 1, hash: "0123456789abcdef" },
  rows: { total: 30, primary: 30, valid: 30, failed: 0, lowConfidence: 0, malformed: 0, otherFaces: 0 },
  candidates: [], label_aus: {}, decision: { status: "labelled", reason: "test" }, coverage: 1, analysisPath: "/dev/null",
});

describe("peak-frame", () => {
  const analysis = peakAnalysis;

  it("extracts exactly frame n of a variable-frame-rate clip", async () => {
    const sample: Sample = { id: "vfr", path: clip, source: "folder" };
    for (const n of [3, 17, 28]) {
      const r = await runStage(peakFrame, { sample, deps: { "au-analyze": analysis(n, 0), probe: probeOf(30) } }, await ctxFor("peak-frame", sample));
      const out = (r as { output: { imagePath: string; frameIndex: number; method: string } }).output;
      expect(out).toMatchObject({ frameIndex: n, method: "frame-number" });
      expect(Math.abs((await meanLuma(out.imagePath)) - lumaOf(n))).toBeLessThan(3);
    }
  });

  it("falls back to the CSV timestamp when the index is past the decoded frames", async () => {
    const sample: Sample = { id: "vfr-late", path: clip, source: "folder" };
    // frame 40 does not exist; its timestamp 1.6 s is frame 11 (frames 10.. start at 1.5 s)
    const r = await runStage(peakFrame, { sample, deps: { "au-analyze": analysis(40, 1.6), probe: probeOf(30) } }, await ctxFor("peak-frame", sample));
    const out = (r as { output: { imagePath: string; method: string } }).output;
    expect(out.method).toBe("timestamp");
    expect(Math.abs((await meanLuma(out.imagePath)) - lumaOf(11))).toBeLessThan(3);
  });
});

describe("anamorphic video (non-square pixels)", () => {
  it("peak-frame and sample-frames write the frames in square pixels, as a player shows them", async () => {
    // 336x360 stored, shown 10:7 wider (480x360): a circle stored squeezed.
    const squeezed = path.join(dir, "clips", "anamorphic.mkv");
    await runTool("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=336x360:r=10:d=1", "-vf", "setsar=10/7", "-c:v", "mpeg4", "-q:v", "3", squeezed]);
    const sample: Sample = { id: "anamorphic", path: squeezed, source: "folder" };
    const probe = { ...probeOf(10), width: 336, height: 360, pixelAspect: 10 / 7 };
    const size = async (image: string): Promise<string> =>
      (await runTool("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,sample_aspect_ratio", "-of", "csv=p=0", image])).stdout.trim();

    const peakDeps = (p: ProbeOutput) => ({ "au-analyze": peakAnalysis(4, 0.4), probe: p });
    const r = await runStage(peakFrame, { sample, deps: peakDeps(probe) }, await ctxFor("peak-frame", sample));
    expect(await size((r as { output: { imagePath: string } }).output.imagePath)).toMatch(/^480,360,1:1$/);
    // A stream with square pixels is written as it is stored.
    const plain: Sample = { id: "plain", path: clip, source: "folder" };
    const p2 = await runStage(peakFrame, { sample: plain, deps: peakDeps(probeOf(30)) }, await ctxFor("peak-frame", plain));
    expect(await size((p2 as { output: { imagePath: string } }).output.imagePath)).toMatch(/^64,48,/);

    const s = await runStage(sampleFrames, { sample, deps: { probe } }, await ctxFor("sample-frames", sample));
    const frames = (s as { output: { frames: Array<{ path: string }> } }).output.frames;
    expect(frames.length).toBeGreaterThan(0);
    expect(await size(frames[0]!.path)).toMatch(/^480,360,1:1$/);
  });
});
