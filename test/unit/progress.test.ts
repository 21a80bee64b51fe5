import { describe, expect, it } from "vitest";
import { layoutProgress } from "../../src/runtime/progress.ts";
import { progressFrame } from "../helpers/progress-frames.ts";

describe("layoutProgress", () => {
  it.each([80, 120])("fits %i columns in at most two lines, with done/total and the ETA first", (columns) => {
    for (const finished of [0, 1, 12_000, 41_234, 73_000]) {
      const lines = layoutProgress(progressFrame(finished), columns);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line.length, line).toBeLessThan(columns);
      expect(lines[0]).toMatch(new RegExp(`^${finished}/73000( samples)? · ETA (\\?|\\d+[smh])`));
      // 120 columns show all eleven stages; at 80, eleven running stages with failures may lose the last
      if (columns === 120) expect(lines.join(" ")).not.toContain("…");
    }
  });

  it("folds complete and waiting stages before it abbreviates", () => {
    const frame = progressFrame(41_234);
    for (const s of frame.stages.slice(0, 4)) Object.assign(s, { done: 73_000, skipped: 0, failed: 0 });
    for (const s of frame.stages.slice(9)) Object.assign(s, { done: 0, skipped: 0, failed: 0 });
    expect(layoutProgress(frame, 120)).toEqual([
      "41234/73000 samples · ETA 1h09m · 4 complete · au-analyze 57117 · peak-frame 53940 · transcript 50764",
      "visual-describe 47587 (12 failed) · audio-tone 44411 · 2 waiting",
    ]);
  });

  it("at 80 columns, eleven running stages show as percentages, the failures in the head", () => {
    const lines = layoutProgress(progressFrame(12_000), 80);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^12000\/73000 · ETA 7h37m · 12 failed · pro 91% ext-aud 83%/);
  });

  it("uses one full line when the terminal is wide enough", () => {
    const lines = layoutProgress(progressFrame(12_000), 500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^12000\/73000 samples · ETA 7h37m · probe 66900 \(1338 skipped\) · extract-audio/);
    expect(lines[0]).toContain("visual-describe");
    expect(lines[0]).toContain("12 failed");
  });

  it("names the samples a stage filtered out apart from those it skipped, and counts both as finished", () => {
    const frame = progressFrame(0, ["au-analyze", "fine"]);
    Object.assign(frame, { total: 10, finished: 6 });
    Object.assign(frame.stages[0]!, { done: 8, filtered: 2, skipped: 0, failed: 0 });
    Object.assign(frame.stages[1]!, { done: 3, filtered: 2, skipped: 1, failed: 0 });
    expect(layoutProgress(frame, 500)).toEqual([expect.stringMatching(/ · au-analyze 10 \(2 filtered\) · fine 6 \(2 filtered, 1 skipped\)$/)]);
  });

  it("cuts with … only on a very narrow terminal, never the count or the ETA", () => {
    const lines = layoutProgress(progressFrame(41_234), 40);
    expect(lines[0]).toMatch(/^41234\/73000 · ETA 1h09m · 12 failed/);
    expect(lines[1]).toMatch(/…$/);
    expect(lines[1]!.length).toBeLessThan(40);
  });
});
