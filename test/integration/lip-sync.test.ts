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
const csvs: Record<"talking" | "frozen", string> = { talking: "", frozen: "" };

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
  for (const [name, video] of [["talking", clip], ["frozen", frozen]] as const) {
    csvs[name] = path.join(dir, `${name}.csv`);
    await extractor.extract(video, { csvPath: csvs[name], sidecarPath: path.join(dir, `${name}.json`), signal });
  }
}, 120_000);

async function tone(csv: string, extractor: "builtin" | "openface" = "builtin") {
  const sample: Sample = { id: `lips-${path.basename(csv, ".csv")}-${extractor}`, path: wav, source: "folder" };
  const { ctx, provenance } = await testContext({ outDir: dir, sample, stage: "audio-tone" });
  const deps = {
    "extract-audio": { wavPath: wav, durationS: 2.3, sampleRate: 16000 },
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
    // The tone itself is measured and described as before: the check changes who it is given to, downstream.
    expect(output.description).toBe((await tone(csvs.talking)).output.description);
  });

  it("does not check an OpenFace CSV, and says so", async () => {
    const { output, provenance } = await tone(csvs.frozen, "openface");
    expect(output.lipSync).toBeUndefined();
    expect(provenance).toMatchObject({ lipSync: "not checked: OpenFace CSV" });
  });
});
