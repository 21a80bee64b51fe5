import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createBuiltinExtractor, createFaceAnalyzer, type FaceAnalyzer } from "../../src/adapters/face/builtin/index.ts";
import { projectPath } from "../../src/core/paths.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { audioTone, type AudioToneOutput } from "../../src/stages/audio-tone.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";

/**
 * audio-tone's lip check on real media: the angry sample clip's face analysed by the built-in analyzer,
 * with its own voice (the actor speaks) and as a frozen picture with the same voice (a face that does not
 * move while a voice speaks).
 */
let analyzer: Promise<FaceAnalyzer>;
let dir: string;
let wav: string;
const csvs: Record<"talking" | "frozen" | "late", string> = { talking: "", frozen: "", late: "" };
let late: string;
let lateWav: string;

beforeAll(async () => {
  dir = await tempOutDir("merr-lips-");
  analyzer = createFaceAnalyzer();
  const extractor = createBuiltinExtractor({ analyzer: () => analyzer });
  const signal = new AbortController().signal;
  const clip = projectPath("data/sample/1001_DFA_ANG_XX.flv");
  wav = path.join(dir, "voice.wav");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", clip, "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", wav]);
  const frame = path.join(dir, "frame.png");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-ss", "1.0", "-i", clip, "-frames:v", "1", frame]);
  const frozen = path.join(dir, "frozen.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-loop", "1", "-framerate", "30", "-t", "2.3", "-i", frame, "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", frozen]);
  // The same clip whose picture holds its first frame for 1 s while its audio stream starts at 1 s: in sync
  // when played, but the WAV (extract-audio's, which begins at the audio's first sample) is 1 s early on
  // the CSV's clock.
  late = path.join(dir, "late.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", clip, "-vf", "tpad=start_duration=1:start_mode=clone", "-af", "asetpts=PTS+1/TB", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac", late]);
  lateWav = path.join(dir, "late.wav");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", late, "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", lateWav]);
  for (const [name, video] of [["talking", clip], ["frozen", frozen], ["late", late]] as const) {
    csvs[name] = path.join(dir, `${name}.csv`);
    await extractor.extract(video, { csvPath: csvs[name], sidecarPath: path.join(dir, `${name}.json`), signal });
  }
}, 120_000);

async function tone(csv: string, extractor: "builtin" | "openface" = "builtin", media = { clip: wav, wav }) {
  const sample: Sample = { id: `lips-${path.basename(csv, ".csv")}-${extractor}`, path: media.clip, source: "folder" };
  const { ctx, provenance } = await testContext({ outDir: dir, sample, stage: "audio-tone" });
  const deps = {
    "extract-audio": { wavPath: media.wav, durationS: 2.3, sampleRate: 16000 },
    "au-extract": { csvPath: csv, extractor, frames: 69, framesWithFace: 69, coverage: 1 },
  };
  const result = await runStage(audioTone, { sample, options: {}, deps }, ctx);
  return { output: (result as { output?: AudioToneOutput }).output!, provenance };
}

describe("audio-tone lip check", () => {
  it("reads the actor's lips as moving with his voice, and keeps each syllable's opening", async () => {
    const { output } = await tone(csvs.talking);
    expect(output.lipSync).toMatchObject({ verdict: "moving" });
    const l = output.lipSync!;
    expect(l.seen).toBeGreaterThanOrEqual(4);
    expect(l.opened * 2).toBeGreaterThanOrEqual(l.seen);
    const saved = JSON.parse(readFileSync(output.featuresPath, "utf8")) as { tracks: { nucleiS: number[] }; lipOpenings: (number | null)[] };
    expect(saved.tracks.nucleiS).toHaveLength(l.syllables);
    expect(saved.lipOpenings).toHaveLength(l.syllables);
  });

  it("reads a frozen face with the same voice as still", async () => {
    const { output } = await tone(csvs.frozen);
    expect(output.lipSync).toMatchObject({ verdict: "still", opened: 0 });
    expect(output.lipSync!.seen).toBeGreaterThanOrEqual(4);
  });

  it("puts the voice on the picture's clock when the audio stream starts later", async () => {
    const { output, provenance } = await tone(csvs.late, "builtin", { clip: late, wav: lateWav });
    expect(provenance.audioOffsetS as number).toBeGreaterThan(0.95);
    expect(provenance.audioOffsetS as number).toBeLessThan(1.01);
    // 1 s off, the syllables would fall on the held first frame and the speech's start: 1 of 6 opened.
    expect(output.lipSync).toMatchObject({ verdict: "moving", syllables: 6, seen: 6 });
    expect(output.lipSync!.opened).toBeGreaterThanOrEqual(5);
  });

  it("does not check an OpenFace CSV, and says so", async () => {
    const { output, provenance } = await tone(csvs.frozen, "openface");
    expect(output.lipSync).toBeUndefined();
    expect(provenance).toMatchObject({ lipSync: "not checked: OpenFace CSV" });
  });
});
