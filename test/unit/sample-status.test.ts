import { describe, expect, it } from "vitest";
import { missingParts, NOT_REQUESTED, type StageRecord } from "../../src/core/records.ts";
import { rowOf } from "../../src/view/rows.ts";
import { sampleStatusOf } from "../../src/runtime/execute.ts";

const rec = (stage: string, status: StageRecord["status"], extra: Partial<StageRecord> = {}): StageRecord => ({
  stage, version: 1, status, fingerprint: "f", provenance: {}, startedAt: "", finishedAt: "", durationMs: 0, attempt: 1, ...extra,
});

describe("sample status from stage records", () => {
  it("done when every stage is done", () => {
    expect(sampleStatusOf(["a", "b"], { a: rec("a", "done"), b: rec("b", "done") })).toMatchObject({ status: "done", reasons: [] });
  });
  it("reports first-hand reasons only, worst status wins", () => {
    const s = sampleStatusOf(["a", "b", "c"], {
      a: rec("a", "skipped", { skip: { code: "no-audio", message: "no audio" } }),
      b: rec("b", "skipped", { skip: { code: "upstream-skipped", message: "a skipped" } }),
      c: rec("c", "failed", { error: { code: "E_TOOL_FAILED", message: "boom" } }),
    });
    expect(s.status).toBe("failed");
    expect(s.reasons.map((r) => r.code)).toEqual(["no-audio", "E_TOOL_FAILED"]);
  });
  it("a stage's partial skip (the sample went on without it) is a note, not a reason: the sample is done", () => {
    const records = {
      a: rec("a", "skipped", { skip: { code: "no-audio", message: "the clip has no audio track" } }),
      b: rec("b", "skipped", { skip: { code: "upstream-skipped", message: "a skipped" } }),
      c: rec("c", "done"),
    };
    expect(sampleStatusOf(["a", "b", "c"], records, { a: ["no-audio"] })).toEqual({
      status: "done",
      reasons: [],
      notes: [{ stage: "a", code: "no-audio", message: "the clip has no audio track" }],
      stages: { a: "skipped", b: "skipped", c: "done" },
    });
    // another code of the same stage, or the same code at another stage, is still a reason
    expect(sampleStatusOf(["a"], { a: rec("a", "skipped", { skip: { code: "no-face", message: "x" } }) }, { a: ["no-audio"] }).status).toBe("skipped");
    expect(sampleStatusOf(["a", "c"], records, { c: ["no-audio"] })).toMatchObject({ status: "skipped", reasons: [{ stage: "a", code: "no-audio" }] });
  });
  it("a stage the build was not asked to run is no missing part: the viewer's row lists the real ones only", () => {
    const notes = [
      { stage: "extract-audio", code: "no-audio", message: "the clip has no audio track" },
      { stage: "features", code: NOT_REQUESTED, message: "no trainer feature was requested" },
    ];
    expect(missingParts(notes)).toEqual([notes[0]]);
    const row = rowOf({ name: "s", status: "done", reasons: [], notes }, undefined);
    expect(row).toMatchObject({ reasons: ["extract-audio/no-audio"], reason: "the clip has no audio track" });
    const featuresOnly = rowOf({ name: "s", status: "done", reasons: [], notes: [notes[1]!] }, undefined);
    expect(featuresOnly.reasons).toEqual([]);
    expect(featuresOnly.reason).toBeUndefined();
  });
  it("filtered-out makes a sample filtered; a missing record is a failure", () => {
    expect(sampleStatusOf(["a"], { a: rec("a", "skipped", { skip: { code: "filtered-out", message: "weak" } }) }).status).toBe("filtered");
    expect(sampleStatusOf(["a"], {}).status).toBe("failed");
  });
});
