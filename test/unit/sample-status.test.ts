import { describe, expect, it } from "vitest";
import type { StageRecord } from "../../src/core/records.ts";
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
  it("filtered-out makes a sample filtered; a missing record is a failure", () => {
    expect(sampleStatusOf(["a"], { a: rec("a", "skipped", { skip: { code: "filtered-out", message: "weak" } }) }).status).toBe("filtered");
    expect(sampleStatusOf(["a"], {}).status).toBe("failed");
  });
});
