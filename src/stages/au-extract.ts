import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { getExtractor } from "../adapters/face/index.ts";
import { BUILTIN_VERSION } from "../adapters/face/index.ts";
import { MerrError } from "../core/errors.ts";
import { ffmpegVersion } from "../adapters/tools/ffmpeg.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { parseOpenFaceCsv, trackedFrames } from "../core/openface-csv.ts";
import { defineStage, skip } from "./_stage.ts";
import { probe, type ProbeOutput } from "./probe.ts";

export const AuExtractOptions = z.object({
  /** `builtin` (merr's face analyzer, offline) or `openface` (OpenFace 2.x FeatureExtraction). @defaultValue "builtin" */
  extractor: z.enum(["builtin", "openface"]).default("builtin"),
  /** Frames per second to analyse (builtin only; OpenFace reads every frame). @defaultValue every frame */
  fps: z.number().positive().max(240).optional(),
  /**
   * Builtin only, without `fps`: `full` analyses every frame; `adaptive` analyses 10 frames per second
   * and every frame around the candidate peaks (docs/face-analyzer.md, "Adaptive rate"): about half the
   * face-analysis CPU, at a small measured quality cost, so it is a choice for large runs, not the default.
   * @defaultValue "full"
   */
  rate: z.enum(["adaptive", "full"]).optional(),
  /** Builtin, adaptive rate: frames per second of the first pass. @defaultValue 10 */
  coarseFps: z.number().positive().max(60).optional(),
  /**
   * Builtin only: turn each frame so that the face is upright before the face mesh reads it. Human turns
   * a face only beyond 11.5 degrees of tilt, and below that the mesh's brows and cheeks move with the
   * tilt; turned, a talking head that tilts reads close to how it reads upright (docs/face-analyzer.md, "Tilted
   * heads"). Frames are turned while one face is in view. Not the default: turned, the sample's neutral
   * talking clip reads as OpenFace reads talking faces, and the AU rules' lips-part fallback labels it
   * doubt (with the sad and angry clips: 3 of 6). With a reused OpenFace CSV (`reuseCsv`) it does nothing.
   * @defaultValue false
   */
  upright: z.boolean().optional(),
  /**
   * OpenFace FeatureExtraction binary (name on PATH or path), e.g. from --openface-bin.
   * @defaultValue `ctx.settings.openfaceBin` (the worker's OPENFACE_BIN), else "FeatureExtraction"
   */
  openfaceBin: z.string().min(1).optional(),
  /** Run OpenFace under `xvfb-run -a`. @defaultValue false */
  xvfb: z.boolean().default(false),
  /**
   * Also write head pose and gaze columns (OpenFace `-pose -gaze`). With OpenFace they are what
   * visual-describe describes; the builtin analyzer has them in its sidecar anyway.
   * @defaultValue true with `openface`, false with `builtin`
   */
  poseGaze: z.boolean().optional(),
  /**
   * Reuse an OpenFace CSV that already sits next to the clip (`<clip-dir>/<stem>.csv` or
   * `<clip-dir>/openface/<stem>.csv`) instead of running an extractor; it must parse.
   * When there is none, the extractor runs. @defaultValue false
   */
  reuseCsv: z.boolean().default(false),
})
  .refine((o) => !(o.upright && o.extractor !== "builtin"), {
    message: "upright is for the builtin extractor (OpenFace aligns faces itself): drop au-extract.upright or use au-extract.extractor=builtin",
    path: ["upright"],
  })
  // upright=false is the default: leave it out, so that it does not change the stage's fingerprint.
  .transform(({ upright, ...o }) => ({ ...o, ...(upright ? { upright } : {}), poseGaze: o.poseGaze ?? o.extractor === "openface" }));
export type AuExtractOptions = z.infer<typeof AuExtractOptions>;

export const AuExtractOutput = z.object({
  /** Absolute path of the OpenFace 2.x layout CSV (`<sampleDir>/au.csv`). */
  csvPath: z.string(),
  /** Builtin only: per-frame expression probabilities, gaze and head pose. */
  sidecarPath: z.string().optional(),
  extractor: z.enum(["builtin", "openface"]),
  /** The reused CSV, when `reuseCsv` found one. */
  reusedFrom: z.string().optional(),
  frames: z.number().int(),
  framesWithFace: z.number().int(),
  /** framesWithFace / frames: the share of analysed frames where the (followed) face was tracked. */
  coverage: z.number().min(0).max(1),
  /** Built-in analyzer: the followed face's median box width in the analysed frames' pixels. */
  faceWidthPx: z.number().nonnegative().optional(),
});
export type AuExtractOutput = z.infer<typeof AuExtractOutput>;

/** Where an existing OpenFace CSV for `clip` may sit (checked in this order). */
export function reusableCsvPaths(clip: string): string[] {
  const { dir, name } = path.parse(clip);
  return [path.join(dir, `${name}.csv`), path.join(dir, "openface", `${name}.csv`)];
}

async function readFirst(files: readonly string[]): Promise<{ file: string; text: string } | undefined> {
  for (const file of files) {
    try {
      return { file, text: await readFile(file, "utf8") };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return undefined;
}

/**
 * Why an OpenFace CSV cannot be this clip's, or undefined. OpenFace writes one row per frame it reads
 * (`success=0` where it found no face), so a CSV made from the clip spans its frames; one made from another
 * clip labels the sample from another face and names a peak frame the clip may not have. The tolerance
 * (10 % and 3 frames) is not fitted: it allows for OpenCV and ffprobe counting the frames of a variable
 * frame rate or damaged file a little differently.
 */
export function csvClipMismatch(csvFrames: number, clip: Pick<ProbeOutput, "frameCount" | "durationS" | "fps">): string | undefined {
  const clipFrames = clip.frameCount > 0 ? clip.frameCount : Math.round(clip.durationS * clip.fps);
  if (!(clipFrames > 0)) return undefined;
  const slack = 3 + 0.1 * clipFrames;
  if (Math.abs(csvFrames - clipFrames) <= slack) return undefined;
  const fps = Number.isFinite(clip.fps) && clip.fps > 0 ? ` at ${Math.round(clip.fps * 100) / 100} fps` : "";
  return `it spans ${csvFrames} frames, but the clip has ${clipFrames} (${Math.round(clip.durationS * 10) / 10} s${fps})`;
}

const share = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 1e4) / 1e4 : 0);

export const auExtract = defineStage({
  name: "au-extract",
  reads: ["media"],
  // The built-in analyzer's version: a change to its numbers redoes this stage on the next build.
  version: BUILTIN_VERSION,
  description: "Facial Action Units per frame (OpenFace 2.x CSV layout) with the builtin analyzer or OpenFace",
  // With reuseCsv, the OpenFace CSVs next to the clip: one added, edited or removed redoes the stage.
  sampleFiles: (sample, options) => (options.reuseCsv ? reusableCsvPaths(sample.path) : []),
  needs: { probe },
  options: AuExtractOptions,
  output: AuExtractOutput,
  async run({ sample, options, deps }, ctx) {
    const csvPath = path.join(ctx.sampleDir, "au.csv");
    const sidecarPath = path.join(ctx.sampleDir, "au.sidecar.json");
    let out: AuExtractOutput | undefined;
    if (options.reuseCsv) {
      const found = await readFirst(reusableCsvPaths(sample.path));
      if (found) {
        const table = parseOpenFaceCsv(found.text, { file: found.file });
        let lastFrame = 0;
        for (const f of table.frame) lastFrame = Math.max(lastFrame, f);
        const mismatch = csvClipMismatch(lastFrame, deps.probe);
        if (mismatch) {
          throw new MerrError(
            "E_DATA_INVALID",
            `${found.file}: not OpenFace's output for ${sample.path}: ${mismatch}. It was made from another clip, or the clip was cut or re-encoded since; replace it with OpenFace's output for this clip, or move it away and build again to let the extractor run`,
            { details: { file: found.file, csvFrames: lastFrame, clipFrames: deps.probe.frameCount || Math.round(deps.probe.durationS * deps.probe.fps) } },
          );
        }
        await writeFileAtomic(csvPath, found.text);
        ctx.provenance({ extractor: "openface", reusedFrom: found.file, layout: table.layout });
        const framesWithFace = trackedFrames(table);
        out = { csvPath, extractor: "openface", reusedFrom: found.file, frames: table.rowCounts.total, framesWithFace, coverage: share(framesWithFace, table.rowCounts.total) };
      } else {
        ctx.logger.debug({ looked: reusableCsvPaths(sample.path) }, "no OpenFace CSV next to the clip: running the extractor");
      }
    }
    if (!out) {
      // The worker's own setting (OPENFACE_BIN of the process that runs the stage) unless the run sets one.
      const fromSettings = typeof ctx.settings.openfaceBin === "string" ? ctx.settings.openfaceBin : undefined;
      const openface = { bin: options.openfaceBin ?? fromSettings, xvfb: options.xvfb };
      const extractor = await ctx.resource(`au-extractor:${options.extractor}:${openface.bin ?? ""}:${openface.xvfb}`, () =>
        getExtractor(options.extractor, { openface }),
      );
      const result = await extractor.extract(sample.path, {
        csvPath,
        sidecarPath,
        fps: options.fps,
        rate: options.rate,
        coarseFps: options.coarseFps,
        upright: options.upright,
        // The probe stage's facts (same stream, see frames.ts): the extractor needs no ffprobe run of its own.
        video: {
          width: deps.probe.width,
          height: deps.probe.height,
          fps: deps.probe.fps,
          durationS: deps.probe.durationS,
          ...(deps.probe.pixelAspect ? { pixelAspect: deps.probe.pixelAspect } : {}),
        },
        poseGaze: options.poseGaze,
        signal: ctx.signal,
        progress: (pct, note) => ctx.progress(pct, note),
      });
      if (path.resolve(result.csvPath) !== path.resolve(csvPath)) {
        throw new MerrError("E_INTERNAL", `extractor ${extractor.name} wrote ${result.csvPath} instead of ${csvPath}`);
      }
      ctx.provenance(result.provenance);
      // The built-in analyzer's frames come from this worker's ffmpeg: part of what makes its AUs (the run summary compares workers).
      if (extractor.name === "builtin") ctx.provenance({ ffmpeg: await ffmpegVersion() });
      out = {
        csvPath,
        ...(result.sidecarPath ? { sidecarPath: result.sidecarPath } : {}),
        extractor: extractor.name,
        frames: result.frames,
        framesWithFace: result.framesWithFace,
        coverage: result.coverage ?? share(result.framesWithFace, result.frames),
        ...(result.faceWidthPx !== undefined ? { faceWidthPx: result.faceWidthPx } : {}),
      };
    }
    if (out.framesWithFace === 0) {
      return skip("no-face", `no face was tracked in any of the ${out.frames} analysed frames of ${path.basename(sample.path)}`);
    }
    return out;
  },
});
