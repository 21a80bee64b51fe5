import { z } from "zod";
import path from "node:path";
import { stat } from "node:fs/promises";
import { bitexactAudio, extractAudio as runExtract, ffmpegVersion } from "../adapters/tools/ffmpeg.ts";
import { clipSize } from "./_media.ts";
import { probe } from "./probe.ts";
import { defineStage, skip } from "./_stage.ts";

export const ExtractAudioOutput = z.object({
  /** Absolute path of the mono 16-bit PCM WAV. */
  wavPath: z.string(),
  durationS: z.number(),
  sampleRate: z.number().int(),
});
export type ExtractAudioOutput = z.infer<typeof ExtractAudioOutput>;

export const ExtractAudioOptions = z.object({
  /** Output sample rate in Hz (the audio models and the prosody analyzer expect 16 kHz). @defaultValue 16000 */
  sampleRate: z.number().int().min(8000).max(48000).default(16000),
});

const WAV_HEADER_BYTES = 44;

export const extractAudio = defineStage({
  name: "extract-audio",
  reads: ["media"],
  // 2: the same samples on every CPU (a fixed-point decoder for MP3, AAC and AC-3, double-precision resampling).
  version: 2,
  // A clip without audio goes on: its captions leave the voice out.
  partialSkips: ["no-audio"],
  description: "The first audio track as a 16 kHz mono WAV; clips without audio are marked no-audio",
  // The probe's audio codec picks a decoder that gives the same samples on every CPU (bitexactAudio).
  uses: { probe },
  options: ExtractAudioOptions,
  output: ExtractAudioOutput,
  async run({ sample, options, deps }, ctx) {
    await clipSize(sample.path);
    const wavPath = path.join(ctx.sampleDir, "audio.wav");
    const codec = deps.probe?.audioCodec;
    const hasAudio = await runExtract(sample.path, wavPath, { sampleRate: options.sampleRate, ...(codec ? { codec } : {}), signal: ctx.signal });
    if (!hasAudio) return skip("no-audio", "the clip has no audio track");
    const bytes = (await stat(wavPath)).size - WAV_HEADER_BYTES;
    const durationS = Math.max(0, bytes) / 2 / options.sampleRate;
    if (durationS === 0) return skip("no-audio", "the audio track decodes to no samples");
    ctx.provenance({ ffmpeg: await ffmpegVersion(), codec: "pcm_s16le", channels: 1, decoder: bitexactAudio(codec, options.sampleRate) });
    return { wavPath, durationS, sampleRate: options.sampleRate };
  },
});
