/**
 * Voice quality from the waveform of voiced runs: local jitter and shimmer from cycle-by-cycle
 * waveform matching, HNR from the normalised autocorrelation at the pitch lag (Boersma's
 * HNR = 10·log10(r / (1 − r))). Approximations of Praat's measures, good for ranking clips, not
 * for clinical values.
 */

export interface VoiceQuality {
  /** Mean absolute difference of consecutive periods over the mean period, in percent. */
  jitterPct: number;
  /** Mean absolute difference of consecutive peak-to-peak amplitudes over the mean amplitude, in percent. */
  shimmerPct: number;
  /** Mean harmonics-to-noise ratio over voiced frames, in dB. */
  hnrDb: number;
  /** Glottal cycles measured. */
  cycles: number;
}

/** Normalised cross-correlation of two W-sample windows starting at a and b (−1 when out of range). */
function ncc(x: Float32Array, a: number, b: number, w: number): number {
  if (a < 0 || b + w > x.length) return -1;
  let s = 0;
  let e1 = 0;
  let e2 = 0;
  for (let n = 0; n < w; n++) {
    const u = x[a + n]!;
    const v = x[b + n]!;
    s += u * v;
    e1 += u * u;
    e2 += v * v;
  }
  return s / Math.sqrt(e1 * e2 + 1e-20);
}

/** Best lag near the expected period T (0.8T..1.25T), refined to sub-sample precision by a parabola. */
function bestLag(x: Float32Array, a: number, period: number, w: number): { lag: number; r: number } {
  const lo = Math.max(2, Math.floor(0.8 * period));
  const hi = Math.ceil(1.25 * period);
  const rs: number[] = [];
  let best = lo;
  let bestR = -2;
  for (let lag = lo; lag <= hi; lag++) {
    const r = ncc(x, a, a + lag, w);
    rs.push(r);
    if (r > bestR) {
      bestR = r;
      best = lag;
    }
  }
  const k = best - lo;
  let d = 0;
  if (k > 0 && k < rs.length - 1) {
    const y0 = rs[k - 1]!;
    const y1 = rs[k]!;
    const y2 = rs[k + 1]!;
    const den = y0 - 2 * y1 + y2;
    if (den < 0) d = (0.5 * (y0 - y2)) / den;
  }
  return { lag: best + d, r: bestR };
}

/**
 * @param f0 per-frame F0 (null = unvoiced), one value per `hop` samples.
 * @param skipCycles frames whose cycles are not measured for jitter and shimmer (an octave-corrected or
 * octave-jumping F0): they split the runs of cycles, so no period or amplitude is differenced across them.
 * Their HNR is measured.
 */
export function measureVoiceQuality(
  x: Float32Array,
  f0: readonly (number | null)[],
  hop: number,
  sampleRate: number,
  skipCycles: readonly boolean[] = [],
): VoiceQuality {
  const periodDiffs: number[] = [];
  const ampDiffs: number[] = [];
  let periodSum = 0;
  let ampSum = 0;
  let cycles = 0;
  const hnr: number[] = [];
  /** Follows the glottal cycles from frame a to frame b (exclusive), adding to the sums above. */
  const measureCycles = (a: number, b: number): void => {
    const end = Math.min(x.length, b * hop);
    let p = a * hop;
    let prevP: number | undefined;
    let prevA: number | undefined;
    for (;;) {
      const frame = Math.min(b - 1, Math.max(a, Math.round(p / hop)));
      const period = sampleRate / (f0[frame] as number);
      const w = Math.round(period);
      if (p + 1.25 * period + w >= end) break;
      const { lag, r } = bestLag(x, Math.round(p), period, w);
      if (r < 0.5) {
        // An unreliable cycle: step over it and do not difference across it.
        p += period;
        prevP = prevA = undefined;
        continue;
      }
      let mx = -Infinity;
      let mn = Infinity;
      for (let k = Math.round(p), e = Math.round(p + lag); k < e; k++) {
        const v = x[k]!;
        if (v > mx) mx = v;
        if (v < mn) mn = v;
      }
      const amp = mx - mn;
      cycles++;
      periodSum += lag;
      ampSum += amp;
      if (prevP !== undefined && prevA !== undefined && Math.max(lag, prevP) / Math.min(lag, prevP) <= 1.3) {
        periodDiffs.push(Math.abs(lag - prevP));
        if (Math.max(amp, prevA) / Math.max(1e-9, Math.min(amp, prevA)) <= 1.6) ampDiffs.push(Math.abs(amp - prevA));
      }
      prevP = lag;
      prevA = amp;
      p += lag;
    }
  };
  let i = 0;
  while (i < f0.length) {
    if (f0[i] == null) {
      i++;
      continue;
    }
    let j = i;
    while (j < f0.length && f0[j] != null) j++;
    // Cycles are followed through each stretch of the run without skipped frames.
    for (let a = i; a < j; ) {
      if (skipCycles[a]) {
        a++;
        continue;
      }
      let b = a;
      while (b < j && !skipCycles[b]) b++;
      measureCycles(a, b);
      a = b;
    }
    for (let k = i; k < j; k++) {
      const period = sampleRate / (f0[k] as number);
      const w = Math.round(Math.max(period, sampleRate / 75));
      const { r } = bestLag(x, k * hop - (w >> 1), period, w);
      if (r > 0) {
        const rr = Math.min(r, 0.99999);
        hnr.push(10 * Math.log10(rr / (1 - rr)));
      }
    }
    i = j;
  }
  const avg = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : Number.NaN);
  return {
    jitterPct: cycles ? (100 * avg(periodDiffs)) / (periodSum / cycles) : Number.NaN,
    shimmerPct: cycles ? (100 * avg(ampDiffs)) / (ampSum / cycles) : Number.NaN,
    hnrDb: avg(hnr),
    cycles,
  };
}
