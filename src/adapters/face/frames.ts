import { MerrError } from "../../core/errors.ts";
import { toolMissing, tail } from "../tools/run-tool.ts";
import { displaySize, ffprobe, parseRate, pixelAspect, spawnFfmpegStream } from "../tools/ffmpeg.ts";

/** Geometry and rate of a clip's first video stream. */
export interface VideoGeometry {
  width: number;
  height: number;
  /** Native frame rate (frames per second); 0 when the container does not say. */
  fps: number;
  /** Duration in seconds; 0 when unknown. */
  durationS: number;
  /** How much wider than tall a decoded pixel is shown (`pixelAspect`); absent = 1, square pixels. */
  pixelAspect?: number;
}

/** One decoded frame: packed RGB24 bytes, row-major, `width * height * 3` long. */
export interface RawFrame {
  /** 0-based index of the frame in the decoded stream (every frame of the clip, in order). */
  index: number;
  /** Presentation time in seconds, `index / fps` (clips are treated as constant frame rate). */
  timeS: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

export interface ReadRawFramesOptions {
  /**
   * Analyse at most this many frames per second: frames are decoded one by one (exact indices, as
   * OpenFace numbers them) and every frame that starts a new `1/maxFps` slot is kept.
   * Undefined = every frame.
   */
  maxFps?: number;
  /**
   * Only these frame indices (ascending), instead of `maxFps`: decoding stops after the last one. For
   * the second pass of the adaptive rate (builtin/adaptive-rate.ts).
   */
  only?: readonly number[];
  /** Receives each decoded frame that is not yielded (a copy the callee may keep). */
  onSkipped?: (frame: RawFrame) => void;
  /** The clip's geometry when the caller knows it already (the probe stage's): saves an ffprobe run. */
  geometry?: VideoGeometry;
  /** Downscale (keeping the aspect ratio) so the frame is at most this wide (after widening non-square pixels). */
  maxWidth?: number;
  signal?: AbortSignal;
}

/** Width and height after downscaling to at most `maxWidth` (even numbers, as ffmpeg's scaler wants). */
export function scaledSize(width: number, height: number, maxWidth?: number): { width: number; height: number } {
  if (!maxWidth || width <= maxWidth) return { width, height };
  const w = Math.max(2, Math.floor(maxWidth / 2) * 2);
  const h = Math.max(2, Math.round((height * w) / width / 2) * 2);
  return { width: w, height: h };
}

/**
 * The size frames are analysed at: square pixels (an anamorphic stream widened by its `pixelAspect`, so
 * faces are not squeezed sideways), then downscaled to at most `maxWidth`. Pure.
 */
export function analysisSize(geo: Pick<VideoGeometry, "width" | "height" | "pixelAspect">, maxWidth?: number): { width: number; height: number } {
  const width = geo.pixelAspect && geo.pixelAspect !== 1 ? Math.max(2, Math.round((geo.width * geo.pixelAspect) / 2) * 2) : geo.width;
  return scaledSize(width, geo.height, maxWidth);
}

/**
 * Decides which decoded frames to analyse: frame `i` at time `t` is kept when it is the first frame
 * in its `1/maxFps` slot. Pure; exported for tests.
 */
export function keepFrame(index: number, fps: number, maxFps: number | undefined, lastSlot: number): number | undefined {
  if (!maxFps || !fps || maxFps >= fps) return index;
  const slot = Math.floor((index / fps) * maxFps + 1e-9);
  return slot > lastSlot ? slot : undefined;
}

export async function probeVideo(file: string, signal?: AbortSignal): Promise<VideoGeometry> {
  const info = await ffprobe(file, { signal });
  // The first video stream that is not a cover picture (an attached picture), the one `-map 0:V:0` decodes.
  const v = info.streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  if (!v || !v.width || !v.height) throw new MerrError("E_MEDIA_INVALID", `${file} has no video stream`);
  const fps = parseRate(v.avg_frame_rate) || parseRate(v.r_frame_rate);
  const durationS = Number(v.duration ?? info.format?.duration ?? 0) || 0;
  // ffmpeg decodes a rotated stream upright: the frames have the display size.
  const aspect = pixelAspect(v);
  return { ...displaySize(v), fps, durationS, ...(aspect !== 1 ? { pixelAspect: aspect } : {}) };
}

/**
 * swscale flags for the YUV-to-RGB conversion (and any scaling) of the decoded frames: bit-exact whatever
 * the CPU's SIMD. By default swscale takes SIMD paths that round differently from its C code, so the same
 * clip gave other RGB bytes on a machine with other CPU features (checked here with `-cpuflags 0`: the
 * decoder's YUV output is identical, the RGB differs), and the face model other landmarks: a build spread
 * over workers on different machines would not give the same AUs for the same clip. Costs about 0.03
 * CPU-seconds per second of 480x360 video in ffmpeg.
 */
export const BITEXACT_SWS_FLAGS = "accurate_rnd+bitexact";

/** ffmpeg argv that decodes a clip's first video stream to RGB24 frames of `size` on stdout. Pure. */
export function decodeArgs(file: string, geo: Pick<VideoGeometry, "width" | "height">, size: { width: number; height: number }): string[] {
  const args = ["-nostdin", "-v", "error", "-i", file, "-map", "0:V:0", "-fps_mode", "passthrough", "-sws_flags", BITEXACT_SWS_FLAGS];
  if (size.width !== geo.width || size.height !== geo.height) args.push("-vf", `scale=${size.width}:${size.height}:flags=area+${BITEXACT_SWS_FLAGS}`);
  args.push("-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1");
  return args;
}

/** ffmpeg's exit status after it caught SIGINT or SIGTERM (fftools: `received_nb_signals ? 255 : ...`). */
const FFMPEG_STOPPED_BY_SIGNAL = 255;

/**
 * Decodes a clip into raw RGB24 frames with the system ffmpeg (`-fps_mode passthrough`, so frame
 * indices match OpenFace's: no frame is duplicated or dropped by rate conversion). Frames are copied
 * out of the pipe buffer, so a consumer may keep them.
 */
export async function* readRawFrames(file: string, opts: ReadRawFramesOptions = {}): AsyncGenerator<RawFrame> {
  const geo = opts.geometry ?? (await probeVideo(file, opts.signal));
  const { width, height } = analysisSize(geo, opts.maxWidth);
  const only = opts.only ? new Set(opts.only) : undefined;
  const last = opts.only ? Math.max(-1, ...opts.only) : Infinity;
  if (last < 0) return;
  const fps = geo.fps || 25;
  const child = spawnFfmpegStream(decodeArgs(file, geo, { width, height }), opts.signal);
  let stderr = "";
  let spawnError: Error | undefined;
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  child.on("error", (e) => {
    spawnError = e;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));

  const frameSize = width * height * 3;
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  let lastSlot = -1;
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= frameSize) {
        const slot = only ? (only.has(index) ? index : undefined) : keepFrame(index, fps, opts.maxFps, lastSlot);
        if (slot !== undefined) {
          lastSlot = slot;
          yield { index, timeS: index / fps, width, height, rgb: new Uint8Array(pending.subarray(0, frameSize)) };
        } else {
          opts.onSkipped?.({ index, timeS: index / fps, width, height, rgb: new Uint8Array(pending.subarray(0, frameSize)) });
        }
        pending = pending.subarray(frameSize);
        index++;
        // Every wanted frame is out: stop decoding (the finally block ends ffmpeg).
        if (index > last) return;
      }
    }
    finished = true;
  } finally {
    if (!finished && child.exitCode === null) child.kill("SIGTERM");
  }
  const { code, signal } = await exited;
  if (opts.signal?.aborted) throw new MerrError("E_ABORTED", `decoding ${file} was cancelled`);
  if (spawnError && (spawnError as NodeJS.ErrnoException).code === "ENOENT") throw toolMissing("ffmpeg");
  // Stopped by a signal merr did not send (ffmpeg exits 255 after catching one; a signal that arrives
  // between fork and its own process group kills it outright): that says nothing about the file, and
  // the job is tried again rather than the clip recorded as undecodable (as for extract-audio's ffmpeg).
  if (signal !== null || code === FFMPEG_STOPPED_BY_SIGNAL) {
    throw new MerrError("E_ABORTED", `ffmpeg was stopped by a signal (${signal ?? `exit ${code}`}) while decoding ${file}: stopped from outside, not a broken file`);
  }
  if (code !== 0) {
    throw new MerrError("E_MEDIA_INVALID", `ffmpeg could not decode ${file} (exit ${code}): ${tail(stderr, 400)}`);
  }
}
