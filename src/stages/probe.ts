import { z } from "zod";
import { MerrError } from "../core/errors.ts";
import { displaySize, ffprobe, ffprobeVersion, parseRate, pixelAspect, type FfprobeResult } from "../adapters/tools/ffmpeg.ts";
import { clipSize } from "./_media.ts";
import { defineStage, skip } from "./_stage.ts";

export const ProbeOutput = z.object({
  durationS: z.number(),
  fps: z.number(),
  frameCount: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  /** How much wider than tall a decoded pixel is shown, when not 1 (anamorphic video). */
  pixelAspect: z.number().positive().optional(),
  hasVideo: z.boolean(),
  hasAudio: z.boolean(),
  videoCodec: z.string().optional(),
  audioCodec: z.string().optional(),
  audioSampleRate: z.number().optional(),
  container: z.string(),
  sizeBytes: z.number(),
});
export type ProbeOutput = z.infer<typeof ProbeOutput>;

export const ProbeOptions = z.object({
  /** Decode the video to count frames when the container does not store a count (FLV, WebM). @defaultValue true */
  countFrames: z.boolean().default(true),
});

/** File names of containers whose headers hold no frame count (FLV, WebM, Matroska, MPEG streams). */
const COUNTLESS_CONTAINER = /\.(flv|webm|mkv|ts|mts|m2ts|mpg|mpeg|vob|ogv)$/i;

/** Pure: turns ffprobe's JSON into merr's probe summary. */
export function summariseProbe(p: FfprobeResult, sizeBytes: number): ProbeOutput {
  const video = p.streams.find((s) => s.codec_type === "video" && s.codec_name !== "mjpeg" && s.codec_name !== "png");
  const audio = p.streams.find((s) => s.codec_type === "audio");
  const fps = parseRate(video?.avg_frame_rate) || parseRate(video?.r_frame_rate);
  const durationS = Number(p.format?.duration ?? video?.duration ?? audio?.duration ?? 0) || 0;
  const counted = Number(video?.nb_read_frames ?? video?.nb_frames ?? NaN);
  const frameCount = Number.isFinite(counted) && counted > 0 ? counted : Math.round(durationS * fps);
  return {
    durationS,
    fps,
    frameCount: video ? frameCount : 0,
    // As decoded: a phone video rotated by 90 degrees is taller than its coded size is wide.
    ...(video ? displaySize(video) : { width: 0, height: 0 }),
    ...(video && pixelAspect(video) !== 1 ? { pixelAspect: pixelAspect(video) } : {}),
    hasVideo: Boolean(video),
    hasAudio: Boolean(audio),
    videoCodec: video?.codec_name,
    audioCodec: audio?.codec_name,
    audioSampleRate: audio?.sample_rate ? Number(audio.sample_rate) : undefined,
    container: p.format?.format_name ?? "unknown",
    sizeBytes,
  };
}

export const probe = defineStage({
  name: "probe",
  reads: ["media"],
  // 2: width and height are the decoded size (swapped for a stream rotated by 90 or 270 degrees), and
  // pixelAspect tells non-square pixels.
  version: 2,
  description: "ffprobe: duration, frame rate, frame count, size and streams of the clip",
  options: ProbeOptions,
  output: ProbeOutput,
  async run({ sample, options }, ctx) {
    const size = await clipSize(sample.path);
    // Containers that store no frame count are counted in the first ffprobe run (one process start less).
    const countFirst = options.countFrames && COUNTLESS_CONTAINER.test(sample.path);
    let result = await ffprobe(sample.path, { signal: ctx.signal, countFrames: countFirst });
    const needsCount = result.streams.some((s) => s.codec_type === "video" && !Number(s.nb_frames) && !Number(s.nb_read_frames));
    if (options.countFrames && needsCount && !countFirst) result = await ffprobe(sample.path, { signal: ctx.signal, countFrames: true });
    ctx.provenance({ ffprobe: await ffprobeVersion() });
    const summary = summariseProbe(result, size);
    if (!summary.hasVideo) {
      return skip("no-video", `${sample.path} has no video stream (${summary.hasAudio ? "audio only" : "no streams"})`);
    }
    if (summary.durationS <= 0 && summary.frameCount <= 0) {
      throw new MerrError("E_MEDIA_INVALID", `${sample.path}: the video stream has no decodable frames`);
    }
    return summary;
  },
});
