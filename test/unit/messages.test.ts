import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { getPipeline } from "../../pipelines/index.ts";
import { extractAudio, ffmpegCause } from "../../src/adapters/tools/ffmpeg.ts";
import { tail } from "../../src/adapters/tools/run-tool.ts";
import { buildAnnouncements } from "../../src/cli/announce.ts";
import { describeUnserved } from "../../src/cli/commands/build.ts";
import { MerrError } from "../../src/core/errors.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { loadSamples } from "../../src/sources/index.ts";
import { tempDir } from "../helpers/temp.ts";

async function mer2023(csv: string): Promise<{ dir: string; file: string }> {
  const dir = await tempDir();
  await mkdir(path.join(dir, "video"));
  await writeFile(path.join(dir, "video", "sample_00000003.mp4"), "");
  await writeFile(path.join(dir, "video", "sample_00000007.mp4"), "");
  const file = path.join(dir, "transcription.csv");
  await writeFile(file, csv);
  return { dir, file };
}

describe("source column choices", () => {
  it("a three-column MER2023 CSV (name,chinese,english) announces that english became the subtitle and chinese counts the syllables", async () => {
    const { dir, file } = await mer2023("name,chinese,english,note\nsample_00000003,你好。,Hello.,x\n");
    const notes: string[] = [];
    const samples = await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: file, notes });
    expect(samples.find((s) => s.id === "sample_00000003")).toMatchObject({ transcript: "Hello.", spokenTranscript: "你好。" });
    // A clip without a row has neither.
    expect(samples.find((s) => s.id === "sample_00000007")).not.toHaveProperty("spokenTranscript");
    expect(notes).toEqual([
      '--transcripts transcription.csv: names from column "name", sentences from column "english", the words as spoken from column "chinese" (only for the speaking rate\'s syllables) (ignored: "note")',
    ]);
  });

  it("says when the subtitles it took are Chinese (MER2023's Chinese file also names its column sentence)", async () => {
    const { dir, file } = await mer2023("name,sentence\nsample_00000003,你好。\nsample_00000007,走吧。\n");
    const notes: string[] = [];
    await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: file, notes });
    expect(notes[1]).toBe(
      '--transcripts transcription.csv: 2 of 2 sentences in column "sentence" are Chinese; MERR\'s subtitles are English (give the English transcription CSV, e.g. transcription_en_all.csv, to caption in English)',
    );
    await writeFile(file, "name,sentence\nsample_00000003,Hello.\n");
    const english: string[] = [];
    await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: file, notes: english });
    expect(english).toHaveLength(1);
  });

  it("a CSV in the wrong format lists the columns found and every accepted header", async () => {
    const { dir, file } = await mer2023("clip,chinese\nsample_00000003,你好。\n");
    const error = await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).message).toBe(
      `[E_DATA_INVALID] ${file}: no name column; found "clip", "chinese", accepted: name, names, video, id (first match wins, case-insensitive)`,
    );
    await writeFile(file, "name,chinese\nsample_00000003,你好。\n");
    await expect(loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: file })).rejects.toThrow(
      /no English sentence column; found "name", "chinese", accepted: sentence, english, english_sentence, en, text, transcript/,
    );
  });

  it("a manifest names the columns it reads", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "a.mp4"), "");
    await writeFile(path.join(dir, "m.csv"), "file,emotion\na.mp4,happy\n");
    const notes: string[] = [];
    await loadSamples({ source: "manifest", input: path.join(dir, "m.csv"), notes });
    expect(notes).toEqual(['--input m.csv: columns path "file", label "emotion" (no transcript column: transcript, text or sentence)']);
    await writeFile(path.join(dir, "m.csv"), "clip\na.mp4\n");
    await expect(loadSamples({ source: "manifest", input: path.join(dir, "m.csv") })).rejects.toThrow(/no path column; found "clip", accepted: path, file, video/);
  });
});

describe("build announcements", () => {
  const plan = (transcript: Record<string, unknown>) => compilePipeline(getPipeline("merr"), { transcript });
  const samples = [
    { id: "a", path: "/a.mp4", source: "mer2023-semi", transcript: "Hi." },
    { id: "b", path: "/b.mp4", source: "mer2023-semi" },
  ];

  it("says once where the subtitles come from: the source, speech recognition, or nowhere", () => {
    expect(buildAnnouncements(plan({}), samples)).toEqual([
      "transcripts: 1 of 2 samples have no transcript from the source; a text subtitle stream in a clip is read first; speech recognition (--asr pocketsphinx, --language en) transcribes the others, and a recognition becomes the subtitle only if it passes the transcript gate",
    ]);
    expect(buildAnnouncements(plan({ subtitleStreams: false }), samples)).toEqual([
      "transcripts: 1 of 2 samples have no transcript from the source; speech recognition (--asr pocketsphinx, --language en) transcribes them, and a recognition becomes the subtitle only if it passes the transcript gate",
    ]);
    expect(buildAnnouncements(plan({ asr: "none" }), samples.slice(1))).toEqual(["transcripts: none of the 1 samples has a transcript from the source; a text subtitle stream in a clip is read first; --asr is none: the others get no subtitle"]);
    expect(buildAnnouncements(plan({ language: "zh" }), samples)[0]).toMatch(/pocketsphinx knows English only and --language is zh: the others get no subtitle/);
    // The advice fits what the build was given: no "--transcripts" for a build that gave one (its names matched no clip).
    const zh = plan({ language: "zh" });
    expect(buildAnnouncements(zh, samples.slice(1), { source: "mer2023-semi", transcripts: "t.csv" })).toEqual([
      "transcripts: none of the 1 samples has a transcript from the source; a text subtitle stream in a clip is read first; pocketsphinx knows English only and --language is zh: the others get no subtitle (asr-language-unsupported); " +
        "use --asr openai:<model> or gemini:<model>, or rows for them in --transcripts t.csv (a name is the video's file stem, with or without its extension)",
    ]);
    expect(buildAnnouncements(zh, samples, { source: "mer2023-semi" })[0]).toMatch(/, or --transcripts <the transcription CSV>$/);
    expect(buildAnnouncements(zh, samples, { source: "manifest" })[0]).toMatch(/, or a transcript column in the manifest$/);
    expect(buildAnnouncements(zh, samples, { source: "folder" })[0]).toMatch(/, or a subtitle file beside each clip \(<clip>\.srt, or <clip>\.en\.srt and <clip>\.<spoken language>\.srt\) or --source manifest with a transcript column$/);
    expect(buildAnnouncements(zh, samples, { source: "other" })[0]).toMatch(/, or --source manifest with a transcript column$/);
    expect(buildAnnouncements(plan({}), samples.slice(0, 1))).toEqual(["transcripts: all 1 from the source; no speech recognition"]);
    // An empty or blank transcript cell is no transcript: the transcript stage runs recognition for it.
    expect(buildAnnouncements(plan({}), [samples[0]!, { ...samples[1]!, transcript: "  " }])[0]).toMatch(/^transcripts: 1 of 2 samples have no transcript from the source; a text subtitle stream in a clip is read first; speech recognition/);
    expect(buildAnnouncements(compilePipeline(getPipeline("media")), samples)).toEqual([]);
  });
});

describe("ffmpeg failures", () => {
  const BANNER = `ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers
  built with gcc 12 (Debian 12.2.0-14)
  configuration: --prefix=/usr --extra-version=0+deb12u1 --toolchain=hardened
  libavutil      57. 28.100 / 57. 28.100
  libavcodec     59. 37.100 / 59. 37.100
`;

  it("keep the cause line, not the banner", () => {
    expect(ffmpegCause(`${BANNER}/data/x.mp4: Invalid data found when processing input\n`)).toBe("/data/x.mp4: Invalid data found when processing input");
    expect(ffmpegCause("a\nb\n", 400)).toBe("a | b");
    // ffmpeg's memory addresses differ from run to run: the same input gives the same message
    expect(ffmpegCause("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55643e81b180] moov atom not found\n")).toBe("[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found");
    expect(tail("[aac @ 0x7f01] error\n[h264 @ 0xabc123] more")).toBe("[aac] error\n[h264] more");
  });

  it("of a real extraction name the cause", async () => {
    const dir = await tempDir();
    const notMedia = path.join(dir, "notes.mp4");
    await writeFile(notMedia, "this is a text file, not a video\n");
    const error = await extractAudio(notMedia, path.join(dir, "a.wav"), { sampleRate: 16000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MerrError);
    const message = (error as MerrError).message;
    expect(message).toMatch(/Invalid data found when processing input/);
    expect(message).not.toMatch(/ffmpeg version|configuration:|libav|libsw|libpostproc/);
  });
});

describe("a build whose jobs no worker serves", () => {
  it("names the queues, the worker profiles that serve them and the command, without the Redis password", () => {
    const text = describeUnserved(["transcript", "visual-describe", "probe"], "redis://:s3cret@gpu-box:6379/0", "merr");
    expect(text).toMatch(/^merr build: jobs have waited 30 s on transcript, visual-describe, probe with no worker serving them under prefix "merr"\. /);
    expect(text).toContain(
      "Start workers: `merr worker --redis redis://:***@gpu-box:6379/0 --prefix merr --profile cpu` (probe) and `merr worker --redis redis://:***@gpu-box:6379/0 --prefix merr --profile gpu` (transcript, visual-describe). ",
    );
    expect(describeUnserved(["fine"], "unix:///runs/a/redis/redis.sock", "merr")).toContain("Start a worker: `merr worker --redis unix:///runs/a/redis/redis.sock --prefix merr --profile gpu` (fine). ");
    expect(text).not.toContain("s3cret");
  });
});
