import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { runTool, toolVersion } from "../adapters/tools/run-tool.ts";
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

/**
 * ffmpeg argv that writes frame number `index` (0-based, counted over every decoded frame, so variable
 * frame rate clips give the same frame OpenFace numbered) as one JPEG.
 */
export function frameByNumberArgs(clip: string, index: number, out: string, quality: number): string[] {
  return [
    "-nostdin", "-v", "error", "-y", "-i", clip, "-map", "0:v:0",
    // In a filtergraph a bare ',' separates filters: the one inside eq() is escaped.
    "-vf", `select=eq(n\\,${index})`, "-fps_mode", "passthrough", "-frames:v", "1", "-q:v", String(quality), out,
  ];
}

/** ffmpeg argv that writes the first frame at or after `timeS` seconds as one JPEG. */
export function frameByTimeArgs(clip: string, timeS: number, out: string, quality: number): string[] {
  return ["-nostdin", "-v", "error", "-y", "-ss", timeS.toFixed(3), "-i", clip, "-map", "0:v:0", "-frames:v", "1", "-q:v", String(quality), out];
}

async function nonEmpty(file: string): Promise<boolean> {
  return stat(file).then((s) => s.size > 0, () => false);
}

export const peakFrame = defineStage({
  name: "peak-frame",
  reads: ["media"],
  version: 1,
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
    try {
      const known = deps.probe.frameCount;
      if (!(known > 0 && index >= known)) {
        await runTool("ffmpeg", frameByNumberArgs(sample.path, index, tmp, options.quality), { signal: ctx.signal });
      }
      if (!(await nonEmpty(tmp))) {
        // The CSV numbers more frames than ffmpeg decodes (e.g. a CSV made from another encode): fall back to time.
        method = "timestamp";
        await runTool("ffmpeg", frameByTimeArgs(sample.path, a.peak_time_s, tmp, options.quality), { signal: ctx.signal });
      }
      if (!(await nonEmpty(tmp))) {
        throw new MerrError("E_MEDIA_INVALID", `${sample.path}: no frame at index ${index} or time ${a.peak_time_s}s (probe: ${deps.probe.frameCount} frames)`);
      }
      await commitTemp(tmp, imagePath);
    } finally {
      await rm(tmp, { force: true });
    }
    ctx.provenance({ ffmpeg: await toolVersion("ffmpeg"), peakMethod: a.peak_method });
    return { imagePath, frameIndex: index, timeS: a.peak_time_s, method };
  },
});
