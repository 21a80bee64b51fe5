import { coerceError, MerrError } from "../../../core/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../../core/fs.ts";
import { analysisSize, probeVideo, readRawFrames, type RawFrame } from "../frames.ts";
import type { AuExtractor, ExtractOptions, ExtractResult } from "../types.ts";
import { COARSE_FPS, framesAround, holdOnGrid, peakCandidateRows } from "./adaptive-rate.ts";
import { clipActivations, estimateAus } from "./au-estimate.ts";
import { AU_CALIBRATION } from "./calibration.ts";
import { createFaceAnalyzer, EXPRESSIONS, type Expression, type FaceAnalyzer, type FaceObservation } from "./face-analyzer.ts";
import { frontalise, gazeAngles, measure, openFacePose, type FaceMeasures, type Frontal } from "./geometry.ts";
import { FaceCuts, lumaAt, lumaGrid, ShotCuts } from "./shots.ts";
import { selectSubject } from "./subject.ts";
import { formatCsv, type CsvRow } from "./openface-csv.ts";
import type { FaceSidecar, FaceSidecarFrame } from "./sidecar.ts";

import { BUILTIN_VERSION } from "./version.ts";

export { BUILTIN_VERSION };

export interface BuiltinExtractorOptions {
  /** Supplies the (memoised) analyzer; stages pass `() => ctx.resource("face:builtin", createFaceAnalyzer)`. */
  analyzer?: () => Promise<FaceAnalyzer>;
  /** Analyse at most this many frames per second when the caller gives no `fps`. @defaultValue 30 */
  maxFps?: number;
  /** Downscale wider clips to this width before analysis. @defaultValue 960 */
  maxWidth?: number;
}

let shared: Promise<FaceAnalyzer> | undefined;

/** One analyzer per process for callers that do not bring their own. */
export function sharedFaceAnalyzer(): Promise<FaceAnalyzer> {
  shared ??= createFaceAnalyzer().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/**
 * A line of the frame is a black bar when its luma is at most BAR_MEAN_LUMA on average, BAR_MAX_LUMA at
 * any sampled pixel, and flat (within BAR_SPREAD_LUMA): a bar is one level plus coding noise, a dark
 * scene has texture. Not fitted: video black is luma 16 (0 once converted to full-range RGB), and the
 * margins leave room for coding noise; the quarter per side admits a 2.39:1 picture in a 4:3 frame (22 %).
 */
const BAR_MEAN_LUMA = 20;
const BAR_MAX_LUMA = 40;
const BAR_SPREAD_LUMA = 12;

/** Bars take at most this share of the frame's height (letterbox) or width (pillarbox) on each side. */
const BAR_MAX_SHARE = 0.25;

/**
 * The picture inside black bars (letterbox, pillarbox): the box [x, y, w, h] left when whole rows and
 * columns of near-black pixels, sampled every 4 pixels, are taken off the edges. Bars come in pairs, so
 * each axis loses the smaller of its two sides' runs from both sides (a subtitle burnt into the bottom bar
 * stops that side, and the top is cut as far), and nothing when that is over a quarter of the frame: a lit
 * face on a black night scene is a picture, not a bar. A frame that is black throughout is the whole
 * frame. Pure.
 */
export function pictureBox(frame: { rgb: Uint8Array; width: number; height: number }): [number, number, number, number] {
  const isBar = (n: number, at: (k: number) => number): boolean => {
    let sum = 0;
    let count = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < n; k += 4) {
      const v = at(k);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (hi > BAR_MAX_LUMA || hi - lo > BAR_SPREAD_LUMA) return false;
      sum += v;
      count++;
    }
    return sum / Math.max(1, count) <= BAR_MEAN_LUMA;
  };
  /** The bars' depth on both sides of an axis `n` lines long, from its lines' test. */
  const bars = (n: number, isBarLine: (i: number) => boolean): number => {
    const limit = Math.floor(n * BAR_MAX_SHARE);
    let a = 0;
    while (a <= limit && isBarLine(a)) a++;
    let b = 0;
    while (b <= limit && isBarLine(n - 1 - b)) b++;
    const depth = Math.min(a, b);
    return depth > limit ? 0 : depth;
  };
  const y = bars(frame.height, (r) => isBar(frame.width, (x) => lumaAt(frame, x, r)));
  const x = bars(frame.width, (c) => isBar(frame.height - 2 * y, (k) => lumaAt(frame, c, y + k)));
  return [x, y, frame.width - 2 * x, frame.height - 2 * y];
}

/** Mean BT.601 luma of a frame region, sampled on a 4-pixel grid. */
export function meanLuma(frame: { rgb: Uint8Array; width: number; height: number }, box?: readonly [number, number, number, number]): number {
  const x0 = Math.max(0, Math.floor(box?.[0] ?? 0));
  const y0 = Math.max(0, Math.floor(box?.[1] ?? 0));
  const x1 = Math.min(frame.width, Math.ceil(box ? box[0] + box[2] : frame.width));
  const y1 = Math.min(frame.height, Math.ceil(box ? box[1] + box[3] : frame.height));
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y += 4) {
    for (let x = x0; x < x1; x += 4) {
      sum += lumaAt(frame, x, y);
      n++;
    }
  }
  return n ? sum / n : 0;
}

interface Analysed {
  frame: RawFrame;
  brightness: number;
  /**
   * A shot cut before this frame (shots.ts), found while analysing: the detector ran on it and took
   * identity descriptors. At the adaptive rate each pass scores its own consecutive frames.
   */
  cut: boolean;
  /** Every face found in the frame, with the mean luma inside its box. */
  faces: Array<{ obs: FaceObservation; brightness: number }>;
  /** The main subject's face, once selected. */
  obs?: FaceObservation;
  faceBrightness: number;
  frontal?: Frontal;
  measures?: FaceMeasures;
}

/**
 * Largest time between two analysed frames for the face's cut cue (shots.ts FaceCuts): frames of 20 per
 * second or more. On the sample clips panning 300-600 px/s, frames 0.1 s apart read as cuts 17 times in
 * 910, neighbouring frames never (highest score 9.1 of 10; `npm run bench:identity`).
 */
const FACE_CUT_MAX_STEP_S = 0.05;

/** Outer-eye-corner distance of an adult face in mm, for OpenFace-style translation estimates. */
const FACE_MM = 90;

/**
 * Expression classifier runs per second of video. Its output only feeds the clip's expression mean
 * (sidecar `expressionMean`, a clue of the fine stage) and the per-frame sidecar; it costs about a sixth
 * of a frame's analysis (5-6 ms of 35 on the sample clips), and Human's classifier is not fast enough to
 * follow expressions frame by frame anyway. Five a second (every 5th or 6th frame at 25-30 frames/s)
 * samples a 2-second clip ten times. Not fitted: chosen for cost against the samples a mean needs.
 */
export const EXPRESSION_FPS = 5;

function poseAndGaze(a: Analysed): Pick<CsvRow, "pose" | "gaze"> {
  if (!a.obs || !a.frontal) return {};
  const { width, height } = a.frame;
  const fx = 500 * (width / 640); // OpenFace's default focal length guess, scaled with the frame
  const m = a.obs.mesh;
  const eyes = [33, 133, 263, 362].map((i) => m[i] as readonly number[]);
  const u = eyes.reduce((s, p) => s + (p[0] as number), 0) / 4;
  const v = eyes.reduce((s, p) => s + (p[1] as number), 0) / 4;
  const tz = (fx * FACE_MM) / a.frontal.facePx;
  const r = a.frontal.rotation;
  const pose = { tx: ((u - width / 2) * tz) / fx, ty: ((v - height / 2) * tz) / fx, tz, ...openFacePose(r) };
  const g = gazeAngles(a.frontal.pts, r);
  if (!g) return { pose };
  const vec: [number, number, number] = [Math.sin(g.x) * Math.cos(g.y), Math.sin(g.y), -Math.cos(g.x) * Math.cos(g.y)];
  return { pose, gaze: { eye0: vec, eye1: vec, angleX: g.x, angleY: g.y } };
}

interface AnalyseFramesOptions {
  /** The decoded frames to analyse, in order. */
  frames: AsyncIterable<RawFrame>;
  /** Run the detector on a frame that does not follow the previous analysed frame (a window of pass 2). */
  redetectOnGap?: boolean;
  /** Frames expected (for progress). */
  expected: number;
  /**
   * Run the expression classifier on the first analysed frame of every `1/expressionFps` s slot
   * ({@link EXPRESSION_FPS}); 0 = on none of these frames.
   */
  expressionFps?: number;
  /** Turn tilted faces upright before Human (face-analyzer.ts SessionOptions). */
  upright?: boolean;
  signal: AbortSignal;
  progress?: (pct: number, note?: string) => void;
}

/** Runs the face model on every frame of `o.frames`; pixels are dropped as it goes. */
async function analyseFrames(video: string, analyzer: FaceAnalyzer, o: AnalyseFramesOptions): Promise<Analysed[]> {
  const analysed: Analysed[] = [];
  try {
    const expressionFps = o.expressionFps ?? EXPRESSION_FPS;
    await analyzer.session(async (analyse) => {
      let previous: number | undefined;
      let expressionSlot = -1;
      const shots = new ShotCuts();
      const faceShots = new FaceCuts();
      let previousTimeS: number | undefined;
      for await (const frame of o.frames) {
        const gap = o.redetectOnGap === true && previous !== undefined && frame.index !== previous + 1;
        previous = frame.index;
        if (gap) shots.reset();
        // The face's cue compares neighbouring frames only: 0.1 s apart (the adaptive rate's coarse
        // pass), a fast pan moves a face further than its tracked box follows and reads as a cut.
        if (gap || previousTimeS === undefined || frame.timeS - previousTimeS > FACE_CUT_MAX_STEP_S) faceShots.reset();
        previousTimeS = frame.timeS;
        const frameCut = shots.next(lumaGrid(frame)).cut;
        const slot = expressionFps > 0 ? Math.floor(frame.timeS * expressionFps + 1e-9) : -1;
        const expression = slot > expressionSlot;
        if (expression) expressionSlot = slot;
        // A new shot: detect faces afresh instead of tracking the previous shot's box onto someone else.
        let faces = await analyse(frame, { redetect: gap || frameCut, expression });
        // Between two people framed alike before one background the frame hardly changes, the face does:
        // then it is a cut too, and the frame is analysed again from a fresh detection.
        const faceCut = faceShots.next(frame, faces.map((f) => f.box)).cut && !gap && !frameCut;
        if (faceCut) faces = await analyse(frame, { redetect: true, expression });
        const cut = frameCut || faceCut;
        // Keep numbers only: the frame's pixels are dropped once its brightness is measured.
        analysed.push({
          frame: { ...frame, rgb: new Uint8Array(0) },
          cut,
          // The picture's light, not the black bars around it (they made letterboxed clips "dim").
          brightness: meanLuma(frame, pictureBox(frame)),
          faces: faces.map((obs) => ({ obs, brightness: meanLuma(frame, obs.box) })),
          faceBrightness: 0,
        });
        if (analysed.length % 10 === 0) o.progress?.(Math.min(95, (100 * analysed.length) / o.expected), `${analysed.length} frames`);
      }
    }, { upright: o.upright === true });
  } catch (error) {
    const e = coerceError(error);
    if (e.code === "E_ABORTED" || o.signal.aborted) throw new MerrError("E_ABORTED", `face analysis of ${video} was cancelled`, { cause: error });
    throw e;
  }
  return analysed;
}

/** Picks the main subject's face in every frame (subject.ts), across shot cuts, and measures it. */
function followSubject(analysed: Analysed[], analyzer: FaceAnalyzer): ReturnType<typeof selectSubject> {
  const subject = selectSubject(
    analysed.map((a) => a.faces.map((f) => f.obs)),
    { similarity: (x, y) => analyzer.similarity(x, y) },
    analysed.map((a) => a.cut),
  );
  analysed.forEach((a, i) => {
    const pick = subject.picks[i];
    const face = pick === undefined ? undefined : a.faces[pick];
    if (!face) return;
    a.obs = face.obs;
    a.faceBrightness = face.brightness;
    a.frontal = frontalise(face.obs.mesh, face.obs.zScale);
    a.measures = measure(a.frontal.pts);
  });
  return subject;
}

/**
 * The main subject's face measurements per analysed frame of a clip (undefined = not seen), as the
 * extractor computes them. For calibration and benchmarks.
 */
export async function measureClip(video: string, opts: { analyzer?: FaceAnalyzer; maxFps?: number; maxWidth?: number; upright?: boolean; signal?: AbortSignal } = {}): Promise<Array<FaceMeasures | undefined>> {
  const analyzer = opts.analyzer ?? (await sharedFaceAnalyzer());
  const signal = opts.signal ?? new AbortController().signal;
  const analysed = await analyseFrames(video, analyzer, {
    frames: readRawFrames(video, { maxFps: opts.maxFps ?? 30, maxWidth: opts.maxWidth ?? 960, signal }),
    expected: 1,
    upright: opts.upright,
    signal,
  });
  followSubject(analysed, analyzer);
  return analysed.map((a) => a.measures);
}

/** Creates the built-in extractor (`builtinExtractor` is one with defaults). */
export function createBuiltinExtractor(opts: BuiltinExtractorOptions = {}): AuExtractor {
  const getAnalyzer = opts.analyzer ?? sharedFaceAnalyzer;
  const maxWidth = opts.maxWidth ?? 960;
  return {
    name: "builtin",
    async extract(video: string, options: ExtractOptions): Promise<ExtractResult> {
      const started = performance.now();
      const geo = options.video ?? (await probeVideo(video, options.signal));
      const analysedSize = analysisSize(geo, maxWidth);
      const maxFps = options.fps ?? opts.maxFps ?? 30;
      const fullFps = Math.min(maxFps, geo.fps || maxFps);
      const expected = Math.max(1, Math.round(geo.durationS * fullFps));
      const analyzer = await getAnalyzer();
      const coarseFps = options.coarseFps ?? COARSE_FPS;
      const adaptive = options.fps === undefined && options.rate === "adaptive" && fullFps >= 1.5 * coarseFps;
      const decode = (o: { maxFps?: number; only?: number[]; onSkipped?: (f: RawFrame) => void }) => readRawFrames(video, { ...o, maxWidth, geometry: geo, signal: options.signal });
      const upright = options.upright === true;
      const common = { expected, signal: options.signal, progress: options.progress, upright };
      let analysed: Analysed[];
      let sampling: NonNullable<FaceSidecar["sampling"]> = { mode: "full" };
      // Adaptive: the full-rate frame grid the AU estimate is laid out on (holdOnGrid).
      let grid: number[] | undefined;
      if (!adaptive) {
        analysed = await analyseFrames(video, analyzer, { frames: decode({ maxFps }), ...common });
      } else {
        // Frames pass 1 decodes but skips are kept (up to KEEP_BYTES) for pass 2, which then decodes nothing.
        const kept = new Map<number, RawFrame>();
        let keptBytes = 0;
        let lastIndex = 0;
        const keep = (f: RawFrame): void => {
          lastIndex = Math.max(lastIndex, f.index);
          if (keptBytes + f.rgb.byteLength > KEEP_BYTES) return;
          kept.set(f.index, f);
          keptBytes += f.rgb.byteLength;
        };
        const coarse = await analyseFrames(video, analyzer, { frames: decode({ maxFps: coarseFps, onSkipped: keep }), ...common });
        lastIndex = Math.max(lastIndex, ...coarse.map((a) => a.frame.index));
        const fps = geo.fps || 25;
        // The frames full-rate analysis at maxFps would look at (keepFrame's slots).
        const slot = (i: number): number => Math.floor((i / fps) * maxFps + 1e-9);
        grid = Array.from({ length: lastIndex + 1 }, (_, i) => i).filter((i) => maxFps >= fps || i === 0 || slot(i) > slot(i - 1));
        // The candidates come from the coarse pass alone (copies: followSubject writes into its input).
        const copies = coarse.map((a) => ({ ...a }));
        followSubject(copies, analyzer);
        const rows = peakCandidateRows(estimateOnGrid(copies, grid).aus);
        const gridSet = new Set(grid);
        const extra = framesAround(coarse.map((a) => a.frame.index), rows).filter((i) => gridSet.has(i));
        const frames = extra.every((i) => kept.has(i)) ? fromMemory(extra.map((i) => kept.get(i) as RawFrame)) : decode({ only: extra });
        kept.clear();
        // Pass 2 fills in frames between pass 1's, which already hold the expression slots' frames.
        const fine = extra.length ? await analyseFrames(video, analyzer, { frames, redetectOnGap: true, expressionFps: 0, ...common }) : [];
        analysed = [...coarse, ...fine].sort((a, b) => a.frame.index - b.frame.index);
        sampling = { mode: "adaptive", coarseFps, candidates: rows.map((r) => (coarse[r] as Analysed).frame.index + 1), refinedFrames: fine.length };
      }
      const subject = followSubject(analysed, analyzer);
      const { aus, baselines } = grid ? estimateOnGrid(analysed, grid) : estimateRows(analysed.map((a) => a.measures));
      // Boxes go back to the clip's pixels (non-square pixels scale x and y apart).
      const scale = geo.width / analysedSize.width;
      const scaleY = geo.pixelAspect && geo.pixelAspect !== 1 ? geo.height / analysedSize.height : scale;
      const poseGaze = options.poseGaze ?? false;
      const rows: CsvRow[] = [];
      const frames: FaceSidecarFrame[] = [];
      const sums = Object.fromEntries(EXPRESSIONS.map((e) => [e, 0])) as Record<Expression, number>;
      // The classified frames are evenly spaced in time (EXPRESSION_FPS, pass 1 only at the adaptive rate),
      // so the expression mean is the clip's, not that of its densely analysed peaks.
      let expressionFrames = 0;
      let framesWithFace = 0;
      analysed.forEach((a, i) => {
        const au = aus[i];
        const pg = poseAndGaze(a);
        rows.push({ frame: a.frame.index + 1, timestampS: a.frame.timeS, confidence: a.obs?.score ?? 0, aus: au, ...pg });
        if (a.obs && au) {
          framesWithFace++;
          const expression = a.obs.expression;
          if (expression) {
            expressionFrames++;
            for (const e of EXPRESSIONS) sums[e] += expression[e];
          }
        }
        frames.push({
          frame: a.frame.index + 1,
          timestampS: a.frame.timeS,
          brightness: round(a.brightness, 1),
          face: a.obs && a.frontal
            ? {
                confidence: round(a.obs.score, 3),
                box: a.obs.box.map((v, i) => round(v * (i % 2 ? scaleY : scale), 1)) as [number, number, number, number],
                brightness: round(a.faceBrightness, 1),
                headPose: { pitch: round(a.frontal.rotation.pitch, 4), yaw: round(a.frontal.rotation.yaw, 4), roll: round(a.frontal.rotation.roll, 4) },
                gaze: pg.gaze ? { x: round(pg.gaze.angleX, 4), y: round(pg.gaze.angleY, 4) } : null,
                ...(a.obs.expression ? { expression: Object.fromEntries(EXPRESSIONS.map((e) => [e, round(a.obs?.expression?.[e] ?? 0, 4)])) as Record<Expression, number> } : {}),
                detected: a.obs.detected,
                scale: a.obs.scale,
              }
            : null,
        });
      });
      // Share of the clip's frames with the face: over the full-rate grid when the rows are not evenly spaced.
      const faceRows = analysed.map((a, i) => (a.obs && aus[i] ? 1 : 0));
      const onGrid = grid ? holdOnGrid(analysed.map((a) => a.frame.index), faceRows, grid).held : faceRows;
      const coverage = onGrid.length ? round(onGrid.reduce<number>((s, v) => s + (v ?? 0), 0) / onGrid.length, 4) : 0;
      const widths = analysed.flatMap((a, i) => (a.obs && aus[i] ? [a.obs.box[2]] : [])).sort((x, y) => x - y);
      const faceWidthPx = widths.length ? round(widths[Math.floor(widths.length / 2)] as number, 1) : undefined;
      const sidecar: FaceSidecar = {
        schema: "merr.face-sidecar/1",
        extractor: "builtin",
        video,
        frameSize: { width: geo.width, height: geo.height },
        analysedSize,
        fps: geo.fps,
        analysedFps: fullFps,
        sampling,
        ...(upright ? { upright: true as const } : {}),
        framesWithFace,
        subject: {
          coverage,
          tracks: subject.tracks,
          identities: subject.identities,
          cuts: subject.cuts,
          otherFaceOnlyFrames: subject.otherOnlyFrames,
        },
        calibration: { id: AU_CALIBRATION.id, version: AU_CALIBRATION.version, baselines },
        expressionMean: expressionFrames
          ? (Object.fromEntries(EXPRESSIONS.map((e) => [e, round(sums[e] / expressionFrames, 4)])) as Record<Expression, number>)
          : null,
        frames,
      };
      await writeFileAtomic(options.csvPath, formatCsv(rows, poseGaze));
      await writeJsonAtomic(options.sidecarPath, sidecar);
      options.progress?.(100, `${analysed.length} frames, ${framesWithFace} with a face`);
      return {
        csvPath: options.csvPath,
        sidecarPath: options.sidecarPath,
        frames: rows.length,
        framesWithFace,
        ...(grid ? { coverage } : {}),
        ...(faceWidthPx !== undefined ? { faceWidthPx } : {}),
        provenance: {
          extractor: "builtin",
          version: BUILTIN_VERSION,
          calibration: `${AU_CALIBRATION.id}@${AU_CALIBRATION.version}`,
          coverage,
          faceTracks: subject.tracks,
          faceIdentities: subject.identities,
          shotCuts: subject.cuts,
          ...analyzer.info,
          maxFps,
          rate: sampling.mode,
          ...(sampling.mode === "adaptive" ? { coarseFps } : {}),
          ...(upright ? { upright } : {}),
          maxWidth,
          analysedSize,
          ms: Math.round(performance.now() - started),
        },
      };
    },
  };
}

function estimateRows(measures: Array<FaceMeasures | undefined>): { aus: ReturnType<typeof estimateAus>; baselines: ReturnType<typeof clipActivations>["baselines"] } {
  return { aus: estimateAus(measures), baselines: clipActivations(measures).baselines };
}

/** The AU estimate of rows analysed at an adaptive rate, made on the full-rate grid (holdOnGrid) and read back per row. */
function estimateOnGrid(analysed: readonly Analysed[], grid: readonly number[]): ReturnType<typeof estimateRows> {
  const { held, at } = holdOnGrid(analysed.map((a) => a.frame.index), analysed.map((a) => a.measures), grid);
  const est = estimateRows(held);
  return { aus: at.map((p) => est.aus[p]), baselines: est.baselines };
}

/** Decoded frames kept in memory between the two passes of the adaptive rate, at most (bytes). */
const KEEP_BYTES = 192 * 2 ** 20;

async function* fromMemory(frames: readonly RawFrame[]): AsyncGenerator<RawFrame> {
  yield* frames;
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The built-in extractor with defaults (one shared analyzer per process). */
export const builtinExtractor: AuExtractor = createBuiltinExtractor();
