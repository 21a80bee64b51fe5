/** Small numeric helpers for the prosody analyzer. Empty inputs give NaN (callers turn NaN into null). */

export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function stdev(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return Math.sqrt(sum / (values.length - 1));
}

/** Rounds for JSON output; NaN and infinities become null. */
export function round(value: number, digits = 3): number | null {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Frame energies in dBFS: one value per `hop` samples, each over a `win`-sample window centred on the hop. */
export function frameDb(x: Float32Array, hop: number, win: number): Float64Array {
  const n = Math.floor((x.length - 1) / hop) + 1;
  const out = new Float64Array(Math.max(0, n));
  for (let i = 0; i < n; i++) {
    const s = Math.max(0, i * hop - (win >> 1));
    const e = Math.min(x.length, s + win);
    let acc = 0;
    for (let k = s; k < e; k++) acc += x[k]! * x[k]!;
    out[i] = 10 * Math.log10(acc / Math.max(1, e - s) + 1e-12);
  }
  return out;
}

/** RBJ band-pass biquad (constant 0 dB peak gain). */
export function bandpass(x: Float32Array, sampleRate: number, centreHz: number, q: number): Float32Array {
  const w = (2 * Math.PI * centreHz) / sampleRate;
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  const b0 = alpha / a0;
  const b2 = -alpha / a0;
  const a1 = (-2 * Math.cos(w)) / a0;
  const a2 = (1 - alpha) / a0;
  const y = new Float32Array(x.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let n = 0; n < x.length; n++) {
    const v = b0 * x[n]! + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[n]!;
    y2 = y1;
    y1 = v;
    y[n] = v;
  }
  return y;
}

/** RBJ low-pass biquad, applied `passes` times (each pass adds 12 dB/octave). */
export function lowpass(x: Float32Array, sampleRate: number, cutoffHz: number, passes = 2): Float32Array {
  const w = (2 * Math.PI * cutoffHz) / sampleRate;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const b0 = (1 - cos) / 2 / a0;
  const b1 = (1 - cos) / a0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  let input = x;
  for (let p = 0; p < passes; p++) {
    const y = new Float32Array(input.length);
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let n = 0; n < input.length; n++) {
      const v = b0 * input[n]! + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = input[n]!;
      y2 = y1;
      y1 = v;
      y[n] = v;
    }
    input = y;
  }
  return input;
}
