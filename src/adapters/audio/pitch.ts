import { quantile } from "./stats.ts";

export interface PitchOptions {
  sampleRate: number;
  /** Samples between frames. */
  hop: number;
  minHz: number;
  maxHz: number;
  /**
   * Largest cumulative-mean-normalised difference at the chosen lag for a frame to count as voiced
   * (YIN's aperiodicity). Praat's default voicing threshold (0.45 autocorrelation) is comparable.
   * @defaultValue 0.55
   */
  voicing?: number;
}

/**
 * YIN on one frame, following de Cheveigné & Kawahara (2002) with the lag range limited to the F0
 * range: difference function, cumulative-mean normalisation, the first dip below `threshold`
 * (else the global minimum), parabolic refinement. Returns F0 and the aperiodicity at that lag.
 *
 * pitchfinder's YIN (a dev dependency, kept as the tests' reference) is not used for the track because on real recordings it
 * fails three ways: it truncates a buffer to the largest power of two strictly below its length,
 * its normalisation starts the running sum at 1 instead of d(1) (quiet frames look periodic at lag 2,
 * ~6.4 kHz), and it has no lag range, so on noisy speech its first dip is a formant period. The unit
 * tests check that both agree on clean synthetic speech.
 */
export function yinFrame(
  x: Float32Array,
  start: number,
  window: number,
  minLag: number,
  maxLag: number,
  threshold: number,
  d: Float64Array,
): { lag: number; aperiodicity: number } | null {
  if (start < 0 || start + window + maxLag + 1 > x.length) return null;
  d[0] = 0;
  for (let t = 1; t <= maxLag + 1; t++) {
    let acc = 0;
    for (let i = 0; i < window; i++) {
      const v = x[start + i]! - x[start + i + t]!;
      acc += v * v;
    }
    d[t] = acc;
  }
  let running = 0;
  for (let t = 1; t <= maxLag + 1; t++) {
    running += d[t]!;
    d[t] = running > 0 ? (d[t]! * t) / running : 1;
  }
  let tau = -1;
  for (let t = minLag; t <= maxLag; t++) {
    if (d[t]! < threshold) {
      while (t + 1 <= maxLag && d[t + 1]! < d[t]!) t++;
      tau = t;
      break;
    }
  }
  if (tau < 0) {
    let best = Infinity;
    for (let t = minLag; t <= maxLag; t++) {
      if (d[t]! < best) {
        best = d[t]!;
        tau = t;
      }
    }
  }
  if (tau < 0) return null;
  const y0 = d[tau - 1]!;
  const y1 = d[tau]!;
  const y2 = d[tau + 1]!;
  const den = y0 - 2 * y1 + y2;
  const shift = den > 0 ? (0.5 * (y0 - y2)) / den : 0;
  return { lag: tau + Math.max(-0.5, Math.min(0.5, shift)), aperiodicity: y1 };
}

/**
 * Per-frame F0 (Hz, or null when unvoiced) on the frames marked as speech. Two clean-ups make the
 * track usable for statistics: values more than an octave from the median are dropped (octave
 * errors), and voiced runs shorter than 3 frames are dropped.
 */
export function trackPitch(x: Float32Array, speech: readonly boolean[], opts: PitchOptions): (number | null)[] {
  const minLag = Math.floor(opts.sampleRate / opts.maxHz);
  const maxLag = Math.ceil(opts.sampleRate / opts.minHz);
  // The window covers at least one period of the lowest F0 (and >= 20 ms).
  const window = Math.max(maxLag, Math.round(0.02 * opts.sampleRate));
  const voicing = opts.voicing ?? 0.55;
  const d = new Float64Array(maxLag + 2);
  const raw: (number | null)[] = new Array<number | null>(speech.length).fill(null);
  for (let i = 0; i < speech.length; i++) {
    if (!speech[i]) continue;
    const start = Math.max(0, Math.min(x.length - window - maxLag - 2, i * opts.hop - (window >> 1)));
    const r = yinFrame(x, start, window, minLag, maxLag, 0.15, d);
    if (r && r.aperiodicity < voicing) raw[i] = opts.sampleRate / r.lag;
  }
  const med = quantile(raw.filter((f): f is number => f !== null), 0.5);
  const guarded = raw.map((f) => (f !== null && Math.abs(Math.log2(f / med)) < 1 ? f : null));
  const on = (i: number) => guarded[i] != null;
  return guarded.map((f, i) =>
    f !== null && ((on(i - 1) && on(i + 1)) || (on(i - 1) && on(i - 2)) || (on(i + 1) && on(i + 2))) ? f : null,
  );
}
