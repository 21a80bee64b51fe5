import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { MerrError } from "../core/errors.ts";
import { displaySize, ffprobe, ffprobeVersion, parseRate, pixelAspect, streamExtents, type FfprobeResult, type StreamExtent } from "../adapters/tools/ffmpeg.ts";
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
  /** Where the file's packets really end (s, from 0 as `durationS`); absent when they carry no times. */
  readableS: z.number().optional(),
});
export type ProbeOutput = z.infer<typeof ProbeOutput>;

export const ProbeOptions = z.object({
  /** Decode the video to count frames when the container does not store a count (FLV, WebM). @defaultValue true */
  countFrames: z.boolean().default(true),
});

/**
 * A file is cut short when its packets end more than this before the declared duration: the larger of
 * a quarter second and 5 % of the clip's span. Not fitted: the intact files of `bench:truncation` (ten
 * containers, offset timestamps, subtitles past the video) end within 0.001 s of their declared
 * duration or after it (docs/media.md, "Files cut short").
 */
export const TRUNCATION_MIN_S = 0.25;
export const TRUNCATION_SHARE = 0.05;

/**
 * Pure: where the file's data ends, from {@link streamExtents}; undefined when no packet carries a time.
 * The end is that of the last packet of any stream but cover art (subtitles count: the declared duration
 * includes them), in seconds from 0 as containers declare it, or from the first packet when that is
 * earlier (audio priming). `startS` is the first packet's time when it is later than 0.
 */
export function readableExtent(p: FfprobeResult, extents: ReadonlyMap<number, StreamExtent>): { readableS: number; startS: number } | undefined {
  const known = p.streams.filter((s) => !isCoverArt(s)).flatMap((s) => extents.get(s.index) ?? []);
  if (known.length === 0) return undefined;
  const first = Math.min(...known.map((e) => e.firstS));
  const end = Math.max(...known.map((e) => e.endS));
  return { readableS: round3(end - Math.min(0, first)), startS: round3(Math.max(0, first)) };
}

/**
 * True when data ending at `readableS` is a file cut short of its declared `durationS`. The share is of
 * the clip's own span: a clip whose times start at `startS` (cut from a recording) declares that too.
 */
export function isTruncated(durationS: number, readableS: number, startS = 0): boolean {
  return durationS - readableS > Math.max(TRUNCATION_MIN_S, TRUNCATION_SHARE * (durationS - startS));
}

type Stream = FfprobeResult["streams"][number];

/** A picture attached to the file (an album cover, a thumbnail), not a stream of frames. */
const isCoverArt = (s: Stream): boolean => s.disposition?.attached_pic === 1;

/** The clip's video: the first video stream that is not cover art (Motion JPEG video counts). */
function mainVideo(p: FfprobeResult): Stream | undefined {
  return p.streams.find((s) => s.codec_type === "video" && !isCoverArt(s));
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** File names of containers whose headers hold no frame count (FLV, WebM, Matroska, MPEG streams). */
const COUNTLESS_CONTAINER = /\.(flv|webm|mkv|ts|mts|m2ts|mpg|mpeg|vob|ogv)$/i;

/** Pure: turns ffprobe's JSON into merr's probe summary. */
export function summariseProbe(p: FfprobeResult, sizeBytes: number): ProbeOutput {
  const video = mainVideo(p);
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
  // pixelAspect tells non-square pixels. 3: a file cut short is found (readableS) and fails; Motion JPEG
  // video is the clip's video (cover art is told by its disposition, not its codec).
  version: 3,
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
    const extent = readableExtent(result, await streamExtents(sample.path, { signal: ctx.signal }));
    if (!extent) return summary;
    const { readableS, startS } = extent;
    if (!isTruncated(summary.durationS, readableS, startS)) return { ...summary, readableS };
    const missing = Math.round((1 - readableS / summary.durationS) * 100);
    const rewritten = path.join(os.tmpdir(), path.basename(sample.path));
    throw new MerrError(
      "E_MEDIA_TRUNCATED",
      `${sample.path}: the file is cut short: its data ends at ${readableS} s of the ${summary.durationS} s its header declares (${missing} % missing), as when a download or copy stops early; fetch or copy it again, or, to build from the part that is there, rewrite it with its true length: ffmpeg -i '${sample.path}' -c copy '${rewritten}' && mv '${rewritten}' '${sample.path}'`,
      { details: { file: sample.path, declaredS: summary.durationS, readableS } },
    );
  },
});
