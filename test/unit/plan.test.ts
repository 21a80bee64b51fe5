import { describe, expect, it } from "vitest";
import { z } from "zod";
import media from "../../pipelines/media.ts";
import { definePipeline } from "../../src/runtime/define.ts";
import { stageFingerprints } from "../../src/runtime/fingerprint.ts";
import { buildFlow } from "../../src/runtime/flow.ts";
import { compilePipeline, FINALIZE } from "../../src/runtime/plan.ts";
import { defineStage } from "../../src/stages/_stage.ts";

const out = z.object({ v: z.number() });
const a = defineStage({ name: "a", version: 1, description: "", options: z.object({ k: z.number().default(1) }), output: out, run: async () => ({ v: 1 }) });
const b = defineStage({ name: "b", version: 1, description: "", needs: { a }, options: z.object({}), output: out, run: async () => ({ v: 2 }) });
const c = defineStage({ name: "c", version: 1, description: "", needs: { a }, options: z.object({}), output: out, run: async () => ({ v: 3 }) });
const d = defineStage({ name: "d", version: 1, description: "", needs: { b }, uses: { c }, options: z.object({}), output: out, run: async () => ({ v: 4 }) });

describe("compilePipeline", () => {
  it("puts every stage below the stages that read it, independent branches side by side", () => {
    const plan = compilePipeline(media);
    expect(plan.order).toEqual(["probe", "extract-audio", "sample-frames"]);
    expect(plan.roots.sort()).toEqual(["extract-audio", "sample-frames"]);
    expect(plan.stages.get("sample-frames")?.children).toEqual(["probe"]);
  });

  it("rejects a stage read by two parallel branches and says how to order them", () => {
    const p = definePipeline({ name: "fork", description: "", stages: [{ stage: a }, { stage: b }, { stage: c }] });
    expect(() => compilePipeline(p)).toThrow(/stage a is read by b and c, which would run in parallel.*after/);
  });

  it("accepts the same fork once an `after` edge orders the branches", () => {
    const p = definePipeline({ name: "fork", description: "", stages: [{ stage: a }, { stage: b, after: ["c"] }, { stage: c }] });
    const plan = compilePipeline(p);
    expect(plan.roots).toEqual(["b"]);
    expect(plan.stages.get("b")?.children).toEqual(["c"]);
    expect(plan.stages.get("c")?.children).toEqual(["a"]);
  });

  it("orders `uses` dependencies too and fingerprints options", () => {
    const p = definePipeline({ name: "p", description: "", stages: [{ stage: a }, { stage: b, after: ["c"] }, { stage: c }, { stage: d }] });
    const one = compilePipeline(p);
    expect(one.order.indexOf("c")).toBeLessThan(one.order.indexOf("d"));
    const two = compilePipeline(p, { a: { k: 2 } });
    expect(two.fingerprint).not.toBe(one.fingerprint);
    expect(two.stages.get("a")?.options).toEqual({ k: 2 });
  });

  it("validates stage options and unknown stages in overrides", () => {
    expect(() => compilePipeline(media, { "sample-frames": { fps: -1 } })).toThrow(/E_CONFIG_INVALID.*sample-frames.*fps/);
    expect(() => compilePipeline(media, { nope: {} })).toThrow(/E_USAGE.*"nope"/);
  });

  it("compiles to one flow per clip with ids from (run, sample, stage) and no parent left waiting on failure", () => {
    const plan = compilePipeline(media);
    const sample = { id: "clip_1", path: "/c.mp4", source: "folder" };
    const prints = stageFingerprints(plan, sample, null);
    const flow = buildFlow({ runId: "r1", outDir: "/o", plan }, sample, prints);
    expect(flow.queueName).toBe(FINALIZE);
    expect(flow.opts?.jobId).toBe("r1.clip_1.finalize");
    const frames = flow.children?.find((c) => c.name === "sample-frames");
    expect(frames?.opts).toMatchObject({ jobId: "r1.clip_1.sample-frames", attempts: 2, ignoreDependencyOnFailure: true, backoff: { type: "exponential" } });
    expect(frames?.children?.[0]?.opts?.jobId).toBe("r1.clip_1.probe");
    expect((frames?.data as { fingerprint: string }).fingerprint).toBe(prints["sample-frames"]);
    expect((flow.data as { stages: string[] }).stages).toEqual(plan.order);
  });
});
