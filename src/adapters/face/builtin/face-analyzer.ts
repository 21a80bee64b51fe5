import type { FaceResult, Human, Tensor } from "@vladmandic/human";
import type { Point3 } from "./geometry.ts";
import { loadHuman, type HumanInfo } from "./human.ts";
import { iou } from "./subject.ts";

/** Human's seven expression classes. */
export const EXPRESSIONS = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"] as const;
export type Expression = (typeof EXPRESSIONS)[number];

/** What the analyzer sees of one face in one frame (coordinates in the analysed frame's pixels). */
export interface FaceObservation {
  /** Face-mesh confidence, 0..1. */
  score: number;
  /** [x, y, width, height] in pixels. */
  box: [number, number, number, number];
  /** 478 points (468 mesh + 10 iris): x, y in pixels (sub-pixel), z in the mesh model's crop units. */
  mesh: Point3[];
  /** Multiplier from mesh z to pixels (Human's convention: face size / 1.5 / 192). */
  zScale: number;
  /** Probabilities of the seven expression classes (sum ~1). */
  expression: Record<Expression, number>;
  /** True when the detector ran on this frame (otherwise the face box was tracked from the previous mesh). */
  detected: boolean;
  /** How much the frame was enlarged for this analysis (see {@link FaceAnalyzerOptions.targetFaceWidth}). */
  scale: number;
  /**
   * Identity descriptor (Human's faceres, 1024 values; compare with `similarity`). Taken on the first
   * detection with a face of a clip, of a shot (`redetect`) and after the face was lost: one model run
   * costs about two frames' analysis, and within a shot box tracking already keeps the person.
   */
  descriptor?: number[];
}

export interface FaceAnalyzerOptions {
  /** Re-run the face detector every N analysed frames (it also runs whenever the face is lost). @defaultValue 10 */
  detectEvery?: number;
  /**
   * Before the first face is found, frames narrower than this are enlarged (bilinear, on the tensor),
   * up to 2x. Human truncates every mesh point (and rounds its face box) to a whole pixel; analysing an
   * enlarged frame makes that error a fraction of a source pixel. @defaultValue 720
   */
  precisionWidth?: number;
  /**
   * Once a face is known, each detection enlarges the frame so that the largest face box is about this
   * wide (px), whatever the frame size: the precision the calibration was made at (the neutral sample
   * clip's 171 px box analysed at 1.5x). @defaultValue 256
   */
  targetFaceWidth?: number;
  /** Largest enlarged frame (pixels), which bounds the cost for small faces in large frames. @defaultValue 2_100_000 */
  maxPixels?: number;
}

export interface FaceAnalyzer {
  readonly info: HumanInfo & { detectEvery: number; precisionWidth: number; targetFaceWidth: number };
  /**
   * Analyses clips one at a time: `run` gets exclusive use of the (process-wide, stateful) model
   * and a fresh tracking state; concurrent callers wait their turn. `analyse` returns every face found
   * in the frame (at most `MAX_FACES` of human.ts), in Human's order. `redetect` runs the detector on this
   * frame instead of tracking from the previous one (the first frame of a window that does not follow it,
   * or of a new shot).
   */
  /** Similarity of two identity descriptors, 0..1 (Human's `match.similarity`; 0.5 and above: the same person). */
  similarity(a: readonly number[], b: readonly number[]): number;
  session<T>(run: (analyse: (frame: { rgb: Uint8Array; width: number; height: number }, opts?: { redetect?: boolean }) => Promise<FaceObservation[]>) => Promise<T>): Promise<T>;
}

/** The enlargement factor for a frame width (1 = none), before any face is known. Pure. */
export function upscaleFactor(width: number, precisionWidth: number): number {
  if (width >= precisionWidth) return 1;
  return Math.min(2, precisionWidth / width);
}

/** Most a frame is enlarged for a small face. */
const MAX_FACE_UPSCALE = 3;

/**
 * The enlargement factor that brings a face box `faceWidth` px wide to about `targetFaceWidth`: in
 * steps of 0.25 (so a face that changes size by a few pixels keeps its factor), at least 1, at most
 * {@link MAX_FACE_UPSCALE}, and within `maxPixels` for the enlarged frame. Pure.
 */
export function faceUpscaleFactor(frame: { width: number; height: number }, faceWidth: number, opts: { targetFaceWidth: number; maxPixels: number }): number {
  const step = (v: number): number => Math.round(v * 4) / 4;
  const byFace = faceWidth > 0 ? step(opts.targetFaceWidth / faceWidth) : 1;
  const byPixels = Math.floor(Math.sqrt(opts.maxPixels / (frame.width * frame.height)) * 4) / 4;
  return Math.max(1, Math.min(byFace, MAX_FACE_UPSCALE, byPixels));
}

function toObservation(face: FaceResult, k: number, detected: boolean, described: boolean): FaceObservation | undefined {
  if (!face.mesh || face.mesh.length < 468) return undefined;
  // Human truncates coordinates towards zero: the true point lies in [v, v+1) of the enlarged frame.
  const half = 0.5;
  const mesh = face.mesh.map((p) => [(p[0] + half) / k, (p[1] + half) / k, p[2] ?? 0] as Point3);
  const [bx, by, bw, bh] = face.box;
  const expression = Object.fromEntries(EXPRESSIONS.map((e) => [e, 0])) as Record<Expression, number>;
  for (const e of face.emotion ?? []) if (e.emotion in expression) expression[e.emotion as Expression] = e.score;
  const size = Math.max(bw, bh) / k / 1.5;
  return {
    score: face.faceScore ?? face.score,
    box: [bx / k, by / k, bw / k, bh / k],
    mesh,
    zScale: size / 192,
    expression,
    detected,
    scale: k,
    ...(described && face.embedding?.length ? { descriptor: face.embedding } : {}),
  };
}

type Frame = { rgb: Uint8Array; width: number; height: number };

/** Per-clip tracking state: frames since the last detection, the enlargement in use, the last face size. */
interface TrackState {
  sinceDetect: number;
  k: number | undefined;
  /** Width (frame px) of the largest face last found. */
  faceWidth: number | undefined;
  /** Take identity descriptors at the next detection that finds a face (a new clip, shot or window, or the face was lost). */
  describe: boolean;
}

/** Human `cacheSensitivity` values that force a detection / allow tracking (see analyseFrame). */
const FORCE_DETECT = -1;
const TRACK = 1e12;

/** Wraps a loaded Human as a {@link FaceAnalyzer}. */
export function createFaceAnalyzerFrom(loaded: { human: Human; info: HumanInfo }, opts: FaceAnalyzerOptions = {}): FaceAnalyzer {
  const { human } = loaded;
  const detectEvery = Math.max(1, Math.round(opts.detectEvery ?? 10));
  const precisionWidth = opts.precisionWidth ?? 720;
  const targetFaceWidth = opts.targetFaceWidth ?? 256;
  const maxPixels = opts.maxPixels ?? 2_100_000;
  let queue: Promise<unknown> = Promise.resolve();

  async function analyseFrame(state: TrackState, frame: Frame): Promise<FaceObservation[]> {
    const detect = state.sinceDetect >= detectEvery - 1 || state.sinceDetect < 0;
    if (state.sinceDetect < 0) state.describe = true;
    // The factor changes only where the detector runs: a tracked box is in the enlarged frame's pixels.
    if (detect || state.k === undefined) {
      state.k = state.faceWidth === undefined ? upscaleFactor(frame.width, precisionWidth) : faceUpscaleFactor(frame, state.faceWidth, { targetFaceWidth, maxPixels });
    }
    const first = state.faceWidth === undefined;
    let faces = await runHuman(state, frame, detect, state.k);
    if (faces.length) state.faceWidth = Math.max(...faces.map((f) => f.box[2]));
    // The first face found sets the precision for the clip from then on, this frame included.
    if (first && faces.length && state.faceWidth !== undefined) {
      const k = faceUpscaleFactor(frame, state.faceWidth, { targetFaceWidth, maxPixels });
      if (k !== state.k) {
        state.k = k;
        const before = faces;
        // The identity descriptors of the first analysis serve (each face keeps its best-overlapping one).
        faces = (await runHuman(state, frame, true, k, false)).map((f) => {
          const match = before.map((b) => ({ b, o: iou(b.box, f.box) })).sort((x, y) => y.o - x.o)[0];
          return match?.b.descriptor && match.o >= 0.3 ? { ...f, descriptor: match.b.descriptor } : f;
        });
        if (faces.length) state.faceWidth = Math.max(...faces.map((f) => f.box[2]));
      }
    }
    return faces;
  }

  async function runHuman(state: TrackState, frame: Frame, detect: boolean, k: number, mayDescribe = true): Promise<FaceObservation[]> {
    const describe = mayDescribe && detect && state.describe;
    const tf = human.tf;
    const input = tf.tidy(() => {
      const t = tf.expandDims(tf.tensor3d(frame.rgb, [frame.height, frame.width, 3], "int32"), 0);
      if (k === 1) return tf.cast(t, "float32");
      return tf.image.resizeBilinear(t as never, [Math.round(frame.height * k), Math.round(frame.width * k)]);
    }) as Tensor;
    // Human decides "reuse the tracked box" in its frame cache (image.ts `skip`), which keeps the last
    // input frame in module state. cacheSensitivity 0 returns early WITHOUT updating that frame, so the
    // first tracked frame of a clip compared against whatever clip ran before (reuse) or nothing (detect):
    // the same clip gave different meshes depending on process history. A negative sensitivity makes
    // every frame update Human's reference frame and forces a detection (no difference is <= -1); a huge
    // one lets Human reuse the box tracked from the previous mesh of THIS clip (detector
    // skipFrames/skipTime are configured huge). So every frame's path depends only on this clip.
    human.config.cacheSensitivity = detect ? FORCE_DETECT : TRACK;
    (human.config.face.description as { enabled: boolean }).enabled = describe;
    try {
      const result = await human.detect(input as never);
      const faces = result.face.flatMap((f) => toObservation(f, k, detect, describe) ?? []);
      if (faces.length === 0) state.describe = true;
      else if (describe) state.describe = false;
      // Every face lost: detect again on the next frame (Human's box cache is empty anyway).
      state.sinceDetect = detect || faces.length === 0 ? 0 : state.sinceDetect + 1;
      return faces;
    } finally {
      tf.dispose(input);
    }
  }

  return {
    info: { ...loaded.info, detectEvery, precisionWidth, targetFaceWidth },
    similarity: (a, b) => human.match.similarity(a as number[], b as number[]),
    session(run) {
      const state: TrackState = { sinceDetect: -1, k: undefined, faceWidth: undefined, describe: true };
      const next = queue.then(() =>
        run((frame, o) => {
          if (o?.redetect) state.sinceDetect = -1;
          return analyseFrame(state, frame);
        }),
      );
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

/** Loads Human and wraps it. Costs a few seconds: memoise the result per process (`ctx.resource`). */
export async function createFaceAnalyzer(opts: FaceAnalyzerOptions = {}): Promise<FaceAnalyzer> {
  return createFaceAnalyzerFrom(await loadHuman(), opts);
}
