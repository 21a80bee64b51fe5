/**
 * A synthetic voice at 16 kHz: a pulse train (harmonics 1/h up to 4 kHz) through two formant resonators (700
 * and 1200 Hz), white noise at `hnr` dB, 0.2 s of near-silence at each end. `octaveUp(t)` weakens the odd
 * harmonics to `weakOdd` (the waveform then looks periodic at half the period, as when the fundamental is
 * weak), `octaveDown(t)` weakens every other pulse (period doubling, as in creak) and `alternate(t)` makes
 * every other period that much longer and the next that much shorter (diplophonia). Deterministic per
 * `seed`. Used by the audio unit tests and bench:tone.
 */
export function syntheticVoice(o: {
  f0: (t: number) => number;
  seconds?: number;
  hnr?: number;
  jitter?: number;
  seed?: number;
  octaveUp?: (t: number) => boolean;
  /** @defaultValue 0.1 */
  weakOdd?: number;
  octaveDown?: (t: number) => boolean;
  alternate?: (t: number) => number;
}): Float32Array {
  const sr = 16000;
  const n = Math.round((o.seconds ?? 2) * sr);
  let seed = o.seed ?? 11;
  const u = (): number => ((seed = (seed * 1664525 + 1013904223) % 4294967296) + 0.5) / 4294967296;
  const gauss = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  let y = new Float32Array(n);
  for (let start = 0.2 * sr, k = 0; start < n - 0.2 * sr; k++) {
    const t = start / sr;
    const p = (sr / o.f0(t)) * (1 + (o.jitter ?? 0.01) * gauss()) * (1 + (k % 2 ? 1 : -1) * (o.alternate?.(t) ?? 0));
    const odd = o.octaveUp?.(t) ? (o.weakOdd ?? 0.1) : 1;
    const amp = o.octaveDown?.(t) && k % 2 ? 0.15 : 1;
    for (let i = Math.floor(start); i < Math.min(n, Math.floor(start + p)); i++) {
      for (let h = 1; (h * sr) / p <= 4000; h++) y[i]! += (amp * (h % 2 ? odd : 1) * Math.sin((2 * Math.PI * h * (i - start)) / p)) / h;
    }
    start += p;
  }
  for (const [fc, bw] of [[700, 130], [1200, 150]] as const) {
    const r = Math.exp((-Math.PI * bw) / sr);
    const a1 = -2 * r * Math.cos((2 * Math.PI * fc) / sr);
    const x = y;
    y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = (1 - r) * x[i]! - a1 * (y[i - 1] ?? 0) - r * r * (y[i - 2] ?? 0);
  }
  const power = y.reduce((s, v) => s + v * v, 0) / n;
  const noise = Math.sqrt(power / 10 ** ((o.hnr ?? 15) / 10));
  const peak = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return y.map((v, i) => (i < 0.2 * sr || i > n - 0.2 * sr ? 0 : (0.3 * (v + noise * gauss())) / peak) + 0.0005 * gauss());
}
