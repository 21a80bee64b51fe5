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
  /** Cost of an octave's jump between consecutive voiced frames (see `choosePath`). @defaultValue 0.35 */
  octaveJumpCost?: number;
  /**
   * Cost of a candidate whose period is a multiple of another candidate's of the same frame (a
   * subharmonic). @defaultValue 0.05
   */
  subharmonicCost?: number;
  /** Half-width of the local register a piece is folded against, in frames. @defaultValue 50 */
  foldWindow?: number;
  /** How far (octaves) a piece may sit from exactly an octave off its register and still be folded. @defaultValue 0.25 */
  foldTolerance?: number;
}

/** A pitch track: F0 per frame in Hz (null = unvoiced) and where octave correction was at work. */
export interface PitchTrack {
  f0: (number | null)[];
  /**
   * Frames whose F0 was moved by about an octave from YIN's own pick (by the path or a fold), and
   * voiced frames next to a step of more than a third of an octave: their cycles are not measured
   * for jitter and shimmer.
   */
  octaveUnsure: boolean[];
}

/** A candidate period of one frame: its lag in samples (refined) and the aperiodicity there. */
interface Candidate {
  lag: number;
  aperiodicity: number;
}

/** The cumulative-mean-normalised difference function of one frame into d[0..maxLag+1]; false when out of range. */
function cmndf(x: Float32Array, start: number, window: number, maxLag: number, d: Float64Array): boolean {
  if (start < 0 || start + window + maxLag + 1 > x.length) return false;
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
  return true;
}

/** Parabolic refinement of the dip at `tau`. */
function refine(d: Float64Array, tau: number): Candidate {
  const y0 = d[tau - 1]!;
  const y1 = d[tau]!;
  const y2 = d[tau + 1]!;
  const den = y0 - 2 * y1 + y2;
  const shift = den > 0 ? (0.5 * (y0 - y2)) / den : 0;
  return { lag: tau + Math.max(-0.5, Math.min(0.5, shift)), aperiodicity: y1 };
}

/**
 * YIN's choice on one frame's normalised difference, following de Cheveigné & Kawahara (2002) with the lag
 * range limited to the F0 range: the first dip below `threshold` (else the global minimum), parabolic
 * refinement. It decides whether a frame is voiced and is the reference an octave correction is measured from.
 *
 * pitchfinder's YIN (a dev dependency, kept as the tests' reference) is not used for the track because on real recordings it
 * fails three ways: it truncates a buffer to the largest power of two strictly below its length,
 * its normalisation starts the running sum at 1 instead of d(1) (quiet frames look periodic at lag 2,
 * ~6.4 kHz), and it has no lag range, so on noisy speech its first dip is a formant period. The unit
 * tests check that both agree on clean synthetic speech.
 */
function yinPick(d: Float64Array, minLag: number, maxLag: number, threshold: number): Candidate | null {
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
  return tau < 0 ? null : refine(d, tau);
}

/** Every dip of d in [minLag, maxLag] below `ceiling`, refined: the frame's candidate periods. */
function dips(d: Float64Array, minLag: number, maxLag: number, ceiling: number): Candidate[] {
  const out: Candidate[] = [];
  for (let t = minLag; t <= maxLag; t++) {
    if (d[t]! < ceiling && d[t]! <= d[t - 1]! && d[t]! < d[t + 1]!) out.push(refine(d, t));
  }
  return out;
}

const octaves = (a: number, b: number): number => Math.log2(a / b);

/**
 * Per-frame F0 (Hz, or null when unvoiced) on the frames marked as speech. See `analyzePitch`.
 */
export function trackPitch(x: Float32Array, speech: readonly boolean[], opts: PitchOptions): (number | null)[] {
  return analyzePitch(x, speech, opts).f0;
}

/**
 * The pitch track of the frames marked as speech, with octave errors corrected (docs/audio.md, "Octave
 * errors"):
 * 1. YIN's difference function on each frame; a frame is voiced when its deepest dip in the F0 range is
 *    under the voicing limit (as before), and every such dip is a candidate period.
 * 2. Within each run of voiced frames, the path through the candidates that minimises their aperiodicity
 *    plus `octaveJumpCost` per octave of change between consecutive frames (Praat's path finder, with
 *    its default 0.35): a frame or a few whose period is an octave (or a fifth) off their neighbours'
 *    follows the run.
 * 3. Pieces of the path (split where it steps by more than a third of an octave between frames, faster
 *    than any voice moves) whose median sits an octave (± `foldTolerance`) over or under the median of
 *    the voiced frames around them (± `foldWindow` frames), and none of whose frames is within half an
 *    octave of that median, are folded: each frame takes its candidate nearest half (double) its F0, or is
 *    dropped when it has none. A rise that starts in the speaker's register stays: it has frames near it.
 * 4. As before, frames more than an octave from the clip's median are dropped; then pieces under 3 frames
 *    (before: voiced runs under 3 frames).
 */
export function analyzePitch(x: Float32Array, speech: readonly boolean[], opts: PitchOptions): PitchTrack {
  const minLag = Math.floor(opts.sampleRate / opts.maxHz);
  const maxLag = Math.ceil(opts.sampleRate / opts.minHz);
  // The window covers at least one period of the lowest F0 (and >= 20 ms).
  const window = Math.max(maxLag, Math.round(0.02 * opts.sampleRate));
  const voicing = opts.voicing ?? 0.55;
  const d = new Float64Array(maxLag + 2);
  const n = speech.length;
  const yin: (number | null)[] = new Array<number | null>(n).fill(null);
  const cands: Candidate[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    if (!speech[i]) continue;
    const start = Math.max(0, Math.min(x.length - window - maxLag - 2, i * opts.hop - (window >> 1)));
    if (!cmndf(x, start, window, maxLag, d)) continue;
    const r = yinPick(d, minLag, maxLag, 0.15);
    if (r && r.aperiodicity < voicing) {
      yin[i] = opts.sampleRate / r.lag;
      cands[i] = dips(d, minLag, maxLag, voicing);
      // YIN's pick is a dip unless it lies at the edge of the lag range.
      if (cands[i]!.length === 0) cands[i] = [r];
    }
  }
  const hz = cands.map((cs) => cs.map((c) => opts.sampleRate / c.lag));
  const path = choosePath(hz, cands, opts.octaveJumpCost ?? 0.35, opts.subharmonicCost ?? 0.05);
  foldPieces(path, hz, opts.foldWindow ?? 50, opts.foldTolerance ?? 0.25);
  const med = quantile(path.filter((f): f is number => f !== null), 0.5);
  const guarded = path.map((f) => (f !== null && Math.abs(octaves(f, med)) < 1 ? f : null));
  // Pieces under 3 frames go: a voiced run that short, or a frame or two that step off their neighbours
  // by more than a voice can move, is not a pitch.
  const f0 = guarded.slice();
  for (const [a, b] of pieces(guarded)) if (b - a < 3) f0.fill(null, a, b);
  const octaveUnsure = f0.map((f, i) => {
    if (f === null) return false;
    if (Math.abs(octaves(f, yin[i]!)) > 0.5) return true;
    const prev = f0[i - 1];
    const next = f0[i + 1];
    return (prev != null && Math.abs(octaves(f, prev)) > STEP) || (next != null && Math.abs(octaves(f, next)) > STEP);
  });
  return { f0, octaveUnsure };
}

/** The largest step (octaves) between consecutive frames of one piece: a third of an octave in 10 ms. */
const STEP = 1 / 3;

/** The pieces of a track, [start, end) frames: voiced runs split where F0 steps by more than `STEP`. */
function pieces(f0: readonly (number | null)[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < f0.length; ) {
    if (f0[i] == null) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < f0.length && f0[j] != null && Math.abs(octaves(f0[j]!, f0[j - 1]!)) <= STEP) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

/** Whether candidate k's period is a multiple (2, 3, ...) of a shorter candidate's, within 5 %: a subharmonic. */
function subharmonic(cs: readonly Candidate[], k: number): boolean {
  const lag = cs[k]!.lag;
  return cs.some((c) => {
    const m = Math.round(lag / c.lag);
    return m >= 2 && Math.abs(lag / (m * c.lag) - 1) < 0.05;
  });
}

/**
 * Viterbi through each run of voiced frames: cost = the candidates' aperiodicities plus `jumpCost` per
 * octave between consecutive frames. Unvoiced frames (no candidates) split the runs.
 */
function choosePath(hz: readonly number[][], cands: readonly Candidate[][], jumpCost: number, subCost: number): (number | null)[] {
  const n = hz.length;
  const out: (number | null)[] = new Array<number | null>(n).fill(null);
  let i = 0;
  while (i < n) {
    if (hz[i]!.length === 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && hz[j]!.length > 0) j++;
    const cost: Float64Array[] = [];
    const back: Int32Array[] = [];
    for (let t = i; t < j; t++) {
      const m = hz[t]!.length;
      const c = new Float64Array(m);
      const b = new Int32Array(m);
      for (let k = 0; k < m; k++) {
        let best = 0;
        let arg = 0;
        if (t > i) {
          best = Infinity;
          const prev = cost[t - 1 - i]!;
          for (let p = 0; p < prev.length; p++) {
            const v = prev[p]! + jumpCost * Math.abs(octaves(hz[t]![k]!, hz[t - 1]![p]!));
            if (v < best) {
              best = v;
              arg = p;
            }
          }
        }
        c[k] = best + cands[t]![k]!.aperiodicity + (subharmonic(cands[t]!, k) ? subCost : 0);
        b[k] = arg;
      }
      cost.push(c);
      back.push(b);
    }
    const last = cost[cost.length - 1]!;
    let k = 0;
    for (let q = 1; q < last.length; q++) if (last[q]! < last[k]!) k = q;
    for (let t = j - 1; t >= i; t--) {
      out[t] = hz[t]![k]!;
      k = back[t - i]![k]!;
    }
    i = j;
  }
  return out;
}

/**
 * Folds pieces of the track that sit an octave off the voiced frames around them (step 3 of
 * `analyzePitch`), in place. Every piece is judged against the track as it came from the path.
 */
function foldPieces(f0: (number | null)[], hz: readonly number[][], window: number, tolerance: number): void {
  const n = f0.length;
  const before = f0.slice();
  for (const [a, b] of pieces(before)) {
    const around: number[] = [];
    for (let t = Math.max(0, a - window); t < Math.min(n, b + window); t++) if (before[t] != null) around.push(before[t]!);
    const ref = quantile(around, 0.5);
    const own = before.slice(a, b) as number[];
    const off = octaves(quantile(own, 0.5), ref);
    const dir = Math.abs(off - 1) <= tolerance ? 1 : Math.abs(off + 1) <= tolerance ? -1 : 0;
    if (dir === 0 || own.some((f) => Math.abs(octaves(f, ref)) < 0.5)) continue;
    for (let t = a; t < b; t++) {
      const target = before[t]! / 2 ** dir;
      let best: number | null = null;
      for (const h of hz[t]!) if (Math.abs(octaves(h, target)) < 0.15 && (best === null || Math.abs(octaves(h, target)) < Math.abs(octaves(best, target)))) best = h;
      f0[t] = best;
    }
  }
}
