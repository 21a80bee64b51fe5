import { describe, expect, it } from "vitest";
import { clipActivations, decoupleSpeech, estimateAus, NEUTRAL_NORMS, percentile, smooth } from "../../src/adapters/face/builtin/au-estimate.ts";
import type { FaceMeasures } from "../../src/adapters/face/builtin/geometry.ts";
import { AU_INTENSITY, AU_PRESENCE } from "../../src/adapters/face/types.ts";

const neutral = (): FaceMeasures => ({ ...NEUTRAL_NORMS, lipGap: 0.01 });
const smile = (amount: number): FaceMeasures => ({
  ...neutral(),
  cornerDepth: NEUTRAL_NORMS.cornerDepth - 0.07 * amount,
  cornerDrop: NEUTRAL_NORMS.cornerDrop - 0.12 * amount,
  mouthWidth: NEUTRAL_NORMS.mouthWidth + 0.12 * amount,
  cheekDrop: NEUTRAL_NORMS.cheekDrop - 0.03 * amount,
});

describe("AU estimation", () => {
  it("computes percentiles with interpolation", () => {
    expect(percentile([4, 1, 3, 2], 50)).toBeCloseTo(2.5);
    expect(percentile([5], 10)).toBe(5);
    expect(Number.isNaN(percentile([], 10))).toBe(true);
  });

  it("gives a neutral face no active AU and keeps no-face frames empty", () => {
    const out = estimateAus([neutral(), undefined, neutral()]);
    expect(out[1]).toBeUndefined();
    for (const au of AU_INTENSITY) expect(out[0]?.intensity[au]).toBe(0);
    for (const au of AU_PRESENCE) expect(out[0]?.presence[au]).toBe(0);
  });

  it("rates a smile onset on AU12 and AU06 against the clip's neutral frames", () => {
    const clip = [...Array(10).fill(0), 0.25, 0.5, 0.75, 1, 1, 1].map((a) => smile(a));
    const out = estimateAus(clip);
    const au12 = out.map((f) => f?.intensity.AU12 ?? -1);
    expect(au12[0]).toBe(0);
    expect(au12[15]).toBeGreaterThan(3);
    for (let i = 11; i < au12.length; i++) expect(au12[i]).toBeGreaterThanOrEqual(au12[i - 1] as number);
    expect(out[15]?.intensity.AU06).toBeGreaterThan(1);
    expect(out[15]?.presence.AU12).toBe(1);
    expect(out[15]?.intensity.AU15).toBe(0);
  });

  it("does not erase a constant expression (bounded baseline)", () => {
    const still = estimateAus(Array.from({ length: 10 }, () => smile(1)));
    expect(still[0]?.intensity.AU12).toBeGreaterThan(1);
    // ...while a small constant offset (a person's resting face) is absorbed.
    const resting = estimateAus(Array.from({ length: 10 }, () => smile(0.1)));
    expect(resting[0]?.intensity.AU12).toBe(0);
  });

  it("detects a blink and holds brow AUs through it", () => {
    const frames = Array.from({ length: 12 }, () => neutral());
    frames[6] = { ...neutral(), eyeAperture: 0.03, browInnerHeight: NEUTRAL_NORMS.browInnerHeight + 0.05 };
    const out = estimateAus(frames);
    expect(out[6]?.intensity.AU45).toBeGreaterThan(3);
    expect(out[6]?.presence.AU45).toBe(1);
    expect(out[6]?.intensity.AU01).toBe(0);
    expect(out[5]?.intensity.AU45).toBe(0);
  });

  it("clamps intensities to OpenFace's 0..5 scale", () => {
    const open = { ...neutral(), jawDrop: 2, lipGap: 0.9 };
    const out = estimateAus([neutral(), neutral(), open, open, open]);
    expect(out[3]?.intensity.AU26).toBe(5);
    expect(out[3]?.intensity.AU25).toBe(5);
  });

  it("measures person-normalised AUs against the clip's median: a face built unlike the norm reads 0 at rest", () => {
    // Brows sitting 0.05 face units above the norm all clip long (a build, not an expression)...
    const high = (lift: number): FaceMeasures => ({ ...neutral(), browInnerHeight: NEUTRAL_NORMS.browInnerHeight + 0.05 + lift, browOuterHeight: NEUTRAL_NORMS.browOuterHeight + 0.05 + lift });
    const clip = [...Array.from({ length: 30 }, () => high(0)), ...Array.from({ length: 6 }, () => high(0.06))];
    const { baselines } = clipActivations(clip);
    expect(baselines.AU01.method).toBe("clip");
    const out = estimateAus(clip);
    expect(out[10]?.intensity.AU01).toBe(0);
    expect(out[10]?.intensity.AU02).toBe(0);
    // ...and only a raise above that rest point reads as AU01/AU02.
    expect(out[33]?.intensity.AU01).toBeGreaterThan(0.5);
    expect(out[33]?.intensity.AU02).toBeGreaterThan(0.5);
  });

  it("takes given zero points (a person's, from other clips) instead of the clip's for the dynamic AUs", () => {
    // Inner brows raised all clip long: the clip's median absorbs the raise...
    const raised = Array.from({ length: 30 }, () => ({ ...neutral(), browInnerHeight: NEUTRAL_NORMS.browInnerHeight + 0.06 }));
    expect(estimateAus(raised)[15]?.intensity.AU01).toBe(0);
    // ...a person zero point at this face's rest shows it, even on a clip too short for its own median.
    const zero = clipActivations(Array.from({ length: 30 }, () => neutral())).baselines.AU01.offset;
    expect(estimateAus(raised, { zeroPoints: { AU01: zero } })[15]?.intensity.AU01).toBeGreaterThan(1);
    expect(estimateAus(raised.slice(0, 5), { zeroPoints: { AU01: zero } })[2]?.intensity.AU01).toBeGreaterThan(1);
    expect(clipActivations(raised, { zeroPoints: { AU01: zero } }).baselines.AU01).toEqual({ method: "person", offset: zero });
    // A static AU keeps its own zero point.
    expect(clipActivations(raised, { zeroPoints: { AU12: 5 } as never }).baselines.AU12.offset).not.toBe(5);
  });

  it("falls back to the norm when a clip is too short for a median", () => {
    const clip = Array.from({ length: 5 }, () => neutral());
    expect(clipActivations(clip).baselines.AU01.method).toBe("norm");
    expect(clipActivations(clip, { minBaselineFrames: 5 }).baselines.AU01.method).toBe("clip");
  });

  it("smooths over three frames without crossing frames that have no face", () => {
    expect(smooth([0, 3, 0, undefined, 6], 3)).toEqual([1.5, 1, 1.5, undefined, 6]);
    expect(smooth([1, 2], 1)).toEqual([1, 2]);
  });

  it("removes the mouth opening of speech from the coupled mouth measures, keeping the clip's level", () => {
    const speaking = [0, 0.1, 0, 0.1, 0].map((g) => ({ ...neutral(), lipGap: g, cornerDrop: 0.3 + 0.5 * g }));
    const out = decoupleSpeech(speaking, { upperLipDrop: [0, 0], cornerDepth: [0, 0], cornerDrop: [0.5, 0], lipThickness: [0, 0], chinLip: [0, 0] });
    for (const m of out) expect(m?.cornerDrop).toBeCloseTo(0.3, 10);
    expect(out[1]?.lipGap).toBe(0.1);
  });
});
