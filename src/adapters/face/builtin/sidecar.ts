import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { MerrError } from "../../../core/errors.ts";
import { EXPRESSIONS } from "./face-analyzer.ts";

const ExpressionSchema = z.object(Object.fromEntries(EXPRESSIONS.map((e) => [e, z.number().min(0).max(1)])) as Record<(typeof EXPRESSIONS)[number], z.ZodNumber>);

/** One analysed frame of the sidecar. `face` is null when no face was found. */
export const FaceSidecarFrameSchema = z.object({
  /** 1-based frame number, the CSV's `frame`. */
  frame: z.number().int().positive(),
  /** Seconds from the start of the clip, the CSV's `timestamp`. */
  timestampS: z.number().nonnegative(),
  /** Mean luma (BT.601, 0..255) of the picture: the whole frame but black bars (pictureBox in extractor.ts). */
  brightness: z.number().min(0).max(255),
  face: z
    .object({
      /** Face-mesh confidence 0..1. */
      confidence: z.number().min(0).max(1),
      /** [x, y, width, height] in pixels of the original clip. */
      box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
      /** Mean luma (0..255) inside the face box. */
      brightness: z.number().min(0).max(255),
      /** Head rotation in radians (pitch > 0 chin up, yaw > 0 turned to the image's right, roll > 0 clockwise). */
      headPose: z.object({ pitch: z.number(), yaw: z.number(), roll: z.number() }),
      /** Gaze angles in radians (OpenFace `gaze_angle_x/y` convention), absent when the iris was not found. */
      gaze: z.object({ x: z.number(), y: z.number() }).nullable(),
      /**
       * Probabilities of Human's seven expression classes (sum ~1). From analyzer version 9 only on the
       * frames the classifier ran on (5 per second of video, `EXPRESSION_FPS`); absent on the others.
       */
      expression: ExpressionSchema.optional(),
      /** True when the face detector ran on this frame (otherwise the box was tracked). */
      detected: z.boolean(),
      /** How much the frame was enlarged before analysis (a small face is analysed at the calibration's precision); absent before analyzer version 5. */
      scale: z.number().positive().optional(),
    })
    .nullable(),
});

/**
 * The built-in analyzer's sidecar JSON: per-frame expression probabilities, gaze, head pose, face
 * box and brightness, beside the OpenFace-layout CSV. Read by the visual-description and reasoning stages.
 */
export const FaceSidecarSchema = z.object({
  schema: z.literal("merr.face-sidecar/1"),
  extractor: z.literal("builtin"),
  video: z.string(),
  /** Size of the original clip in pixels (boxes are in these units). */
  frameSize: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
  /** Size at which the frames were analysed (after downscaling). */
  analysedSize: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
  /** Native frame rate of the clip and the rate actually analysed. */
  fps: z.number().nonnegative(),
  analysedFps: z.number().nonnegative(),
  /**
   * How frames were chosen: `full` = every slot at `analysedFps`; `adaptive` = every `1/coarseFps` slot,
   * plus every frame (at `analysedFps`) around the candidate peaks (1-based frame numbers), adaptive-rate.ts.
   * Absent in sidecars of analyzer versions before 6 (full rate).
   */
  sampling: z
    .object({
      mode: z.enum(["full", "adaptive"]),
      coarseFps: z.number().positive().optional(),
      candidates: z.array(z.number().int().positive()).optional(),
      refinedFrames: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** Present (true) when each frame was turned so that the face was upright before the face mesh (au-extract `upright`). */
  upright: z.literal(true).optional(),
  framesWithFace: z.number().int().nonnegative(),
  /**
   * The followed subject: the share of analysed frames where its face was seen (`coverage`), how many
   * face tracks the clip had, the people they were grouped into and the shot cuts (since analyzer
   * version 7), and the frames where only someone else's face was in view.
   */
  subject: z
    .object({
      coverage: z.number().min(0).max(1),
      tracks: z.number().int().nonnegative(),
      identities: z.number().int().nonnegative().optional(),
      cuts: z.number().int().nonnegative().optional(),
      otherFaceOnlyFrames: z.number().int().nonnegative(),
    })
    .optional(),
  /**
   * The AU calibration used, and each AU's zero point in this clip (method and offset in face units).
   * `subject` and `calibration` are written since analyzer version 3.
   */
  calibration: z
    .object({
    id: z.string(),
    version: z.number().int().positive(),
    baselines: z.record(z.string(), z.object({ method: z.enum(["clip", "norm", "none", "person"]), offset: z.number() })),
  })
    .optional(),
  /** Mean of each expression probability over the classified frames with a face (null when none). */
  expressionMean: ExpressionSchema.nullable(),
  frames: z.array(FaceSidecarFrameSchema),
});

export type FaceSidecar = z.infer<typeof FaceSidecarSchema>;
export type FaceSidecarFrame = z.infer<typeof FaceSidecarFrameSchema>;

/**
 * Reads and validates a face sidecar. `undefined` when there is none (no path: the extractor writes no
 * sidecar, as OpenFace; or no file). A file that is not JSON or not a `merr.face-sidecar/1` is
 * E_SIDECAR_INVALID naming the file and how to get a good one.
 */
export async function loadFaceSidecar(file: string | undefined): Promise<FaceSidecar | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const fix = `au-extract writes it: delete ${path.join(path.dirname(file), "stages", "au-extract.json")} (and the sidecar) and build again`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MerrError("E_SIDECAR_INVALID", `${file}: not a face sidecar: not valid JSON (${(error as Error).message}); ${fix}`, { cause: error, details: { file } });
  }
  const parsed = FaceSidecarSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
  throw new MerrError("E_SIDECAR_INVALID", `${file}: not a face sidecar (merr.face-sidecar/1): ${issues}; ${fix}`, { details: { file } });
}
