import path from "node:path";
import { z } from "zod";
import { ffmpegVersion, sampleFrames as runSampleFrames } from "../adapters/tools/ffmpeg.ts";
import { MerrError } from "../core/errors.ts";
import { defineStage } from "./_stage.ts";
import { probe } from "./probe.ts";

export const SampleFramesOutput = z.object({
  framesDir: z.string(),
  fps: z.number(),
  count: z.number().int(),
  frames: z.array(z.object({ index: z.number().int(), timeS: z.number(), path: z.string() })),
});
export type SampleFramesOutput = z.infer<typeof SampleFramesOutput>;

export const SampleFramesOptions = z.object({
  /** Frames per second to keep. @defaultValue 2 */
  fps: z.number().positive().max(60).default(2),
  /** Longest side of the JPEGs in pixels. @defaultValue 640 */
  maxSide: z.number().int().min(64).max(4096).default(640),
  /** JPEG quality, ffmpeg scale 2 (best) .. 31. @defaultValue 3 */
  quality: z.number().int().min(2).max(31).default(3),
});

export const sampleFrames = defineStage({
  name: "sample-frames",
  reads: ["media"],
  // 2: a clip shorter than one sampling interval gives its frame instead of failing; 3: anamorphic video
  // (non-square pixels) gives frames in square pixels, as a player shows them.
  version: 3,
  description: "JPEG frames at a fixed rate, for looking at a clip and for the description models",
  needs: { probe },
  options: SampleFramesOptions,
  output: SampleFramesOutput,
  async run({ sample, options, deps }, ctx) {
    const framesDir = path.join(ctx.sampleDir, "frames");
    const squarePixels = (deps.probe.pixelAspect ?? 1) !== 1;
    let files = await runSampleFrames(sample.path, framesDir, { ...options, squarePixels, signal: ctx.signal });
    // A clip shorter than one sampling interval (a single frame) ends before the fps filter emits its
    // first frame: keep the frame it holds at the end of the stream (it is frame 0, at 0 s).
    if (files.length === 0) files = await runSampleFrames(sample.path, framesDir, { ...options, squarePixels, keepLastFrame: true, signal: ctx.signal });
    if (files.length === 0) throw new MerrError("E_MEDIA_INVALID", `${sample.path}: no frame could be decoded`);
    ctx.provenance({ ffmpeg: await ffmpegVersion() });
    return {
      framesDir,
      fps: options.fps,
      count: files.length,
      // The fps filter emits frame k at k/fps seconds (k = 0, 1, ...).
      frames: files.map((file, k) => ({ index: k, timeS: Number((k / options.fps).toFixed(3)), path: path.join(framesDir, file) })),
    };
  },
});
