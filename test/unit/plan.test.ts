import { describe, expect, it } from "vitest";
import { z } from "zod";
import media from "../../pipelines/media.ts";
import { definePipeline } from "../../src/runtime/define.ts";
import merr from "../../pipelines/merr.ts";
import { sampleFingerprint, stageFingerprints } from "../../src/runtime/fingerprint.ts";
import { jobOf, planSpecOf } from "../../src/runtime/flow.ts";
import { compilePipeline, FINALIZE } from "../../src/runtime/plan.ts";
import { defineStage } from "../../src/stages/_stage.ts";
import { BACKOFF_JITTER, STAGE_BACKOFF } from "../../src/runtime/retry.ts";

const out = z.object({ v: z.number() });
const a = defineStage({ name: "a", version: 1, description: "", options: z.object({ k: z.number().default(1) }), output: out, run: async () => ({ v: 1 }) });
const b = defineStage({ name: "b", version: 1, description: "", needs: { a }, options: z.object({}), output: out, run: async () => ({ v: 2 }) });
const c = defineStage({ name: "c", version: 1, description: "", needs: { a }, options: z.object({}), output: out, run: async () => ({ v: 3 }) });
const d = defineStage({ name: "d", version: 1, description: "", needs: { b }, uses: { c }, options: z.object({}), output: out, run: async () => ({ v: 4 }) });

describe("compilePipeline", () => {
  it("compiles the stages' needs and uses into a DAG: sources, successors, sinks", () => {
    const plan = compilePipeline(media);
    expect(plan.order).toEqual(["probe", "extract-audio", "sample-frames"]);
    expect(plan.sources).toEqual(["probe"]);
    expect(plan.sinks).toEqual(["extract-audio", "sample-frames"]);
    expect(plan.stages.get("probe")?.successors).toEqual(["extract-audio", "sample-frames"]);
    // extract-audio reads the probe's audio codec when it is there (`uses`): a probe skipped does not stop it.
    expect(plan.stages.get("extract-audio")).toMatchObject({ needs: [], uses: ["probe"] });
  });

  it("lets two stages read one stage in parallel, with no made-up order between them", () => {
    const plan = compilePipeline(definePipeline({ name: "fork", description: "", stages: [{ stage: a }, { stage: b }, { stage: c }, { stage: d }] }));
    expect(plan.stages.get("a")?.successors).toEqual(["b", "c"]);
    expect(plan.stages.get("b")?.before).toEqual(["a"]);
    expect(plan.stages.get("c")?.before).toEqual(["a"]);
    expect(plan.stages.get("d")?.before).toEqual(["b", "c"]);
    expect(plan.sinks).toEqual(["d"]);
  });

  it("the merr pipeline runs fine beside coarse, and only what a kept clip needs after the AU filter", () => {
    const plan = compilePipeline(merr);
    expect(plan.stages.get("au-extract")?.before).toEqual(["probe"]);
    expect(plan.stages.get("fine")?.before).not.toContain("coarse");
    expect(plan.sinks.sort()).toEqual(["coarse", "features", "fine"]);
    expect(plan.stages.get("features")?.before.sort()).toEqual(["au-analyze", "au-extract", "extract-audio", "sample-frames"]);
    // The trainer vectors wait for the AU filter too, through a gate: they read nothing of it.
    expect(plan.stages.get("features")).toMatchObject({ needs: ["extract-audio", "au-extract"], gates: ["au-analyze"] });
    // The audio branch waits for the AU filter (a gate): a clip it filters out gets no audio work.
    expect(plan.sources).toEqual(["probe"]);
    expect(plan.stages.get("extract-audio")).toMatchObject({ needs: [], uses: ["probe"], gates: ["au-analyze"], before: ["probe", "au-analyze"] });
    expect(plan.stages.get("transcript")?.before.sort()).toEqual(["au-analyze", "extract-audio"]);
    expect(plan.stages.get("au-analyze")?.successors).toEqual(expect.arrayContaining(["extract-audio", "transcript", "peak-frame", "sample-frames"]));
    // Sampled frames are read only by visual-describe and features, which run for kept clips only.
    expect(plan.stages.get("sample-frames")).toMatchObject({ needs: ["probe"], gates: ["au-analyze"], before: ["probe", "au-analyze"] });
  });

  it("a gate orders a stage after another without entering its fingerprint, and must be in the pipeline", () => {
    const g = defineStage({ name: "g", version: 1, description: "", options: z.object({ k: z.number().default(1) }), output: out, run: async () => ({ v: 5 }) });
    const sample = { id: "clip_1", path: "/c.mp4", source: "folder" };
    const pipeline = (gOptions: Record<string, unknown>, gate: boolean) =>
      compilePipeline(definePipeline({ name: "p", description: "", stages: [{ stage: a }, { stage: b, ...(gate ? { after: [g] } : {}) }, { stage: g, options: gOptions }] }));
    const gated = pipeline({}, true);
    expect(gated.stages.get("b")?.before).toEqual(["a", "g"]);
    expect(gated.stages.get("g")?.successors).toEqual(["b"]);
    expect(gated.order.indexOf("g")).toBeLessThan(gated.order.indexOf("b"));
    // b's fingerprint is the same with or without the gate, and does not move when g's options do.
    const printsOf = (p: ReturnType<typeof compilePipeline>) => stageFingerprints(p, sample, null);
    expect(printsOf(gated).b).toBe(printsOf(pipeline({}, false)).b);
    const gChanged = pipeline({ k: 3 }, true);
    expect(printsOf(gChanged).g).not.toBe(printsOf(gated).g);
    expect(printsOf(gChanged).b).toBe(printsOf(gated).b);
    expect(jobOf(planSpecOf(gated), { runId: "r", outDir: "/o", pipeline: "p", sample, prints: printsOf(gated), planKey: "k" }, "b").data).toMatchObject({ needs: ["a"], gates: ["g"] });
    expect(() => compilePipeline(definePipeline({ name: "p", description: "", stages: [{ stage: a }, { stage: b, after: [c] }] }))).toThrow(/E_CONFIG_INVALID.*runs after c, which is not in the pipeline/);
  });

  it("orders `uses` dependencies too and fingerprints options", () => {
    const p = definePipeline({ name: "p", description: "", stages: [{ stage: a }, { stage: b }, { stage: c }, { stage: d }] });
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

  it("refuses a backend its stage cannot parse, with the stage's own message, before any work (--asr whisper)", () => {
    expect(() => compilePipeline(merr, { transcript: { asr: "whisper" } })).toThrow(
      '[E_CONFIG_INVALID] stage transcript: invalid options: asr: asr "whisper": unknown (expected none, pocketsphinx, openai:<model> or gemini:<model>)',
    );
    expect(() => compilePipeline(merr, { transcript: { asr: "ollama:x" } })).toThrow(/asr "ollama:x": ollama cannot take audio/);
    expect(() => compilePipeline(merr, { "audio-tone": { backend: "qwen" } })).toThrow(/audio-tone: invalid options: backend: tone backend "qwen": unknown \(expected builtin, openai:<model> or gemini:<model>\)/);
    expect(() => compilePipeline(merr, { "visual-describe": { backend: "llava" } })).toThrow(/visual-describe: invalid options: backend: model spec "llava": unknown backend "llava" \(expected ollama, gemini, openai/);
    expect(() => compilePipeline(merr, { fine: { backend: "foo:bar" } })).toThrow(/fine: invalid options: backend: model spec "foo:bar": unknown backend "foo"/);
    const ok = compilePipeline(merr, { transcript: { asr: "openai:whisper-1" }, "audio-tone": { backend: "gemini:g" }, "visual-describe": { backend: "builtin" }, fine: { backend: "ollama:llama3" } });
    expect(ok.stages.get("transcript")?.options).toMatchObject({ asr: "openai:whisper-1" });
    expect(compilePipeline(merr).stages.get("fine")?.options).toMatchObject({ backend: "builtin" });
  });

  it("refuses an option a stage does not have (the schema would drop it), naming the stage's options", () => {
    expect(() => compilePipeline(merr, { "au-analyze": { nope: 1 } })).toThrow(
      /^\[E_USAGE\] stage "au-analyze" has no option "nope" \(its options: rules, peakMethod, minConfidence, .*, minFaceWidth, keepLabelled, mapLabel\); set one with --set stage\.option=value$/,
    );
    // Through au-extract's transform, every bad key at once, and a stage without options.
    expect(() => compilePipeline(merr, { "au-extract": { extractor: "builtin", Fps: 4 }, coarse: { x: 1 } })).toThrow(
      /stage "au-extract" has no option "Fps" \(its options: extractor, fps, .*\); stage "coarse" has no option "x" \(it has no options\)/,
    );
    expect(compilePipeline(merr, { "au-extract": { fps: 4 } }).stages.get("au-extract")?.options).toMatchObject({ fps: 4 });
  });

  it("makes one job per stage and sample with an id from (run, sample, stage, input fingerprint)", () => {
    const plan = compilePipeline(media);
    const spec = planSpecOf(plan);
    const sample = { id: "clip_1", path: "/c.mp4", source: "folder" };
    const prints = stageFingerprints(plan, sample, null);
    const from = { runId: "r1", outDir: "/o", pipeline: plan.pipeline, sample, prints, planKey: "k" };
    const frames = jobOf(spec, from, "sample-frames");
    expect(frames.opts).toMatchObject({ jobId: `r1.clip_1.sample-frames.${prints["sample-frames"]}`, attempts: 2, backoff: { type: STAGE_BACKOFF, jitter: BACKOFF_JITTER } });
    expect(frames.data).toMatchObject({ stage: "sample-frames", fingerprint: prints["sample-frames"], needs: ["probe"], uses: [] });
    const fin = jobOf(spec, from, FINALIZE);
    expect(fin.opts.jobId).toBe(`r1.clip_1.finalize.${sampleFingerprint(prints)}`);
    expect((fin.data as { stages: string[] }).stages).toEqual(plan.order);
  });
});
