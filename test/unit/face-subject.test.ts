import { describe, expect, it } from "vitest";
import { faceUpscaleFactor, upscaleFactor } from "../../src/adapters/face/builtin/face-analyzer.ts";
import { iou, selectSubject, type Box } from "../../src/adapters/face/builtin/subject.ts";

const face = (x: number, y: number, size = 100): { box: Box } => ({ box: [x, y, size, size] });

describe("following one subject through a clip", () => {
  it("computes box overlap", () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 0, 10, 10])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150);
  });

  it("one face throughout is the subject in every frame", () => {
    const frames = Array.from({ length: 10 }, (_, i) => [face(100 + i * 2, 50)]);
    const s = selectSubject(frames);
    expect(s.picks).toEqual(Array(10).fill(0));
    expect(s).toMatchObject({ subjectFrames: 10, tracks: 1, otherOnlyFrames: 0 });
  });

  it("two people in frame: follows the one seen longest even when the detector lists the other first", () => {
    // Speaker on the left in all 12 frames; a listener on the right in frames 0-5, listed first there.
    const frames = Array.from({ length: 12 }, (_, i) => (i < 6 ? [face(500, 60, 120), face(100, 50)] : [face(100 + i, 50)]));
    const s = selectSubject(frames);
    expect(s.picks).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(s.tracks).toBe(2);
    expect(s.subjectFrames).toBe(12);
  });

  it("a cut to someone else: the other shot's frames get no face", () => {
    const frames = [...Array.from({ length: 8 }, () => [face(100, 50)]), ...Array.from({ length: 4 }, () => [face(400, 200, 60)]), [], [face(102, 50)]];
    const s = selectSubject(frames);
    expect(s.picks).toEqual([0, 0, 0, 0, 0, 0, 0, 0, undefined, undefined, undefined, undefined, undefined, 0]);
    expect(s).toMatchObject({ subjectFrames: 9, tracks: 2, otherOnlyFrames: 4 });
  });

  it("equal presence: the larger face wins; no faces at all: no subject", () => {
    const frames = [[face(0, 0, 50), face(300, 0, 150)], [face(0, 0, 50), face(300, 0, 150)]];
    expect(selectSubject(frames).picks).toEqual([1, 1]);
    expect(selectSubject([[], []])).toMatchObject({ picks: [undefined, undefined], subjectFrames: 0, tracks: 0 });
  });
});

describe("enlargement for face precision", () => {
  const opts = { targetFaceWidth: 256, maxPixels: 2_100_000 };

  it("brings a face box to about the target width, in quarter steps", () => {
    // The calibration clip: a 171 px face in 480x360 is analysed at 1.5x, as the width rule did.
    expect(faceUpscaleFactor({ width: 480, height: 360 }, 171, opts)).toBe(1.5);
    expect(faceUpscaleFactor({ width: 480, height: 360 }, 175.3, opts)).toBe(1.5);
    expect(faceUpscaleFactor({ width: 640, height: 360 }, 100, opts)).toBe(2.5);
  });

  it("never shrinks, and stays within the pixel budget and 3x", () => {
    expect(faceUpscaleFactor({ width: 960, height: 540 }, 400, opts)).toBe(1);
    expect(faceUpscaleFactor({ width: 960, height: 540 }, 60, opts)).toBe(2);
    expect(faceUpscaleFactor({ width: 320, height: 180 }, 20, opts)).toBe(3);
    expect(faceUpscaleFactor({ width: 1920, height: 1080 }, 50, opts)).toBe(1);
  });

  it("before any face is known, enlarges narrow frames only (up to 2x)", () => {
    expect(upscaleFactor(480, 720)).toBe(1.5);
    expect(upscaleFactor(960, 720)).toBe(1);
    expect(upscaleFactor(240, 720)).toBe(2);
  });
});
