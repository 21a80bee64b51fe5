import type { AuFrame } from "./au-estimate.ts";

/**
 * Adaptive analysis rate: the face model is the largest cost of a build (about 40 ms of CPU per frame),
 * and most frames of a clip only feed clip-level statistics (medians, activation rates), which a third of
 * the frames estimates as well. What needs every frame is the neighbourhood of the peak, where the
 * downstream stages pick one exact frame. So the clip is analysed in two passes:
 *
 * 1. every frame that starts a new `1/coarseFps` slot (`keepFrame` in frames.ts);
 * 2. every frame between the coarse neighbours of each candidate peak of pass 1 (this file).
 *
 * The candidates cover the peak definitions the rule sets use (au-rules/*.yaml, core/au-peak.ts): the
 * highest sum of every AU intensity (MER-Factory's overall peak, with and without blinks) and the highest
 * sum of the most often active AUs (Emotion-LLaMA's paper peak, `top_k: 5`, `exclude: [AU45]`, active at
 * intensity >= 1, the defaults of the merr rule sets). The constants below are those definitions, fixed
 * before any agreement was measured; bench/pipeline.ts reports the agreement with full-rate analysis.
 */

/** Analysis rate of the first pass. @defaultValue 10 frames per second: a third of 30 fps video. */
export const COARSE_FPS = 10;

export interface CandidateOptions {
  /** AUs summed in the paper-style candidate. @defaultValue 5 */
  topK?: number;
  /** Intensity at which an AU counts as active. @defaultValue 1 */
  activeMin?: number;
  /** AUs left out of the paper-style candidate. @defaultValue ["AU45"] */
  exclude?: readonly string[];
}

function argmax(scores: ReadonlyArray<number | undefined>): number | undefined {
  let best: number | undefined;
  scores.forEach((s, i) => {
    if (s !== undefined && (best === undefined || s > (scores[best] as number))) best = i;
  });
  return best;
}

/**
 * Rows (indices into `aus`) of the candidate peaks of a coarse pass, without repeats, in row order.
 * Rows without a face (undefined) are never candidates. Pure.
 */
export function peakCandidateRows(aus: ReadonlyArray<AuFrame | undefined>, opts: CandidateOptions = {}): number[] {
  const topK = opts.topK ?? 5;
  const activeMin = opts.activeMin ?? 1;
  const exclude = new Set(opts.exclude ?? ["AU45"]);
  const present = aus.filter((a): a is AuFrame => a !== undefined);
  if (!present.length) return [];
  const codes = Object.keys(present[0]!.intensity) as Array<keyof AuFrame["intensity"]>;
  const sum = (a: AuFrame | undefined, which: readonly string[]): number | undefined =>
    a ? which.reduce((s, au) => s + Math.max(0, a.intensity[au as keyof AuFrame["intensity"]] ?? 0), 0) : undefined;
  const all = codes as string[];
  const noBlink = all.filter((au) => !exclude.has(au));
  const active = (au: string): number => present.filter((a) => (a.intensity[au as keyof AuFrame["intensity"]] ?? 0) >= activeMin).length;
  const top = noBlink
    .map((au) => ({ au, n: active(au) }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n || a.au.localeCompare(b.au))
    .slice(0, topK)
    .map((x) => x.au);
  const rows = [argmax(aus.map((a) => sum(a, all))), argmax(aus.map((a) => sum(a, noBlink))), top.length ? argmax(aus.map((a) => sum(a, top))) : undefined];
  return [...new Set(rows.filter((r): r is number => r !== undefined))].sort((a, b) => a - b);
}

/**
 * Frame indices to analyse in the second pass: for each candidate row, the frames strictly between its
 * coarse neighbours (after the last coarse frame: as many as the gap before it), minus frames already
 * analysed. `coarse` holds the frame index of each row, ascending. Pure.
 */
export function framesAround(coarse: readonly number[], rows: readonly number[]): number[] {
  const done = new Set(coarse);
  const out = new Set<number>();
  for (const r of rows) {
    const at = coarse[r];
    if (at === undefined) continue;
    const before = coarse[r - 1];
    const after = coarse[r + 1];
    const gapBefore = before === undefined ? (after === undefined ? 1 : after - at) : at - before;
    const lo = before ?? Math.max(-1, at - gapBefore);
    const hi = after ?? at + gapBefore;
    for (let i = lo + 1; i < hi; i++) if (i >= 0 && !done.has(i)) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Lays the analysed rows out on the grid of frames full-rate analysis would look at (`grid`, ascending
 * frame indices): every grid frame holds the value of the latest row at or before it, and `at` gives each
 * row's grid position. The AU estimate runs on `held`, so its clip statistics (the zero points' medians
 * and percentiles, the speech decoupling) weigh each row by the frames it stands for, as full rate would,
 * instead of leaning towards the densely analysed peaks; and around a peak, where every frame was analysed,
 * `held` is exactly what full rate sees. Pure.
 */
export function holdOnGrid<T>(rowFrames: readonly number[], values: readonly T[], grid: readonly number[]): { held: Array<T | undefined>; at: number[] } {
  const held: Array<T | undefined> = [];
  const at: number[] = [];
  let r = -1;
  for (const f of grid) {
    while (r + 1 < rowFrames.length && (rowFrames[r + 1] as number) <= f) {
      r++;
      at[r] = held.length;
    }
    held.push(r >= 0 ? values[r] : undefined);
  }
  // Rows after the last grid frame (none when the grid covers the clip) share its position.
  for (let i = r + 1; i < rowFrames.length; i++) at[i] = Math.max(0, held.length - 1);
  return { held, at };
}
