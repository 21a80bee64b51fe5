import { rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { loadFaceSidecar } from "../adapters/face/index.ts";
import {
  encodeFeature, ENCODERS, ExtractorSpec, faceFeatures, hubertFeature, loadOnnxEncoder, runCommandExtractor,
  type Computed, type EncoderName, type OnnxEncoder,
} from "../adapters/features/index.ts";
import { MerrError } from "../core/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { NOT_REQUESTED } from "../core/records.ts";
import { defineStage, skip, type StageContext } from "./_stage.ts";
import { auExtract } from "./au-extract.ts";
import { extractAudio } from "./extract-audio.ts";
import { sampleFrames } from "./sample-frames.ts";

export const FeaturesOptions = z.object({
  /**
   * The extractor of each trainer feature (`merr build --features` fills this, hashing each model).
   * An encoder left out is recorded as `not-requested`. @defaultValue none
   */
  encoders: z.object(Object.fromEntries(ENCODERS.map((e) => [e, ExtractorSpec.optional()])) as Record<EncoderName, z.ZodOptional<typeof ExtractorSpec>>).strict().default({}),
  /** Face frames per MAE inference call. @defaultValue 16 */
  batchSize: z.number().int().min(1).max(512).default(16),
  /** Extra side around the tracked face box before the square crop, as a share of the box. @defaultValue 0.2 */
  faceMargin: z.number().min(0).max(1).default(0.2),
  /** A `command:` extractor is killed after this long (E_TIMEOUT). @defaultValue 600000 */
  commandTimeoutMs: z.number().int().positive().default(600_000),
});
export type FeaturesOptions = z.infer<typeof FeaturesOptions>;

const Done = z.object({
  status: z.literal("done"),
  /** `<sampleDir>/features/<encoder>.npy`: float32 (1024,), finite. */
  file: z.string(),
  extractor: z.enum(["onnx", "command"]),
  /** The model file, or the command's program. */
  source: z.string(),
  sha256: z.string().optional(),
  inputShape: z.array(z.number().int()).optional(),
  outputShape: z.array(z.number().int()).optional(),
  frames: z.number().int().optional(),
  /** L2 norm of the vector (a zero vector is never written silently: it would show here). */
  norm: z.number(),
});
const EncoderResult = z.discriminatedUnion("status", [Done, z.object({ status: z.literal("not-requested") })]);

export const FeaturesOutput = z.object({
  encoders: z.object(Object.fromEntries(ENCODERS.map((e) => [e, EncoderResult])) as Record<EncoderName, typeof EncoderResult>),
});
export type FeaturesOutput = z.infer<typeof FeaturesOutput>;

type Result = z.infer<typeof EncoderResult>;

const providersOf = (settings: StageContext["settings"]): string[] =>
  typeof settings.onnxProviders === "string" && settings.onnxProviders.trim() ? settings.onnxProviders.split(",").map((s) => s.trim()) : ["cpu"];

/** True when the options ask for at least one trainer feature. */
const anyRequested = (options: FeaturesOptions): boolean => ENCODERS.some((enc) => options.encoders[enc] !== undefined);

const norm = (v: Float32Array): number => Math.round(Math.sqrt(v.reduce((s, x) => s + x * x, 0)) * 1e4) / 1e4;

export const features = defineStage({
  name: "features",
  version: 1,
  // A build that requests no feature records a `not-requested` skip (a note), not a `done` without files:
  // variant 2 of that case alone, so a build with --features keeps its records (no inference again).
  versionOf: (options) => (anyRequested(options) ? undefined : 2),
  description: "The trainer's utterance features (HL-UTT, mae_340_UTT, maeV_399_UTT) with ONNX models or an external extractor",
  // The pipeline runs it after au-analyze (a gate: a clip the rules filter out costs no GPU time), but it
  // reads nothing of it, so a change in the AU rules or their analysis does not redo it.
  needs: { "extract-audio": extractAudio, "au-extract": auExtract },
  uses: { "sample-frames": sampleFrames },
  // The video itself (face crops, the {video} placeholder); never the label or the transcript.
  reads: ["media"],
  // Trainer features are optional: a build without --features finishes its samples without them.
  partialSkips: [NOT_REQUESTED],
  options: FeaturesOptions,
  output: FeaturesOutput,
  async run({ sample, options, deps }, ctx) {
    const dir = path.join(ctx.sampleDir, "features");
    const results = {} as Record<EncoderName, Result>;
    // A feature file left by an earlier configuration must never be exported as this run's.
    for (const enc of ENCODERS) {
      await rm(path.join(dir, `${enc}.npy`), { force: true });
      results[enc] = { status: "not-requested" };
    }
    if (!anyRequested(options)) {
      return skip(NOT_REQUESTED, "no trainer feature was requested: merr build --features <folder>=onnx:<model.onnx> (or command:<extractor>) computes them (docs/features.md)");
    }
    const timings: Record<string, { preprocessMs: number; inferenceMs: number }> = {};
    const write = async (enc: EncoderName, vector: Float32Array, extra: Omit<z.infer<typeof Done>, "status" | "file" | "norm">): Promise<void> => {
      const file = path.join(dir, `${enc}.npy`);
      await writeFileAtomic(file, encodeFeature(vector));
      results[enc] = { status: "done", file, norm: norm(vector), ...extra };
    };
    const specs = options.encoders;
    const providers = providersOf(ctx.settings);
    const onnx = async (enc: EncoderName): Promise<OnnxEncoder | undefined> => {
      const spec = specs[enc];
      if (spec?.kind !== "onnx") return undefined;
      return ctx.resource(`onnx:${spec.sha256}:${spec.model}:${providers.join(",")}`, () => loadOnnxEncoder(spec, providers));
    };
    const fromOnnx = async (enc: EncoderName, c: Computed, model: OnnxEncoder): Promise<void> => {
      timings[enc] = { preprocessMs: Math.round(c.preprocessMs * 10) / 10, inferenceMs: Math.round(c.inferenceMs * 10) / 10 };
      const spec = specs[enc] as { sha256: string };
      await write(enc, c.vector, { extractor: "onnx", source: model.model, sha256: spec.sha256, inputShape: c.inputShape, outputShape: c.outputShape, ...(c.frames ? { frames: c.frames } : {}) });
    };

    const hubert = await onnx("HL-UTT");
    if (hubert) await fromOnnx("HL-UTT", await hubertFeature(hubert, deps["extract-audio"].wavPath), hubert);

    const mae = await onnx("mae_340_UTT");
    const videomae = await onnx("maeV_399_UTT");
    const wantsFaces = Boolean(mae || videomae) || ENCODERS.some((e) => specs[e]?.kind === "command" && specs[e].argv.some((w) => w.includes("{faces}")));
    const sidecar = wantsFaces ? await loadFaceSidecar(deps["au-extract"].sidecarPath) : undefined;
    if (mae || videomae) {
      if (!sidecar) {
        throw new MerrError("E_INPUT_INVALID", `${sample.id}: the face encoders crop the face boxes of merr's built-in analyzer, and au-extract (${deps["au-extract"].extractor}) wrote none; use --extractor builtin, or a command: extractor for these features`);
      }
      const out = await faceFeatures({ mae, videomae }, sample.path, sidecar, { batchSize: options.batchSize, margin: options.faceMargin, signal: ctx.signal });
      if (mae && out.mae) await fromOnnx("mae_340_UTT", out.mae, mae);
      if (videomae && out.videomae) await fromOnnx("maeV_399_UTT", out.videomae, videomae);
    }

    for (const enc of ENCODERS) {
      const spec = specs[enc];
      if (spec?.kind !== "command") continue;
      const faces = path.join(dir, "faces.json");
      if (spec.argv.some((w) => w.includes("{faces}"))) {
        if (!sidecar) throw new MerrError("E_INPUT_INVALID", `${sample.id}: {faces} needs the built-in analyzer's face boxes, and au-extract (${deps["au-extract"].extractor}) wrote none`);
        await writeJsonAtomic(faces, {
          video: sample.path,
          frameSize: sidecar.frameSize,
          fps: sidecar.fps,
          frames: sidecar.frames.flatMap((f) => (f.face ? [{ frame: f.frame, timeS: f.timestampS, box: f.face.box }] : [])),
        });
      }
      const frames = deps["sample-frames"]?.framesDir;
      if (!frames && spec.argv.some((w) => w.includes("{frames}"))) throw new MerrError("E_INPUT_INVALID", `${sample.id}: {frames} needs sample-frames, which did not finish`);
      const ran = await runCommandExtractor(
        spec.argv,
        { audio: deps["extract-audio"].wavPath, frames: frames ?? "", faces, video: sample.path, out: path.join(dir, `${enc}.command-out.npy`) },
        { signal: ctx.signal, timeoutMs: options.commandTimeoutMs },
      );
      timings[enc] = { preprocessMs: 0, inferenceMs: Math.round(ran.ms * 10) / 10 };
      await write(enc, ran.vector, { extractor: "command", source: spec.argv[0]! });
    }
    ctx.provenance({ onnxProviders: providers, timings });
    return { encoders: results };
  },
});
