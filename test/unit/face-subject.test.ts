import { describe, expect, it } from "vitest";
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
