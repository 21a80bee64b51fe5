import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSubtitleStreams, subtitleStreams } from "../../src/adapters/tools/ffmpeg.ts";
import { projectPath } from "../../src/core/paths.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { audioTone, type AudioToneOutput } from "../../src/stages/audio-tone.ts";
import { transcript, type TranscriptOutput } from "../../src/stages/transcript.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";
import { tempDir } from "../helpers/temp.ts";

let dir: string;
let outDir: string;
let mkv: string;
let mp4: string;
let latin1: string;
let wav: string;

const srt = (text: string): string => `1\n00:00:00,100 --> 00:00:01,000\n${text}\n\n2\n00:00:01,000 --> 00:00:01,900\n[music]\n`;
const ffmpeg = (args: string[]): void => void execFileSync("ffmpeg", ["-v", "error", "-y", ...args]);

beforeAll(async () => {
  dir = await tempDir("merr-subtitle-streams-");
  outDir = await tempOutDir();
  const clip = projectPath("data/sample/1001_DFA_HAP_XX.flv");
  await writeFile(path.join(dir, "forced.srt"), srt("Signs: EXIT"));
  await writeFile(path.join(dir, "en.srt"), srt("<i>Don't forget</i> your coat."));
  await writeFile(path.join(dir, "zh.srt"), srt("别忘了你的外套"));
  mkv = path.join(dir, "clip.mkv");
  // A forced English stream first (only signs), then the dialogue in English and in Chinese.
  ffmpeg([
    "-i", clip, "-i", path.join(dir, "forced.srt"), "-i", path.join(dir, "en.srt"), "-i", path.join(dir, "zh.srt"),
    "-map", "0:v", "-map", "0:a", "-map", "1", "-map", "2", "-map", "3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt",
    "-metadata:s:s:0", "language=eng", "-disposition:s:0", "forced", "-metadata:s:s:1", "language=eng", "-metadata:s:s:2", "language=chi", mkv,
  ]);
  mp4 = path.join(dir, "clip.mp4");
  ffmpeg(["-i", clip, "-i", path.join(dir, "en.srt"), "-map", "0:v", "-map", "0:a", "-map", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "mov_text", mp4]);
  // An English stream stored in Latin-1 (copied, not re-encoded), and an untagged one in UTF-8.
  await writeFile(path.join(dir, "latin1.srt"), Buffer.concat([Buffer.from("1\n00:00:00,100 --> 00:00:01,000\nCaf"), Buffer.from([0xe9]), Buffer.from(" now\n")]));
  await writeFile(path.join(dir, "plain.srt"), srt("Good morning."));
  latin1 = path.join(dir, "latin1.mkv");
  ffmpeg([
    "-i", clip, "-i", path.join(dir, "latin1.srt"), "-i", path.join(dir, "plain.srt"), "-map", "0:v", "-map", "1", "-map", "2",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:s", "copy", "-metadata:s:s:0", "language=eng", latin1,
  ]);
  wav = path.join(dir, "clip.wav");
  ffmpeg(["-i", mkv, "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", wav]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

async function transcribe(file: string, options: Record<string, unknown>): Promise<{ output?: TranscriptOutput; provenance: Record<string, unknown> }> {
  const sample: Sample = { id: path.basename(file).replace(/\./g, "-"), path: file, source: "folder" };
  const { ctx, provenance } = await testContext({ outDir, sample, stage: "transcript" });
  const result = await runStage(transcript, { sample, options: { asr: "none", ...options }, deps: { "extract-audio": { wavPath: wav, durationS: 2, sampleRate: 16000 } } }, ctx);
  return { output: (result as { output?: TranscriptOutput }).output, provenance };
}

describe("subtitle streams inside a clip", () => {
  it("are listed with their language, forced flag and whether they are text", async () => {
    expect(await subtitleStreams(mkv)).toEqual([
      { index: 2, codec: "subrip", language: "eng", forced: true, text: true },
      { index: 3, codec: "subrip", language: "eng", forced: false, text: true },
      { index: 4, codec: "subrip", language: "chi", forced: false, text: true },
    ]);
    expect(await subtitleStreams(wav)).toEqual([]);
    // Picture subtitles (DVD, Blu-ray PGS; ffmpeg cannot make one from text, so ffprobe's answer is given).
    const pictures = '{"streams":[{"index":2,"codec_name":"dvd_subtitle","tags":{"language":"und"}},{"index":3,"codec_name":"hdmv_pgs_subtitle","disposition":{"forced":0}}]}';
    expect(parseSubtitleStreams(pictures, "x.mkv")).toEqual([{ index: 2, codec: "dvd_subtitle", forced: false, text: false }, { index: 3, codec: "hdmv_pgs_subtitle", forced: false, text: false }]);
  });

  it("give the transcript before any recognition: the English dialogue stream, and the spoken language's words beside it", async () => {
    const zh = await transcribe(mkv, { language: "zh" });
    expect(zh.output).toEqual({ text: "Don't forget your coat.", source: "subtitle-stream", language: "en", spokenLanguage: "zh", spokenText: "别忘了你的外套" });
    expect(zh.provenance).toMatchObject({ subtitleStream: 3 });
    const en = await transcribe(mkv, { language: "en" });
    expect(en.output).toMatchObject({ text: "Don't forget your coat.", source: "subtitle-stream", language: "en" });
    expect(en.output?.spokenText).toBeUndefined();
    // mov_text in an mp4, without a language tag.
    expect((await transcribe(mp4, { language: "en" })).output).toMatchObject({ text: "Don't forget your coat.", source: "subtitle-stream", language: null });
  });

  it("a stream that cannot be read is left out, named in the provenance, and the next one serves", async () => {
    const r = await transcribe(latin1, { language: "en" });
    expect(r.output).toMatchObject({ text: "Good morning.", source: "subtitle-stream", language: null });
    expect(r.provenance.subtitleStreamsUnread).toEqual([expect.stringMatching(/^1 \(.*subtitle stream 1: its text is not UTF-8, and ffmpeg drops such lines \(remux it with -sub_charenc <encoding>/)]);
    expect(r.provenance).toMatchObject({ subtitleStream: 2 });
  });

  it("with subtitleStreams off, or without a stream, the clip is the recogniser's", async () => {
    expect((await transcribe(wav, { language: "en" })).output).toMatchObject({ text: "", source: "none" });
    expect((await transcribe(mkv, { language: "en", subtitleStreams: false })).output).toMatchObject({ text: "", source: "none" });
  });

  it("the speaking rate counts the spoken-language stream's words (one syllable per Han character)", async () => {
    const { output } = await transcribe(mkv, { language: "zh" });
    const sample: Sample = { id: "tone", path: mkv, source: "folder" };
    const { ctx, provenance } = await testContext({ outDir, sample, stage: "audio-tone" });
    const deps = { "extract-audio": { wavPath: wav, durationS: 2, sampleRate: 16000 }, transcript: output! };
    const result = (await runStage(audioTone, { sample, options: {}, deps }, ctx)) as { output?: AudioToneOutput };
    expect(provenance).toMatchObject({ syllablesFrom: "spoken" });
    expect(result.output?.features.syllables).toBe(7);
  });
});
