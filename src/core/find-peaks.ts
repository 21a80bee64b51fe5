/**
 * A port of `scipy.signal.find_peaks(x, height=…, distance=…)` (the two arguments MER-Factory uses).
 *
 * 1. Candidates are local maxima: `x[i-1] < x[i]`, and after a run of equal values a smaller value
 *    follows. A plateau yields one peak at its middle index, rounded down. The first and last samples
 *    are never peaks. NaN compares false, as in scipy.
 * 2. `height`: keep candidates with `x[peak] >= height`.
 * 3. `distance` (applied after `height`, rounded up): candidates are visited from the highest to the lowest
 *    value (equal values: the later candidate first, i.e. a stable ascending sort walked backwards); a
 *    visited candidate still kept removes every other candidate closer than `distance` samples.
 *    scipy sorts with numpy's default `argsort`, which is NOT stable (numpy 2.4's SIMD sort reorders equal
 *    values even in short arrays), so among exactly equal heights scipy's pick depends on the numpy build;
 *    merr always uses the stable order. Verified against scipy 1.17.1 on 400 random series
 *    (test/fixtures/find-peaks): identical wherever ties do not decide.
 * Returns 0-based indices in ascending order.
 */
export interface FindPeaksOptions {
  height?: number;
  distance?: number;
}

export function localMaxima(x: ArrayLike<number>): number[] {
  const peaks: number[] = [];
  const iMax = x.length - 1;
  let i = 1;
  while (i < iMax) {
    if (x[i - 1]! < x[i]!) {
      let ahead = i + 1;
      while (ahead < iMax && x[ahead] === x[i]) ahead++;
      if (x[ahead]! < x[i]!) {
        peaks.push(Math.floor((i + ahead - 1) / 2));
        i = ahead;
      }
    }
    i++;
  }
  return peaks;
}

export function selectByDistance(peaks: readonly number[], x: ArrayLike<number>, distance: number): number[] {
  const d = Math.ceil(distance);
  const size = peaks.length;
  const keep = new Uint8Array(size).fill(1);
  const order = peaks.map((_, j) => j);
  // Stable ascending sort by height (Array.prototype.sort is stable).
  order.sort((a, b) => x[peaks[a]!]! - x[peaks[b]!]!);
  for (let i = size - 1; i >= 0; i--) {
    const j = order[i]!;
    if (!keep[j]) continue;
    for (let k = j - 1; k >= 0 && peaks[j]! - peaks[k]! < d; k--) keep[k] = 0;
    for (let k = j + 1; k < size && peaks[k]! - peaks[j]! < d; k++) keep[k] = 0;
  }
  return peaks.filter((_, j) => keep[j]);
}

export function findPeaks(x: ArrayLike<number>, options: FindPeaksOptions = {}): number[] {
  if (options.distance !== undefined && !(options.distance >= 1)) {
    throw new RangeError("`distance` must be greater or equal to 1");
  }
  let peaks = localMaxima(x);
  if (options.height !== undefined) {
    const h = options.height;
    peaks = peaks.filter((p) => x[p]! >= h);
  }
  if (options.distance !== undefined) peaks = selectByDistance(peaks, x, options.distance);
  return peaks;
}

/** Index of the first maximum (pandas `idxmax` over a default index); -1 for an empty series. */
export function argmax(x: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) continue;
    if (best < 0 || x[i]! > x[best]!) best = i;
  }
  return best;
}
