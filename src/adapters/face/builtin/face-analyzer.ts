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
  /**
   * Probabilities of the seven expression classes (sum ~1); absent when the classifier did not run on
   * this frame (the caller asks for it at a few frames per second: see `analyse`'s `expression`).
   */
  expression?: Record<Expression, number>;
  /** True when the detector ran on this frame (otherwise the face box was tracked from the previous mesh). */
  detected: boolean;
  /** How much the frame was enlarged for this analysis (see {@link FaceAnalyzerOptions.targetFaceWidth}). */
  scale: number;
  /**
   * Identity descriptor (Human's faceres, 1024 values; compare with `similarity`). Taken on the first
   * {@link DESCRIPTORS_PER_SHOT} detections with a face of a clip, of a shot (`redetect`) and after the
   * face was lost: one model run costs about two frames' analysis, and within a shot box tracking
   * already keeps the person.
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

export interface SessionOptions {
  /**
   * Turn each frame so that the face of the frame before is upright before Human analyses it (see
   * {@link Turn}; docs/face-analyzer.md, "Tilted heads"). Human turns a face itself only beyond 11.5
   * degrees of tilt. @defaultValue false
   */
  upright?: boolean;
}

export interface FaceAnalyzer {
  readonly info: HumanInfo & { detectEvery: number; precisionWidth: number; targetFaceWidth: number };
  /** Similarity of two identity descriptors, 0..1 (Human's `match.similarity`; subject.ts groups tracks from 0.65). */
  similarity(a: readonly number[], b: readonly number[]): number;
  /**
   * Analyses clips one at a time: `run` gets exclusive use of the (process-wide, stateful) model
   * and a fresh tracking state; concurrent callers wait their turn. `analyse` returns every face found
   * in the frame (at most `MAX_FACES` of human.ts), in Human's order. `redetect` runs the detector on this
   * frame instead of tracking from the previous one (the first frame of a window that does not follow it,
   * or of a new shot). `expression: false` skips the expression classifier on this frame (about a sixth
   * of a frame's CPU); it changes nothing else that is measured.
   */
  session<T>(
    run: (analyse: (frame: { rgb: Uint8Array; width: number; height: number }, opts?: { redetect?: boolean; expression?: boolean }) => Promise<FaceObservation[]>) => Promise<T>,
    opts?: SessionOptions,
  ): Promise<T>;
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

/** The part of the frame given to Human (frame pixels, whole numbers); undefined = the whole frame. */
type Region = { x: number; y: number; w: number; h: number };

/**
 * The turn that shows a tilted face upright: the point (x, y) of the picture Human is given is the frame's
 * point `centre + R(angle) * ((x, y) - centre)`. The picture is sampled through it and the points Human
 * returns are mapped back through it, so every coordinate the analyzer reports is the frame's.
 */
export interface Turn {
  /** Radians; positive turns the picture's downward axis towards the frame's left (y grows downwards). */
  angle: number;
  cx: number;
  cy: number;
}

/** The frame's point for a point of the turned picture. Pure. */
export function turnPoint(t: Turn, x: number, y: number): [number, number] {
  const c = Math.cos(t.angle);
  const s = Math.sin(t.angle);
  const dx = x - t.cx;
  const dy = y - t.cy;
  return [t.cx + c * dx - s * dy, t.cy + s * dx + c * dy];
}

/**
 * The turn that shows this face upright: its angle is the tilt of the face's midline (mesh points 10, the
 * top of the forehead, and 152, the chin; Human's own turn takes the line from the mouth to between the
 * eyes, or the detector's mouth and nose), its centre the face box's centre. Pure.
 */
export function uprightTurn(face: Pick<FaceObservation, "mesh" | "box">): Turn {
  const top = face.mesh[10];
  const chin = face.mesh[152];
  const angle = top && chin ? Math.atan2(-(chin[0] - top[0]), chin[1] - top[1]) : 0;
  return { angle, cx: face.box[0] + face.box[2] / 2, cy: face.box[1] + face.box[3] / 2 };
}

/**
 * The frame sampled through a turn, in the frame's size (bilinear; beyond the frame's edge, its nearest
 * pixel), as floats. Pure. Written out in JavaScript: tfjs's `image.transform` (WASM) took about four
 * times as long on a 960x540 frame, and `image.rotateWithOffset` samples the nearest pixel only.
 */
export function turnFrame(frame: { rgb: Uint8Array; width: number; height: number }, t: Turn): Float32Array {
  const { rgb, width: w, height: h } = frame;
  const out = new Float32Array(w * h * 3);
  if (w < 2 || h < 2) {
    out.set(rgb);
    return out;
  }
  const c = Math.cos(t.angle);
  const s = Math.sin(t.angle);
  const [wm, hm] = [w - 1, h - 1];
  for (let y = 0; y < h; y++) {
    // The frame's point for the picture's (0, y) (turnPoint), then one step along the row per pixel.
    let sx = t.cx - c * t.cx - s * (y - t.cy);
    let sy = t.cy - s * t.cx + c * (y - t.cy);
    for (let x = 0, o = y * w * 3; x < w; x++, sx += c, sy += s, o += 3) {
      const fx = sx < 0 ? 0 : sx > wm ? wm : sx;
      const fy = sy < 0 ? 0 : sy > hm ? hm : sy;
      const x0 = Math.min(fx | 0, wm - 1);
      const y0 = Math.min(fy | 0, hm - 1);
      const ax = fx - x0;
      const ay = fy - y0;
      // (No array literals here: this runs for every pixel of every analysed frame.)
      const w00 = (1 - ax) * (1 - ay);
      const w01 = ax * (1 - ay);
      const w10 = (1 - ax) * ay;
      const w11 = ax * ay;
      const i00 = (y0 * w + x0) * 3;
      const i10 = i00 + w * 3;
      out[o] = rgb[i00]! * w00 + rgb[i00 + 3]! * w01 + rgb[i10]! * w10 + rgb[i10 + 3]! * w11;
      out[o + 1] = rgb[i00 + 1]! * w00 + rgb[i00 + 4]! * w01 + rgb[i10 + 1]! * w10 + rgb[i10 + 4]! * w11;
      out[o + 2] = rgb[i00 + 2]! * w00 + rgb[i00 + 5]! * w01 + rgb[i10 + 2]! * w10 + rgb[i10 + 5]! * w11;
    }
  }
  return out;
}

function toObservation(face: FaceResult, k: number, detected: boolean, described: boolean, classified: boolean, region?: Region, turn?: Turn): FaceObservation | undefined {
  if (!face.mesh || face.mesh.length < 468) return undefined;
  // Human truncates coordinates towards zero: the true point lies in [v, v+1) of the enlarged frame.
  const half = 0.5;
  const ox = region?.x ?? 0;
  const oy = region?.y ?? 0;
  const toFrame = (x: number, y: number): [number, number] => (turn ? turnPoint(turn, x / k + ox, y / k + oy) : [x / k + ox, y / k + oy]);
  const mesh = face.mesh.map((p) => [...toFrame(p[0] + half, p[1] + half), p[2] ?? 0] as Point3);
  const [bx, by, bw, bh] = face.box;
  // Turned, the box keeps the upright face's size, centred where the face is in the frame.
  const centre = turn ? toFrame(bx + bw / 2, by + bh / 2) : undefined;
  const box: FaceObservation["box"] = centre ? [centre[0] - bw / k / 2, centre[1] - bh / k / 2, bw / k, bh / k] : [bx / k + ox, by / k + oy, bw / k, bh / k];
  const expression = Object.fromEntries(EXPRESSIONS.map((e) => [e, 0])) as Record<Expression, number>;
  if (classified) for (const e of face.emotion ?? []) if (e.emotion in expression) expression[e.emotion as Expression] = e.score;
  const size = Math.max(bw, bh) / k / 1.5;
  return {
    score: face.faceScore ?? face.score,
    box,
    mesh,
    zScale: size / 192,
    ...(classified ? { expression } : {}),
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
  /**
   * Identity descriptors still to take in this shot: one at each of the next detections that find a
   * face ({@link DESCRIPTORS_PER_SHOT} from a new clip, shot or window, or after the face was lost).
   */
  describe: number;
  /** The region around the faces that tracked frames analyse (set on a detection frame), or undefined: the whole frame. */
  region: Region | undefined;
  /** Run the expression classifier on the frame being analysed. */
  expression: boolean;
  /** Turn tilted faces upright before Human (the session's `upright` option). */
  upright: boolean;
  /** The turn that shows the face of the last analysed frame upright when it had one face (see {@link Turn}); undefined: none. */
  turn: Turn | undefined;
  /** The frame last sampled through a turn (a detection frame is given to Human up to four times). */
  turned: { frame: Frame; turn: Turn; pixels: Float32Array } | undefined;
}

/**
 * Margin of the face region on every side, in widths of the largest face: room for the head to move
 * until the next detection (10 frames). A face that leaves it is lost, and the next frame detects on
 * the whole frame.
 */
const REGION_MARGIN = 1;

/** The faces' region with its margin, clipped to the frame, in whole pixels. Pure. */
export function faceRegion(frame: { width: number; height: number }, boxes: ReadonlyArray<readonly [number, number, number, number]>): Region {
  const m = REGION_MARGIN * Math.max(...boxes.map((b) => Math.max(b[2], b[3])));
  const x0 = Math.max(0, Math.floor(Math.min(...boxes.map((b) => b[0])) - m));
  const y0 = Math.max(0, Math.floor(Math.min(...boxes.map((b) => b[1])) - m));
  const x1 = Math.min(frame.width, Math.ceil(Math.max(...boxes.map((b) => b[0] + b[2])) + m));
  const y1 = Math.min(frame.height, Math.ceil(Math.max(...boxes.map((b) => b[1] + b[3])) + m));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Keeps the identity descriptors of an earlier analysis of the same frame: each face takes its best-overlapping one's. */
function carryDescriptors(faces: FaceObservation[], before: readonly FaceObservation[]): FaceObservation[] {
  return faces.map((f) => {
    const match = before.map((b) => ({ b, o: iou(b.box, f.box) })).sort((x, y) => y.o - x.o)[0];
    return match?.b.descriptor && match.o >= 0.3 ? { ...f, descriptor: match.b.descriptor } : f;
  });
}

/**
 * Identity descriptors taken per shot, one per detection frame (every `detectEvery` frames): tracks are
 * grouped into people by their mean similarity, and one descriptor of a face is noisy. Measured
 * (`npm run bench:identity`): the same person within a clip falls under the grouping's 0.65 for 8.5 % of
 * single descriptor pairs and 0-5.9 % of 3 x 3 means; similar strangers reach it for 1.3 % of single
 * pairs and 0.2 % of 3 x 1 means.
 * Each costs about 90 ms of CPU (two frames' analysis), once per detection frame.
 */
export const DESCRIPTORS_PER_SHOT = 3;

/** Width:height every analysed picture is padded out to when it is wider (see runHuman). */
const DETECTOR_ASPECT = [4, 3] as const;

/**
 * How far (radians: 1 degree) a face the detector finds may be from upright in the picture before its
 * frame is analysed again, turned: the first frame of a clip or shot, or a head that turned fast. Not
 * fitted. Without the turn, the brow measures moved by about 0.003 face units per degree of tilt within
 * a few degrees of upright (docs/face-analyzer.md, "Tilted heads").
 */
const TURN_TOLERANCE = Math.PI / 180;

/**
 * The turn that would show these faces upright: one face, its upright turn; several faces, none (one
 * turn cannot show two tilted faces upright, and the followed subject is chosen after the clip).
 */
function turnFor(state: { upright: boolean }, faces: readonly FaceObservation[]): Turn | undefined {
  return state.upright && faces.length === 1 ? uprightTurn(faces[0]!) : undefined;
}

/**
 * The turn to use next, given the one in use and the one the face now needs: the angle changes only when
 * the face leans more than TURN_TOLERANCE away from it (the centre follows the face), and a face within
 * TURN_TOLERANCE of upright is not turned at all. A head held still is turned by one angle, or not at
 * all: turning every frame by its own noisy estimate of the tilt resampled each frame differently, and
 * small, low-resolution and HD faces read less alike under it (`bench:face-quality`). Pure.
 */
export function nextTurn(current: Turn | undefined, needed: Turn | undefined): Turn | undefined {
  if (!needed) return undefined;
  if (Math.abs(needed.angle - (current?.angle ?? 0)) <= TURN_TOLERANCE) return current && { ...current, cx: needed.cx, cy: needed.cy };
  return Math.abs(needed.angle) <= TURN_TOLERANCE ? undefined : needed;
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
    if (state.sinceDetect < 0) {
      // A clip, shot or window starts afresh: the face it finds sets the turn.
      state.describe = DESCRIPTORS_PER_SHOT;
      state.turn = undefined;
    }
    if (!detect && state.region && state.k !== undefined) {
      const faces = await runHuman(state, frame, false, state.k, true, state.region);
      if (faces.length) state.faceWidth = Math.max(...faces.map((f) => f.box[2]));
      else {
        // The face left the region: the next frame detects on the whole frame.
        state.region = undefined;
        state.sinceDetect = -1;
      }
      return followTilt(state, faces);
    }
    // The factor changes only where the detector runs: a tracked box is in the enlarged frame's pixels.
    if (detect || state.k === undefined) {
      state.region = undefined;
      state.k = state.faceWidth === undefined ? upscaleFactor(frame.width, precisionWidth) : faceUpscaleFactor(frame, state.faceWidth, { targetFaceWidth, maxPixels });
    }
    const first = state.faceWidth === undefined;
    let faces = await runHuman(state, frame, detect, state.k);
    if (faces.length) state.faceWidth = Math.max(...faces.map((f) => f.box[2]));
    // The first face found sets the precision for the clip from then on, this frame included; a frame whose
    // faces the detector finds more than TURN_TOLERANCE from the turn they were given is analysed again.
    if ((first || detect) && faces.length && state.faceWidth !== undefined) {
      const k = first ? faceUpscaleFactor(frame, state.faceWidth, { targetFaceWidth, maxPixels }) : state.k;
      const turn = nextTurn(state.turn, turnFor(state, faces));
      const turned = turn?.angle !== state.turn?.angle;
      if (k !== state.k || turned) {
        const before = { k: state.k, turn: state.turn };
        state.k = k;
        if (turned) state.turn = turn;
        const again = carryDescriptors(await runHuman(state, frame, true, k, false), faces);
        if (turned && k === before.k && again.length < faces.length) {
          // The turned picture lost a face: keep the first reading, and detect on the unturned picture again
          // so that Human tracks from it (its box cache now holds the turned picture's boxes).
          state.turn = before.turn;
          await runHuman(state, frame, true, state.k, false);
        } else faces = again;
        if (faces.length) state.faceWidth = Math.max(...faces.map((f) => f.box[2]));
      }
    }
    if (detect && faces.length && state.faceWidth !== undefined) faces = await analyseRegion(state, frame, faces, state.faceWidth);
    return followTilt(state, faces);
  }

  /** The next frame is turned so that this frame's face would be upright (see turnFor, nextTurn). */
  function followTilt(state: TrackState, faces: FaceObservation[]): FaceObservation[] {
    state.turn = nextTurn(state.turn, turnFor(state, faces));
    return faces;
  }

  /**
   * A small face in a large frame: the pixel budget keeps the whole frame from being enlarged enough, so
   * the region around the faces is analysed instead, enlarged to the target precision, on this frame
   * (detecting again there) and on the tracked frames up to the next detection. Nothing changes when
   * the whole frame can be enlarged enough, or when the region would not gain precision or loses a face.
   */
  async function analyseRegion(state: TrackState, frame: Frame, faces: FaceObservation[], faceWidth: number): Promise<FaceObservation[]> {
    const wanted = faceUpscaleFactor(frame, faceWidth, { targetFaceWidth, maxPixels: Infinity });
    if (state.k === undefined || wanted <= state.k) return faces;
    const region = faceRegion(frame, faces.map((f) => f.box));
    const k = faceUpscaleFactor({ width: region.w, height: region.h }, faceWidth, { targetFaceWidth, maxPixels });
    if (k <= state.k) return faces;
    const inRegion = await runHuman(state, frame, true, k, false, region);
    if (inRegion.length < faces.length) {
      // Human's box cache now holds the region's boxes: detect on the whole frame again to track from it.
      await runHuman(state, frame, true, state.k, false);
      return faces;
    }
    state.k = k;
    state.region = region;
    return carryDescriptors(inRegion, faces);
  }

  async function runHuman(state: TrackState, frame: Frame, detect: boolean, k: number, mayDescribe = true, region?: Region): Promise<FaceObservation[]> {
    const describe = mayDescribe && detect && state.describe > 0;
    const tf = human.tf;
    const input = tf.tidy(() => {
      const shape: [number, number, number] = [frame.height, frame.width, 3];
      // The face is shown upright (see Turn): Human turns a face only beyond 11.5 degrees of tilt.
      const turn = state.turn;
      if (turn && (state.turned?.frame !== frame || state.turned.turn !== turn)) state.turned = { frame, turn, pixels: turnFrame(frame, turn) };
      const pixels = turn && state.turned ? tf.tensor3d(state.turned.pixels, shape, "float32") : tf.tensor3d(frame.rgb, shape, "int32");
      const whole = tf.expandDims(pixels, 0);
      const t = region ? tf.slice(whole, [0, region.y, region.x, 0], [1, region.h, region.w, 3]) : whole;
      const [h, w] = region ? [region.h, region.w] : [frame.height, frame.width];
      const sized = k === 1 ? tf.cast(t, "float32") : tf.image.resizeBilinear(t as never, [Math.round(h * k), Math.round(w * k)]);
      // Human's detector squeezes its input into a square, so boxes grew with a frame's width (a 2.4:1
      // frame's face box 1.6 times the face). Black rows below a wider picture bring it to 4:3, the
      // calibration clips' shape; the points keep their coordinates.
      const [sh, sw] = [sized.shape[1]!, sized.shape[2]!];
      const below = Math.ceil((sw * DETECTOR_ASPECT[1]) / DETECTOR_ASPECT[0]) - sh;
      return below > 0 ? tf.pad(sized, [[0, 0], [0, below], [0, 0], [0, 0]]) : sized;
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
    (human.config.face.emotion as { enabled: boolean }).enabled = state.expression;
    try {
      const result = await human.detect(input as never);
      const faces = result.face.flatMap((f) => toObservation(f, k, detect, describe, state.expression, region, state.turn) ?? []);
      // The face was lost: describe again at the next detection. Only for a pass whose result stands
      // (a region pass that finds nothing is replaced by the whole frame's, which found the face).
      if (faces.length === 0 && mayDescribe) state.describe = DESCRIPTORS_PER_SHOT;
      else if (describe) state.describe -= 1;
      // Every face lost: Human's box cache is empty, so it detects on the next frame anyway. Turning faces
      // upright, that frame starts afresh as a detection frame, so the face found there is analysed turned
      // (Human would keep the angle it found on the unturned picture until the next detection).
      state.sinceDetect = faces.length === 0 ? (state.upright ? -1 : 0) : detect ? 0 : state.sinceDetect + 1;
      return faces;
    } finally {
      tf.dispose(input);
    }
  }

  return {
    info: { ...loaded.info, detectEvery, precisionWidth, targetFaceWidth },
    similarity: (a, b) => human.match.similarity(a as number[], b as number[]),
    session(run, opts) {
      const state: TrackState = {
        sinceDetect: -1, k: undefined, faceWidth: undefined, describe: DESCRIPTORS_PER_SHOT, region: undefined, expression: true,
        upright: opts?.upright ?? false, turn: undefined, turned: undefined,
      };
      const next = queue.then(() =>
        run((frame, o) => {
          if (o?.redetect) state.sinceDetect = -1;
          state.expression = o?.expression ?? true;
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
