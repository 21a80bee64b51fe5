import type { VideoGeometry } from "./frames.ts";

/**
 * The Action Unit extractor interface shared by OpenFace (`openface`) and merr's built-in face analyzer
 * (`builtin`). Both write the SAME OpenFace 2.x CSV layout, so everything downstream is identical.
 */

/** OpenFace 2.x AU intensity columns (0..5), in file order. */
export const AU_INTENSITY = [
  "AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
  "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45",
] as const;

/** OpenFace 2.x AU presence columns (0/1), in file order: the intensity list plus AU28. */
export const AU_PRESENCE = [
  "AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12",
  "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45",
] as const;

export type AuCode = (typeof AU_PRESENCE)[number];

export interface ExtractOptions {
  /** Absolute path of the CSV to write (OpenFace 2.x layout). Write atomically. */
  csvPath: string;
  /** Absolute path of the sidecar JSON (per-frame expression probabilities, gaze, head pose), if the extractor has one. */
  sidecarPath: string;
  /** Frames per second to analyse, every slot; undefined = every frame of the clip (see `rate`). */
  fps?: number;
  /**
   * Builtin only, when `fps` is not given: `full` analyses every frame; `adaptive` analyses 10 frames
   * per second and every frame around the candidate peaks (builtin/adaptive-rate.ts). @defaultValue "full"
   */
  rate?: "adaptive" | "full";
  /**
   * Builtin: the clip's video geometry when the caller knows it (the probe stage's output, which describes
   * the same stream: the first video stream that is not a cover picture). Saves an ffprobe run.
   */
  video?: VideoGeometry;
  /** Builtin, adaptive rate: frames per second of the first pass. @defaultValue 10 (COARSE_FPS, adaptive-rate.ts) */
  coarseFps?: number;
  /**
   * Builtin: turn each frame so that the face is upright before the face mesh reads it, while one face is
   * in view (Human turns a face only beyond 11.5 degrees of tilt; docs/face-analyzer.md, "Tilted heads").
   * @defaultValue false
   */
  upright?: boolean;

  /** Also write pose and gaze columns (OpenFace `-pose -gaze`). */
  poseGaze?: boolean;
  signal: AbortSignal;
  progress?: (pct: number, note?: string) => void;
}

export interface ExtractResult {
  csvPath: string;
  /** Undefined when the extractor writes no sidecar (OpenFace). */
  sidecarPath?: string;
  /** Rows written (frames analysed). */
  frames: number;
  /** Rows with success=1. */
  framesWithFace: number;
  /** Share of the clip's frames where the face was tracked, when rows do not stand for equal spans (adaptive rate). */
  coverage?: number;
  /** Median width of the followed face's box in the analysed frames' pixels (built-in analyzer; none without a face). */
  faceWidthPx?: number;
  /** What shaped the output: extractor name and version, models, parameters. */
  provenance: Record<string, unknown>;
}

export interface AuExtractor {
  readonly name: "openface" | "builtin";
  extract(video: string, options: ExtractOptions): Promise<ExtractResult>;
}
