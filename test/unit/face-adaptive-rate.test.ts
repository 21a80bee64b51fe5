import { describe, expect, it } from "vitest";
import { framesAround, holdOnGrid, peakCandidateRows } from "../../src/adapters/face/builtin/adaptive-rate.ts";
import type { AuFrame } from "../../src/adapters/face/builtin/au-estimate.ts";
import { coresPerProcess, resolveConcurrency } from "../../src/runtime/define.ts";

/** An AU frame with the given intensities (every other AU at 0). */
function frame(values: Partial<Record<string, number>>): AuFrame {
  const codes = ["AU01", "AU04", "AU06", "AU12", "AU25", "AU26", "AU45"];
  return {
    intensity: Object.fromEntries(codes.map((c) => [c, values[c] ?? 0])) as AuFrame["intensity"],
    presence: Object.fromEntries(codes.map((c) => [c, (values[c] ?? 0) >= 1 ? 1 : 0])) as AuFrame["presence"],
  };
}

describe("adaptive face-analysis rate", () => {
  it("candidates: the highest total, the highest total without blinks, the highest sum of the most often active AUs", () => {
    const aus = [
      frame({ AU25: 1.2, AU26: 1.1 }), // talking: the most often active AUs
      frame({ AU45: 5 }), // a blink: highest total with AU45 only
      frame({ AU25: 2, AU26: 2 }), // paper-style peak (AU25 + AU26 = 4)
      undefined, // no face: never a candidate
      frame({ AU06: 2.5, AU12: 2.5 }), // highest total without blinks (5), AUs active once each
      frame({ AU25: 1, AU26: 1 }),
    ];
    expect(peakCandidateRows(aus, { topK: 2 })).toEqual([1, 2, 4]);
    // With the default top 5, AU06 and AU12 join the summed AUs and the paper-style peak is row 4 too.
    expect(peakCandidateRows(aus)).toEqual([1, 4]);
  });

  it("one candidate when the definitions agree, none without a face", () => {
    expect(peakCandidateRows([frame({ AU12: 1 }), frame({ AU12: 3 }), frame({ AU12: 1 })])).toEqual([1]);
    expect(peakCandidateRows([undefined, undefined])).toEqual([]);
  });

  it("fills the frames between a candidate's coarse neighbours, at the ends as wide as the gap", () => {
    const coarse = [0, 3, 6, 9, 12];
    expect(framesAround(coarse, [2])).toEqual([4, 5, 7, 8]);
    expect(framesAround(coarse, [0])).toEqual([1, 2]);
    expect(framesAround(coarse, [4])).toEqual([10, 11, 13, 14]);
    // Overlapping windows give each frame once; coarse frames are never repeated.
    expect(framesAround(coarse, [1, 2])).toEqual([1, 2, 4, 5, 7, 8]);
    expect(framesAround([5], [0])).toEqual([]);
  });
});

describe("rows laid out on the full-rate grid", () => {
  it("every grid frame holds the latest row at or before it; each row knows its position", () => {
    // Rows at frames 0, 3, 4, 5, 6 (coarse 0 and 3, a window 4-5, coarse 6) of a 9-frame clip.
    const { held, at } = holdOnGrid([0, 3, 4, 5, 6], ["a", "b", "c", "d", "e"], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(held).toEqual(["a", "a", "a", "b", "c", "d", "e", "e", "e"]);
    expect(at).toEqual([0, 3, 4, 5, 6]);
    // A grid of every other frame (60 fps analysed at 30): rows sit on grid positions.
    expect(holdOnGrid([0, 6], [1, 2], [0, 2, 4, 6, 8])).toEqual({ held: [1, 1, 1, 2, 2], at: [0, 3] });
    // Full rate: the grid is the rows themselves.
    expect(holdOnGrid([0, 1, 2], [7, 8, 9], [0, 1, 2])).toEqual({ held: [7, 8, 9], at: [0, 1, 2] });
  });
});

describe("jobs at a time per process", () => {
  it("'cores' follows the cores a process may use; numbers stay as declared", () => {
    expect(resolveConcurrency("cores", 4)).toBe(4);
    expect(resolveConcurrency("cores", 0)).toBe(1);
    expect(resolveConcurrency(3, 8)).toBe(3);
    expect(resolveConcurrency(undefined, 8)).toBe(2);
  });

  it("shares the machine's cores among the worker processes", () => {
    expect(coresPerProcess(2, 1)).toBe(2);
    expect(coresPerProcess(2, 2)).toBe(1);
    expect(coresPerProcess(2, 3)).toBe(1);
    expect(coresPerProcess(16, 3)).toBe(5);
  });
});
