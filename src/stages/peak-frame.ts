import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { extractFrame, ffmpegVersion } from "../adapters/tools/ffmpeg.ts";
import { MerrError } from "../core/errors.ts";
import { commitTemp, tempPathFor } from "../core/fs.ts";
import { defineStage } from "./_stage.ts";
import { auAnalyze } from "./au-analyze.ts";
import { probe } from "./probe.ts";

export const PeakFrameOptions = z.object({
  /** JPEG quality, ffmpeg scale 2 (best) .. 31. @defaultValue 2 */
  quality: z.number().int().min(2).max(31).default(2),
});

export const PeakFrameOutput = z.object({
  imagePath: z.string(),
  /** 0-based index of the frame in the decoded video stream. */
  frameIndex: z.number().int(),
  timeS: z.number(),
  /** How the frame was picked: by its number (exact, also for variable frame rate) or by the CSV timestamp. */
  method: z.enum(["frame-number", "timestamp"]),
});
export type PeakFrameOutput = z.infer<typeof PeakFrameOutput>;

async function nonEmpty(file: string): Promise<boolean> {
  return stat(file).then((s) => s.size > 0, () => false);
}

export const peakFrame = defineStage({
  name: "peak-frame",
  reads: ["media"],
  // 2: anamorphic video (non-square pixels) gives its frame in square pixels, as a player shows it.
  version: 2,
  description: "The emotional peak frame as a JPEG (exact frame number from the AU analysis)",
  needs: { "au-analyze": auAnalyze, probe },
  options: PeakFrameOptions,
  output: PeakFrameOutput,
  async run({ sample, options, deps }, ctx) {
    const a = deps["au-analyze"];
    const imagePath = path.join(ctx.sampleDir, "peak.jpg");
    const tmp = tempPathFor(imagePath);
    const index = a.peak_frame;
    let method: PeakFrameOutput["method"] = "frame-number";
    const squarePixels = (deps.probe.pixelAspect ?? 1) !== 1;
    try {
      const known = deps.probe.frameCount;
      if (!(known > 0 && index >= known)) {
        await extractFrame(sample.path, { index }, tmp, { quality: options.quality, squarePixels, signal: ctx.signal });
      }
      if (!(await nonEmpty(tmp))) {
        // The CSV numbers more frames than ffmpeg decodes (e.g. a CSV made from another encode): fall back to time.
        method = "timestamp";
        await extractFrame(sample.path, { timeS: a.peak_time_s }, tmp, { quality: options.quality, squarePixels, signal: ctx.signal });
      }
      if (!(await nonEmpty(tmp))) {
        throw new MerrError("E_MEDIA_INVALID", `${sample.path}: no frame at index ${index} or time ${a.peak_time_s}s (probe: ${deps.probe.frameCount} frames)`);
      }
      await commitTemp(tmp, imagePath);
    } finally {
      await rm(tmp, { force: true });
    }
    ctx.provenance({ ffmpeg: await ffmpegVersion(), peakMethod: a.peak_method });
    return { imagePath, frameIndex: index, timeS: a.peak_time_s, method };
  },
});
