import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBuiltinExtractor, createFaceAnalyzer, FaceSidecarSchema, type FaceAnalyzer } from "../../src/adapters/face/builtin/index.ts";
import { humanPaths } from "../../src/adapters/face/builtin/human.ts";
import { AU_INTENSITY } from "../../src/adapters/face/types.ts";
import { readRawFrames } from "../../src/adapters/face/frames.ts";
import { projectPath } from "../../src/core/paths.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { analyzeAu } from "../../src/core/au-analysis.ts";
import { loadAuRuleSet } from "../../src/core/au-rules.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";
import { auAnalyze } from "../../src/stages/au-analyze.ts";
import { testContext } from "../helpers/stage-context.ts";

// One analyzer for the whole file: loading the WASM models costs seconds.
let analyzer: Promise<FaceAnalyzer>;
let dir: string;
const extractor = createBuiltinExtractor({ analyzer: () => analyzer });
const signal = new AbortController().signal;

function readCsv(file: string): { header: string[]; rows: Array<Record<string, number>> } {
  const [head, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  const header = (head ?? "").split(",");
  return { header, rows: lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], Number(v)]))) };
}

const mean = (rows: Array<Record<string, number>>, col: string) => rows.reduce((s, r) => s + (r[col] ?? 0), 0) / rows.length;

async function run(video: string, name: string, extra: { fps?: number; poseGaze?: boolean; rate?: "full" | "adaptive"; upright?: boolean } = {}) {
  const csvPath = path.join(dir, `${name}.csv`);
  const sidecarPath = path.join(dir, `${name}.face.json`);
  const result = await extractor.extract(video, { csvPath, sidecarPath, signal, ...extra });
  return { result, csv: readCsv(csvPath), sidecar: FaceSidecarSchema.parse(JSON.parse(readFileSync(sidecarPath, "utf8"))) };
}

/** The angry sample clip at 15 frames/s, as it is and through an ffmpeg filter, both analysed. */
async function angryAndFiltered(name: string, filter: string, extra: { upright?: boolean } = {}) {
  const from = ["-v", "error", "-y", "-i", projectPath("data/sample/1001_DFA_ANG_XX.flv"), "-an", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"];
  const [plain, filtered] = [path.join(dir, `ang-${name}-plain.mp4`), path.join(dir, `ang-${name}.mp4`)];
  execFileSync("ffmpeg", [...from, "-vf", "fps=15", plain]);
  execFileSync("ffmpeg", [...from, "-vf", `fps=15,${filter}`, filtered]);
  return [await run(plain, `ang-${name}-plain`, extra), await run(filtered, `ang-${name}`, extra)] as const;
}

beforeAll(async () => {
  analyzer = createFaceAnalyzer();
  dir = await mkdtemp(path.join(os.tmpdir(), "merr-face-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("built-in face analyzer", () => {
  it("finds the astronaut's face on every frame and rates her smile as AU12", async () => {
    const video = path.join(dir, "astronaut.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-loop", "1", "-i", projectPath("test/fixtures/images/astronaut.png"),
      "-t", "1", "-r", "10", "-vf", "scale=480:-2", "-pix_fmt", "yuv420p", video]);
    const { result, csv, sidecar } = await run(video, "astronaut", { poseGaze: true });
    expect(result.frames).toBe(10);
    expect(result.framesWithFace).toBe(10);
    expect(csv.rows.every((r) => r.success === 1)).toBe(true);
    expect(csv.rows.map((r) => r.frame)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(mean(csv.rows, "AU12_r")).toBeGreaterThan(1);
    expect(mean(csv.rows, "AU12_c")).toBe(1);
    expect(csv.header).toContain("pose_Rz");
    expect(sidecar.frameSize).toEqual({ width: 480, height: 480 });
    expect(sidecar.frames[0]?.face?.expression?.happy).toBeGreaterThan(0.5);
    expect(Math.abs(sidecar.frames[0]?.face?.headPose.yaw ?? 9)).toBeLessThan(0.5);
    // The expression classifier runs 5 times a second (every other frame at 10 frames/s), and the clip's
    // expression mean is the mean of those frames.
    const classified = sidecar.frames.filter((f) => f.face?.expression);
    expect(classified.map((f) => f.frame)).toEqual([1, 3, 5, 7, 9]);
    const happy = classified.reduce((s, f) => s + (f.face?.expression?.happy ?? 0), 0) / classified.length;
    expect(sidecar.expressionMean?.happy).toBeCloseTo(happy, 3);
  });

  it("reads a phone video stored rotated (display matrix) upright: the face on every frame", async () => {
    // The happy clip coded 480x360 with a 90-degree display rotation: ffmpeg decodes it 360x480.
    const coded = path.join(dir, "coded.mp4");
    const video = path.join(dir, "rotated.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", projectPath("data/sample/1001_DFA_HAP_XX.flv"), "-t", "1", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", coded]);
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", coded, "-c", "copy", "-metadata:s:v:0", "rotate=90", video]);
    const { result, sidecar } = await run(video, "rotated");
    expect(sidecar.frameSize).toEqual({ width: 360, height: 480 });
    expect(result.frames).toBeGreaterThan(20);
    expect(result.framesWithFace).toBe(result.frames);
  });

  it("analyses anamorphic video (non-square pixels) in square pixels: the AUs of the same clip stored unsqueezed", async () => {
    // The happy clip stored squeezed to 336x360 with a 10:7 sample aspect ratio (shown 480x360), as SD
    // television often is; and the same frames stored square.
    const clean = path.join(dir, "square.mp4");
    const squeezed = path.join(dir, "anamorphic.mp4");
    const from = ["-v", "error", "-y", "-i", projectPath("data/sample/1001_DFA_HAP_XX.flv"), "-an", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"];
    execFileSync("ffmpeg", [...from, "-vf", "fps=15", clean]);
    execFileSync("ffmpeg", [...from, "-vf", "fps=15,scale=336:360,setsar=10/7", squeezed]);
    const a = await run(clean, "square");
    const b = await run(squeezed, "anamorphic");
    expect(b.sidecar.frameSize).toEqual({ width: 336, height: 360 });
    expect(b.sidecar.analysedSize).toEqual({ width: 480, height: 360 });
    // Read squeezed, the cheek and upper-lip AUs of the smile vanished (AU06 mean 1.1 -> 0.01).
    for (const au of ["AU06_r", "AU10_r", "AU12_r", "AU25_r"]) {
      const want = mean(a.csv.rows, au);
      expect(Math.abs(mean(b.csv.rows, au) - want), au).toBeLessThan(0.3 * Math.max(1, want));
    }
    // Boxes are in the stored frame's pixels.
    for (const f of b.sidecar.frames) if (f.face) expect(f.face.box[0] + f.face.box[2]).toBeLessThanOrEqual(336 + 1);
  });

  it("reads a face in a 2.39:1 frame as in its 4:3 clip: the box keeps its size, no smile appears", async () => {
    // Human's detector squeezed a wide frame into a square: the angry clip pillarboxed to 2.39:1 had a
    // face box 1.6 times the face, and read AU06 1.7 and AU12 1.4 (a smile) against 0.3 and 0.2.
    const [a, b] = await angryAndFiltered("scope", "pad=860:360:190:0");
    expect(b.result.framesWithFace).toBe(b.result.frames);
    for (const au of ["AU04_r", "AU06_r", "AU10_r", "AU12_r", "AU25_r"]) {
      const want = mean(a.csv.rows, au);
      expect(Math.abs(mean(b.csv.rows, au) - want), au).toBeLessThan(0.3 * Math.max(1, want));
    }
    const width = (r: typeof a) => {
      const w = r.sidecar.frames.flatMap((f) => (f.face ? [f.face.box[2]] : [])).sort((x, y) => x - y);
      return w[w.length >> 1]!;
    };
    expect(width(b) / width(a)).toBeGreaterThan(0.9);
    expect(width(b) / width(a)).toBeLessThan(1.1);
  });

  it("with upright, reads a head tilting from side to side as the upright head: no brow raise or cheek raise appears", async () => {
    // Human turns a face upright only beyond 11.5 degrees; below that its mesh moves the brows and cheeks
    // with the tilt. Without `upright` the angry clip tilting +-12 degrees reads AU02 0.42, AU04 0.63 and
    // AU06 0.89 against 0.04, 0.24 and 0.31 upright.
    const [a, b] = await angryAndFiltered("tilting", "rotate=0.21*sin(2*PI*t/1.6):fillcolor=black", { upright: true });
    expect(b.result.provenance).toMatchObject({ upright: true });
    expect(b.sidecar.upright).toBe(true);
    expect(b.result.framesWithFace).toBe(b.result.frames);
    const drift = (x: typeof a, y: typeof a) => ["AU01_r", "AU02_r", "AU04_r", "AU06_r"].map((au) => Math.abs(mean(y.csv.rows, au) - mean(x.csv.rows, au)));
    for (const [i, d] of drift(a, b).entries()) expect(d, `AU ${i}`).toBeLessThan(0.2);
    // The control: the same clips without the option (the default) drift with the tilt.
    const [c, d] = await angryAndFiltered("tilting-default", "rotate=0.21*sin(2*PI*t/1.6):fillcolor=black");
    expect(d.result.provenance).not.toHaveProperty("upright");
    expect(d.sidecar.upright).toBeUndefined();
    expect(Math.max(...drift(c, d))).toBeGreaterThan(Math.max(...drift(a, b)) + 0.1);
    // The pose is the frame's: the head's roll follows the tilt (the points were mapped back from the turned picture).
    const rolls = b.sidecar.frames.flatMap((f) => (f.face ? [(f.face.headPose.roll * 180) / Math.PI] : []));
    expect(Math.max(...rolls) - Math.min(...rolls)).toBeGreaterThan(20);
  });

  it("writes success=0 rows and no face for colour bars", async () => {
    const video = path.join(dir, "bars.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "smptebars=size=320x240:rate=10:duration=0.5", "-pix_fmt", "yuv420p", video]);
    const { result, csv, sidecar } = await run(video, "bars");
    expect(result.framesWithFace).toBe(0);
    expect(result.frames).toBe(5);
    expect(csv.rows.every((r) => r.success === 0 && r.AU12_r === 0)).toBe(true);
    expect(sidecar.expressionMean).toBeNull();
    expect(sidecar.frames.every((f) => f.face === null && f.brightness > 50)).toBe(true);
  });

  it("rates the CREMA-D happy clip above the neutral one on AU06 and AU12 (OpenFace header)", async () => {
    const fps = 10; // a third of the frames keeps the test fast
    const happy = await run(projectPath("data/sample/1001_DFA_HAP_XX.flv"), "happy", { fps });
    const neutral = await run(projectPath("data/sample/1001_DFA_NEU_XX.flv"), "neutral", { fps });
    expect(happy.result.framesWithFace).toBe(happy.result.frames);
    expect(neutral.csv.header).toEqual(["frame", "face_id", "timestamp", "confidence", "success",
      ...AU_INTENSITY.map((a) => `${a}_r`), ...[...AU_INTENSITY.slice(0, 16), "AU28", "AU45"].map((a) => `${a}_c`)]);
    expect(mean(happy.csv.rows, "AU12_r")).toBeGreaterThan(mean(neutral.csv.rows, "AU12_r") + 0.5);
    expect(mean(happy.csv.rows, "AU06_r")).toBeGreaterThan(mean(neutral.csv.rows, "AU06_r"));
    // Sampling at 10 fps keeps the source frame numbers and times.
    expect(happy.csv.rows[1]?.frame).toBe(4);
    expect(happy.csv.rows[1]?.timestamp).toBeCloseTo(0.1, 2);
  });
});

describe("built-in face analyzer: analysis rate", () => {
  it("analyses every frame by default; the adaptive rate analyses fewer, densely around the peak, and labels the happy clip alike", async () => {
    const video = projectPath("data/sample/1001_DFA_HAP_XX.flv");
    const full = await run(video, "rate-full");
    const adaptive = await run(video, "rate-adaptive", { rate: "adaptive" });
    expect(full.sidecar.sampling?.mode ?? "full").toBe("full");
    expect(full.csv.rows.length).toBe(full.result.frames);
    expect(adaptive.sidecar.sampling).toMatchObject({ mode: "adaptive", coarseFps: 10 });
    expect(adaptive.csv.rows.length).toBeLessThan(full.csv.rows.length * 0.7);
    const rules = await loadAuRuleSet("merr");
    const label = (file: string) => analyzeAu(parseOpenFaceCsv(readFileSync(file, "utf8"), { file }), rules, { seed: "hap" }).pseu_emotion;
    expect(label(path.join(dir, "rate-full.csv"))).toBe("happy");
    expect(label(path.join(dir, "rate-adaptive.csv"))).toBe("happy");
  });
});

describe("built-in face analyzer on footage with more than one face or a cut", () => {
  const sample = (name: string) => projectPath(`data/sample/1001_DFA_${name}_XX.flv`);

  it("takes identity descriptors on the first three detections of a shot, and three again after a cut", async () => {
    const frames: Array<{ rgb: Uint8Array; width: number; height: number }> = [];
    for await (const f of readRawFrames(sample("NEU"), { maxWidth: 480 })) frames.push({ rgb: f.rgb.slice(), width: f.width, height: f.height });
    const described = await (await analyzer).session(async (analyse) => {
      const out: number[] = [];
      for (let i = 0; i < 55; i++) {
        const faces = await analyse(frames[i]!, { redetect: i === 40, expression: false });
        if (faces.some((f) => f.descriptor?.length)) out.push(i);
      }
      return out;
    });
    // The detector runs every 10th frame: frames 0, 10, 20 of the first shot; the cut at 40 restarts.
    expect(described).toEqual([0, 10, 20, 40, 50]);
  });

  it("follows the person present the longest when a second person is in frame part of the time", async () => {
    // Left: the neutral actor all along. Right: the fear clip, hidden behind a black box for the first 0.6 s.
    const video = path.join(dir, "two.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", sample("NEU"), "-i", sample("FEA"), "-filter_complex",
      "[0:v][1:v]hstack=2,drawbox=x=480:y=0:w=480:h=360:color=black:t=fill:enable='lt(t,0.6)',trim=duration=1.2[v]",
      "-map", "[v]", "-an", "-r", "10", "-pix_fmt", "yuv420p", video]);
    const { result, sidecar } = await run(video, "two");
    expect(result.framesWithFace).toBe(result.frames);
    // Half the frame changing at 0.6 s reads as a shot cut (ffmpeg's scdet would say so too): the left
    // person's track ends there and starts again, and the identity descriptors join the two.
    expect(sidecar.subject).toMatchObject({ coverage: 1, tracks: 3, identities: 2, cuts: 1, otherFaceOnlyFrames: 0 });
    // Every row describes the left person: the box never crosses into the right half.
    for (const f of sidecar.frames) {
      const box = f.face?.box ?? [960, 0, 0, 0];
      expect(box[0] + box[2]).toBeLessThan(480);
    }
  });

  it("shot, reverse shot, shot: follows the speaker through both of his shots and not the other person framed alike", async () => {
    // 0.8 s of the neutral actor; a cut to the astronaut, scaled and cropped so that her face box overlaps
    // his (IoU about 0.7: box overlap alone would continue his track on her face); a cut back to him with
    // his face 120 px further right (a new track that only his identity links to the first).
    const video = path.join(dir, "reverse-shot.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", sample("NEU"), "-loop", "1", "-framerate", "30000/1001", "-i", projectPath("test/fixtures/images/astronaut.png"),
      "-filter_complex",
      "[0:v]split[a][b];[a]trim=end=0.8,setpts=PTS-STARTPTS[s1];" +
        "[1:v]trim=end=0.8,scale=597:597,crop=480:360:46:0,format=yuv420p,setsar=1,setpts=PTS-STARTPTS[s2];" +
        "[b]trim=start=0.8,pad=600:360:120:0,crop=480:360:0:0,setpts=PTS-STARTPTS[s3];[s1][s2][s3]concat=n=3:v=1:a=0,format=yuv420p[v]",
      "-map", "[v]", "-r", "30000/1001", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", video]);
    const { result, csv, sidecar } = await run(video, "reverse-shot");
    const success = csv.rows.map((r) => r.success).join("");
    // 24 frames of him, 24 of her (no subject: success=0), then him to the end.
    expect(success).toMatch(/^1{24}0{24}1+$/);
    expect(result.framesWithFace).toBe(result.frames - 24);
    expect(sidecar.subject).toMatchObject({ tracks: 3, identities: 2, cuts: 2, otherFaceOnlyFrames: 24 });
    // The rows after the cut back are his face where it now is, to the right.
    const after = sidecar.frames.slice(48).flatMap((f) => (f.face ? [f.face.box[0]] : []));
    expect(Math.min(...after)).toBeGreaterThan(200);
    // The cuts made the analyzer detect afresh on the first frame of each shot.
    expect(sidecar.frames[48]?.face?.detected).toBe(true);
    // The adaptive rate finds the same cuts and people on its coarser rows.
    const adaptive = await run(video, "reverse-shot-adaptive", { rate: "adaptive" });
    expect(adaptive.sidecar.subject).toMatchObject({ coverage: sidecar.subject?.coverage, tracks: 3, identities: 2, cuts: 2 });
  });

  it("shot, reverse shot, shot of two men who look alike: the other man's frames are not the subject's", async () => {
    // Three photos of Human's face-match sheet (shipped in its npm package): the same man twice (tiles 1
    // and 2 of its first row) and, between them, the stranger most like him that the sheet has (tile 14;
    // descriptor similarity about 0.56-0.58 here: above Human's documented match level of 0.5, which
    // merged them, and under the 0.65 of three descriptors per shot).
    const sheet = path.join(humanPaths().humanDir, "assets/screenshot-facematch.jpg");
    // Each on his side of the room: a grey background for the man, a beige one for the stranger.
    const crop = (i: number, column: number, background: string) =>
      `[${i}:v]crop=100:100:${Math.round((column * 1920) / 18) + 3}:286,scale=200:200,pad=480:360:140:80:color=${background},` +
      `setsar=1,format=yuv420p,trim=duration=0.8,setpts=PTS-STARTPTS[s${i}]`;
    const compose = (name: string, backgrounds: [string, string, string]) => {
      const video = path.join(dir, `${name}.mp4`);
      execFileSync("ffmpeg", ["-v", "error", "-y", ...[0, 13, 1].flatMap(() => ["-loop", "1", "-framerate", "25", "-t", "0.8", "-i", sheet]),
        "-filter_complex", `${crop(0, 0, backgrounds[0])};${crop(1, 13, backgrounds[1])};${crop(2, 1, backgrounds[2])};[s0][s1][s2]concat=n=3:v=1:a=0[v]`,
        "-map", "[v]", "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", video]);
      return video;
    };
    // 20 frames of the man, 20 of the stranger (not the subject: success=0), 20 of the man again.
    const expected = `${"1".repeat(20)}${"0".repeat(20)}${"1".repeat(20)}`;
    const apart = await run(compose("look-alike", ["0x606060", "0xd0c8b0", "0x606060"]), "look-alike");
    expect(apart.csv.rows.map((r) => r.success).join("")).toBe(expected);
    expect(apart.sidecar.subject).toMatchObject({ tracks: 3, identities: 2, cuts: 2, otherFaceOnlyFrames: 20 });
    // All three before the same grey: the frame hardly changes at the cuts (scdet score about 5), the
    // face's box does (shots.ts FaceCuts); without that, box overlap carried one track across both cuts.
    const together = await run(compose("look-alike-same-background", ["0x606060", "0x606060", "0x606060"]), "look-alike-same-background");
    expect(together.csv.rows.map((r) => r.success).join("")).toBe(expected);
    expect(together.sidecar.subject).toMatchObject({ tracks: 3, identities: 2, cuts: 2 });
  });

  it("analyses a small face in a wide frame enlarged to the calibration's precision, in the region around it", async () => {
    // The happy clip shrunk to 240x180 inside a 960x540 frame: a face box of about 76 px (86-96 px before
    // analyzer version 12 padded wide frames for the detector), where the frame-width rule alone would
    // not enlarge at all (960 >= 720).
    const video = path.join(dir, "small-face.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", sample("HAP"), "-vf", "scale=240:180,pad=960:540:360:180,fps=10,trim=duration=1",
      "-an", "-pix_fmt", "yuv420p", video]);
    const { result, sidecar } = await run(video, "small-face");
    expect(result.framesWithFace).toBe(result.frames);
    const faces = sidecar.frames.flatMap((f) => (f.face ? [f.face] : []));
    expect(Math.max(...faces.map((f) => f.box[2]))).toBeLessThan(90);
    // The 2.1 MP budget lets the whole 960x540 frame be enlarged 2x only, short of the 256 px target: the
    // region around the face (three face widths square) is analysed instead, at 256 / 76 px, capped at 3x.
    expect(faces.every((f) => f.scale === 3)).toBe(true);
  });

  it("reports the face's width, and au-analyze skips a clip whose face is too small to read as face-too-small", async () => {
    // The happy clip 100 px wide in a 960x540 frame: a face box of about 31 px.
    const video = path.join(dir, "tiny-face.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", sample("HAP"), "-vf", "scale=100:-2,pad=960:540:430:250,fps=10,trim=duration=1",
      "-an", "-pix_fmt", "yuv420p", video]);
    const { result } = await run(video, "tiny-face");
    expect(result.framesWithFace).toBe(result.frames);
    expect(result.faceWidthPx).toBeGreaterThan(20);
    expect(result.faceWidthPx).toBeLessThan(40);
    const s: Sample = { id: "tiny-face", path: video, source: "folder" };
    const deps = { "au-extract": { csvPath: path.join(dir, "tiny-face.csv"), extractor: "builtin" as const, frames: result.frames, framesWithFace: result.framesWithFace, coverage: 1, faceWidthPx: result.faceWidthPx } };
    const ctx = async () => (await testContext({ outDir: dir, sample: s, stage: "au-analyze" })).ctx;
    const skipped = await runStage(auAnalyze, { sample: s, options: {}, deps }, await ctx());
    expect(skipped).toMatchObject({ status: "skipped", skip: { code: "face-too-small" } });
    expect((skipped as { skip: { message: string } }).skip.message).toMatch(/about \d+(\.\d)? px wide .*tiny-face\.csv.*below minFaceWidth 40/);
    // 0 turns the check off (the sample clips' 171 px faces pass it: the quick-start test labels them).
    const off = await runStage(auAnalyze, { sample: s, options: { minFaceWidth: 0 }, deps }, await ctx());
    expect(off).not.toMatchObject({ skip: { code: "face-too-small" } });
  });

  it("writes success=0 where the face leaves the shot, and au-analyze skips the clip as low-face-coverage", async () => {
    // 1 s of the happy clip, then 1.5 s of colour bars: the face is in 40 % of the frames.
    const video = path.join(dir, "cut.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", sample("HAP"), "-f", "lavfi", "-i", "smptebars=size=480x360:rate=10:duration=1.5",
      "-filter_complex", "[0:v]trim=duration=1,setpts=PTS-STARTPTS,fps=10,format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]concat=n=2:v=1[v]",
      "-map", "[v]", "-pix_fmt", "yuv420p", video]);
    const { result, csv, sidecar } = await run(video, "cut");
    expect(result.frames).toBe(25);
    expect(result.framesWithFace).toBe(10);
    expect(sidecar.subject?.coverage).toBe(0.4);
    expect(csv.rows.slice(10).every((r) => r.success === 0 && r.AU12_r === 0)).toBe(true);
    expect(csv.rows.slice(0, 10).every((r) => r.success === 1)).toBe(true);

    const s: Sample = { id: "cut", path: video, source: "folder" };
    const deps = { "au-extract": { csvPath: path.join(dir, "cut.csv"), extractor: "builtin" as const, frames: 25, framesWithFace: 10, coverage: 0.4 } };
    const ctx = async () => (await testContext({ outDir: dir, sample: s, stage: "au-analyze" })).ctx;
    const skipped = await runStage(auAnalyze, { sample: s, options: {}, deps }, await ctx());
    expect(skipped).toMatchObject({ status: "skipped", skip: { code: "low-face-coverage" } });
    expect((skipped as { skip: { message: string } }).skip.message).toMatch(/usable in 10 of 25 frames of cut\.csv \(40%\), below minFaceCoverage 0\.5/);
    // A lower threshold labels the clip from its ten face frames.
    const labelled = await runStage(auAnalyze, { sample: s, options: { minFaceCoverage: 0.3 }, deps }, await ctx());
    expect(labelled).not.toMatchObject({ skip: { code: "low-face-coverage" } });
  });
});
