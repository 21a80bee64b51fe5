/**
 * Action Unit intensities (OpenFace's 0..5 scale) from per-frame face measurements (geometry.ts).
 * Pure. Each AU is a weighted sum of measurement changes against a neutral face, scaled so that a
 * strong (FACS "E") movement reaches 5. The neutral face is a population norm, adapted to the clip
 * within a bounded band (see {@link estimateAus}); docs/face-analyzer.md explains every choice.
 */
import { AU_INTENSITY, type AuCode } from "../types.ts";
import type { FaceMeasures } from "./geometry.ts";

export type IntensityAu = (typeof AU_INTENSITY)[number];
type Measure = keyof FaceMeasures;

/**
 * Neutral values of the measurements (face-size units). Measured as the medians of a neutral
 * CREMA-D clip (one adult male actor, frontal, 480x360) analysed by this module: a one-face norm,
 * which the per-clip adaptation corrects within {@link AuDefinition.tolerance}.
 */
export const NEUTRAL_NORMS: Readonly<FaceMeasures> = {
  browInnerHeight: 0.185,
  browOuterHeight: 0.172,
  browGap: 0.527,
  upperLid: 0.055,
  lowerLid: 0.0365,
  eyeAperture: 0.296,
  cheekDrop: 0.266,
  noseWingDrop: 0.475,
  upperLipDrop: 0.184,
  cornerDepth: -0.025,
  cornerDrop: 0.262,
  mouthWidth: 0.643,
  lipThickness: 0.2,
  lipGap: 0.015,
  jawDrop: 0.836,
  chinLip: 0.409,
};

export interface AuDefinition {
  /** Measurement weights: activation = sum(weight * (measure - norm)). */
  weights: Partial<Record<Measure, number>>;
  /** Activation (face-size units) that maps to intensity 5. */
  full: number;
  /**
   * How far (activation units) the clip may move the neutral point away from the norm: the room
   * left for a person's own resting face. A constant expression beyond it still shows.
   * @defaultValue 0.4 * full (2 intensity units)
   */
  tolerance?: number;
  /** Baseline from the clip's frames at all (false: absolute, e.g. lips apart). @defaultValue true */
  adaptive?: boolean;
  /** Ignore the measurement on frames where the eyes are closed (blink) and hold the last value. */
  holdOnBlink?: boolean;
}

/** The geometric definition of each AU. */
export const AU_DEFINITIONS: Readonly<Record<Exclude<IntensityAu, "AU45">, AuDefinition>> = {
  AU01: { weights: { browInnerHeight: 1, browOuterHeight: -0.3 }, full: 0.06, holdOnBlink: true },
  AU02: { weights: { browOuterHeight: 1, browInnerHeight: -0.2 }, full: 0.06, holdOnBlink: true },
  AU04: { weights: { browInnerHeight: -1, browGap: -0.5, browOuterHeight: 0.3 }, full: 0.06, holdOnBlink: true },
  AU05: { weights: { upperLid: 1, eyeAperture: 0.1 }, full: 0.03, holdOnBlink: true },
  AU06: { weights: { cheekDrop: -1, lowerLid: -0.5, cornerDrop: -0.15 }, full: 0.06, tolerance: 0.012 },
  AU07: { weights: { lowerLid: -1, eyeAperture: -0.05 }, full: 0.02, holdOnBlink: true },
  AU09: { weights: { noseWingDrop: -1, upperLipDrop: -0.3 }, full: 0.07 },
  AU10: { weights: { upperLipDrop: -1 }, full: 0.08 },
  AU12: { weights: { cornerDepth: -0.7, mouthWidth: 0.5, cornerDrop: -0.3 }, full: 0.12 },
  AU14: { weights: { mouthWidth: 1, lipGap: -0.5, cornerDepth: 0.3 }, full: 0.15 },
  AU15: { weights: { cornerDepth: 1, cornerDrop: 0.3, mouthWidth: -0.2 }, full: 0.09 },
  AU17: { weights: { chinLip: -1 }, full: 0.12 },
  AU20: { weights: { mouthWidth: 1, cornerDepth: 1, cornerDrop: 0.3 }, full: 0.12 },
  AU23: { weights: { lipThickness: -1, mouthWidth: -0.3 }, full: 0.1 },
  AU25: { weights: { lipGap: 1 }, full: 0.25, adaptive: false },
  AU26: { weights: { jawDrop: 1, lipGap: 0.3 }, full: 0.3 },
};

export interface EstimateOptions {
  /** Percentile of a clip's activations taken as its neutral point (before clamping to the band). @defaultValue 10 */
  baselinePercentile?: number;
  /** Intensity at or above which an AU counts as present (`AUxx_c` = 1). @defaultValue 1 */
  presenceThreshold?: number;
  norms?: Readonly<FaceMeasures>;
}

export interface AuFrame {
  intensity: Record<IntensityAu, number>;
  presence: Record<AuCode, 0 | 1>;
}

/** The p-th percentile (0..100) of values, linear interpolation; NaN when empty. Pure. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export function activation(def: AuDefinition, m: FaceMeasures, norms: Readonly<FaceMeasures>): number {
  let a = 0;
  for (const [k, w] of Object.entries(def.weights) as Array<[Measure, number]>) a += w * (m[k] - norms[k]);
  return a;
}

/** Eye closure 0 (open as the clip's open-eye reference) .. 1 (shut). */
function closures(frames: ReadonlyArray<FaceMeasures | undefined>, norms: Readonly<FaceMeasures>): Array<number | undefined> {
  const apertures = frames.flatMap((m) => (m ? [m.eyeAperture] : []));
  // The open-eye reference: a high percentile of the clip (blinks are brief), kept near the norm.
  const open = clamp(percentile(apertures, 75), norms.eyeAperture * 0.7, norms.eyeAperture * 1.3);
  return frames.map((m) => (m ? clamp(1 - m.eyeAperture / open, 0, 1) : undefined));
}

/**
 * How far below the norm (fraction of `full`) a clip's neutral point may go. Small: a clip whose
 * brows rise half of the time must not make its resting frames read as lowered brows (AU04).
 */
const BELOW_NORM = 0.1;

/** Closure at which a frame counts as a blink frame for {@link AuDefinition.holdOnBlink}. */
const BLINK_CLOSURE = 0.45;

/**
 * Estimates AU intensities and presence for every frame of one clip (`undefined` = no face).
 * Baseline: the clip's `baselinePercentile` activation, clamped to `±tolerance` around
 * the population norm. A person's resting face moves the zero point a little; a whole clip of one
 * expression (a still photo of a smile) cannot move it further than the band, so it still shows.
 */
export function estimateAus(frames: ReadonlyArray<FaceMeasures | undefined>, opts: EstimateOptions = {}): Array<AuFrame | undefined> {
  const norms = opts.norms ?? NEUTRAL_NORMS;
  const pct = opts.baselinePercentile ?? 10;
  const threshold = opts.presenceThreshold ?? 1;
  const closure = closures(frames, norms);
  const result: Array<AuFrame | undefined> = frames.map((m) =>
    m ? { intensity: {} as Record<IntensityAu, number>, presence: {} as Record<AuCode, 0 | 1> } : undefined,
  );

  for (const [au, def] of Object.entries(AU_DEFINITIONS) as Array<[IntensityAu, AuDefinition]>) {
    let held: number | undefined;
    const acts = frames.map((m, i) => {
      if (!m) return undefined;
      const a = activation(def, m, norms);
      if (def.holdOnBlink && (closure[i] ?? 0) >= BLINK_CLOSURE) return held ?? a;
      held = a;
      return a;
    });
    const present = acts.filter((a): a is number => a !== undefined);
    const offset = def.adaptive === false ? 0 : clamp(percentile(present, pct), -BELOW_NORM * def.full, def.tolerance ?? 0.4 * def.full);
    acts.forEach((a, i) => {
      const r = result[i];
      if (!r || a === undefined) return;
      r.intensity[au] = round2(clamp((5 * (a - offset)) / def.full, 0, 5));
    });
  }
  // Blink: closure beyond a quarter of the open-eye aperture, full at 85 %.
  frames.forEach((m, i) => {
    const r = result[i];
    if (!r || !m) return;
    r.intensity.AU45 = round2(clamp((5 * ((closure[i] ?? 0) - 0.25)) / 0.6, 0, 5));
    for (const au of AU_INTENSITY) r.presence[au] = (r.intensity[au] ?? 0) >= threshold ? 1 : 0;
    r.presence.AU45 = (closure[i] ?? 0) >= 0.5 ? 1 : 0;
    // AU28 (lip suck, presence only): red lips mostly hidden while the mouth is closed.
    r.presence.AU28 = m.lipThickness < norms.lipThickness * 0.45 && m.lipGap < 0.02 ? 1 : 0;
  });
  return result;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
