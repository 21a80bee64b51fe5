import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { argmax, findPeaks, localMaxima } from "../../src/core/find-peaks.ts";

interface GoldenCase {
  x: number[];
  height: number | null;
  distance: number | null;
  peaks: number[];
  peaks_stable: number[];
  tie_sensitive: boolean;
}
const golden = JSON.parse(readFileSync(new URL("../fixtures/find-peaks/scipy-golden.json", import.meta.url), "utf8")) as {
  generator: string;
  cases: GoldenCase[];
};

describe("findPeaks (port of scipy.signal.find_peaks)", () => {
  it("plateaus yield one peak at the middle, rounded down", () => {
    expect(localMaxima([0, 2, 2, 0])).toEqual([1]);
    expect(localMaxima([0, 2, 2, 2, 0])).toEqual([2]);
    expect(localMaxima([0, 1, 3, 3, 3, 3, 1, 0])).toEqual([3]);
  });

  it("a plateau that rises again or runs to the end is not a peak", () => {
    expect(localMaxima([0, 2, 2, 3, 0])).toEqual([3]);
    expect(localMaxima([0, 2, 2, 2])).toEqual([]);
  });

  it("never returns the first or the last sample", () => {
    expect(findPeaks([5, 1, 5])).toEqual([]);
    expect(findPeaks([9, 0, 1, 0, 9])).toEqual([2]);
    expect(findPeaks([])).toEqual([]);
    expect(findPeaks([1])).toEqual([]);
    expect(findPeaks([1, 2])).toEqual([]);
  });

  it("keeps a peak whose height equals the threshold exactly", () => {
    expect(findPeaks([0, 0.8, 0, 0.79, 0], { height: 0.8 })).toEqual([1]);
  });

  it("distance: the higher peak wins; equal heights -> the later one is kept", () => {
    expect(findPeaks([0, 3, 0, 5, 0], { distance: 3 })).toEqual([3]);
    expect(findPeaks([0, 4, 0, 4, 0], { distance: 3 })).toEqual([3]);
    expect(findPeaks([0, 4, 0, 4, 0, 4, 0], { distance: 3 })).toEqual([1, 5]);
    // exactly `distance` apart: both stay (only strictly closer ones are removed)
    expect(findPeaks([0, 4, 0, 4, 0], { distance: 2 })).toEqual([1, 3]);
    // distance is rounded up: 1.5 -> 2
    expect(findPeaks([0, 4, 0, 4, 0], { distance: 1.5 })).toEqual([1, 3]);
  });

  it("height is applied before distance", () => {
    // the 9 is dropped by height first, so it cannot suppress its neighbour... (it is not a candidate at all)
    expect(findPeaks([0, 9, 0, 5, 0], { height: 10, distance: 5 })).toEqual([]);
    expect(findPeaks([0, 2, 0, 5, 0], { height: 3, distance: 5 })).toEqual([3]);
  });

  it("rejects distance < 1 as scipy does", () => {
    expect(() => findPeaks([0, 1, 0], { distance: 0.5 })).toThrow(/distance/);
  });

  it(`matches scipy on ${golden.cases.length} random series (${golden.generator})`, () => {
    const run = (c: GoldenCase) => findPeaks(c.x, { height: c.height ?? undefined, distance: c.distance ?? undefined });
    const clear = golden.cases.filter((c) => !c.tie_sensitive);
    expect(clear.length).toBeGreaterThan(300);
    // Wherever equal heights do not decide the distance step, the result is scipy's, exactly.
    expect(clear.filter((c) => JSON.stringify(run(c)) !== JSON.stringify(c.peaks))).toEqual([]);
    // Where they do, scipy's choice depends on numpy's unstable argsort; merr is scipy's algorithm with a stable sort.
    expect(golden.cases.filter((c) => JSON.stringify(run(c)) !== JSON.stringify(c.peaks_stable))).toEqual([]);
  });

  it("argmax returns the first maximum and skips NaN", () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([Number.NaN, 1])).toBe(1);
    expect(argmax([])).toBe(-1);
  });
});
