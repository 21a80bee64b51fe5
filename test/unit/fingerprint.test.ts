import { createHash } from "node:crypto";
import { mkdtemp, rm, truncate, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import merr from "../../pipelines/merr.ts";
import type { Sample } from "../../src/core/types.ts";
import { legacyFingerprints, legacyMediaIdentity, mediaIdentity, sampleFileIdentities, sampleFilesOf, sampleFingerprint, stageFingerprints, type MediaIdentity } from "../../src/runtime/fingerprint.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { definePipeline } from "../../src/runtime/define.ts";
import { defineStage } from "../../src/stages/_stage.ts";
import { z } from "zod";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const plan = compilePipeline(merr);
const sample: Sample = { id: "clip", path: "/clips/clip.flv", source: "manifest", label: "happy", transcript: "I am fine." };
const media: MediaIdentity = { size: 1000, mtimeMs: 1, sha256: "a".repeat(64) };

/** The stages whose fingerprint differs between two inputs of one sample, in plan order. */
function redone(before: { sample: Sample; media: MediaIdentity }, after: { sample: Sample; media: MediaIdentity }, p = plan): string[] {
  const a = stageFingerprints(p, before.sample, before.media);
  const b = stageFingerprints(p, after.sample, after.media);
  return p.order.filter((s) => a[s] !== b[s]);
}

describe("stage fingerprints of the merr pipeline", () => {
  it("a changed video redoes every stage (all read the media directly or through their dependencies)", () => {
    expect(redone({ sample, media }, { sample, media: { ...media, sha256: "b".repeat(64) } })).toEqual(plan.order);
    expect(redone({ sample, media }, { sample, media: { ...media, size: 1001 } })).toEqual(plan.order);
    expect(redone({ sample, media }, { sample, media: null })).toEqual(plan.order);
  });

  it("a clip at another path or with another mtime but the same content redoes nothing; the earlier scheme's prints saw both", () => {
    const moved = { sample: { ...sample, path: "/elsewhere/clip.flv", source: "folder" }, media: { ...media, mtimeMs: 2 } };
    expect(redone({ sample, media }, moved)).toEqual([]);
    const legacy = legacyFingerprints(plan, sample, media);
    const legacyMoved = legacyFingerprints(plan, moved.sample, moved.media);
    const now = stageFingerprints(plan, sample, media);
    expect(plan.order.filter((s) => legacy[s] !== legacyMoved[s])).toEqual(plan.order);
    expect(plan.order.filter((s) => legacy[s] === now[s])).toEqual([]);
    expect(legacyFingerprints(plan, { ...sample, path: "/elsewhere/clip.flv" }, media).probe).not.toBe(legacy.probe);
  });

  it("a changed transcript redoes transcript, audio-tone (speaking rate from its syllables), coarse and fine only", () => {
    expect(redone({ sample, media }, { sample: { ...sample, transcript: "I am not fine." }, media }).sort()).toEqual(["audio-tone", "coarse", "fine", "transcript"]);
  });

  it("a changed label redoes fine only; a MERR label given or taken away, or another out-of-set label, redoes au-analyze too (keepLabelled)", () => {
    expect(redone({ sample, media }, { sample: { ...sample, label: "sad" }, media })).toEqual(["fine"]);
    expect(redone({ sample, media }, { sample: { ...sample, label: "HAP" }, media })).toEqual(["fine"]);
    const fromAu = ["au-analyze", "coarse", "fine", "peak-frame", "visual-describe"];
    expect(redone({ sample, media }, { sample: { ...sample, label: " " }, media }).sort()).toEqual(fromAu);
    expect(redone({ sample, media }, { sample: { ...sample, label: undefined }, media }).sort()).toEqual(fromAu);
    expect(redone({ sample, media }, { sample: { ...sample, label: "disgust" }, media }).sort()).toEqual(fromAu);
    // blank and none are no label alike: between them only fine's raw label changes
    expect(redone({ sample: { ...sample, label: " " }, media }, { sample: { ...sample, label: undefined }, media })).toEqual(["fine"]);
    // an out-of-set label counts by name (au-analyze's mapLabel can keep disgust and drop nan); its spelling does not
    expect(redone({ sample: { ...sample, label: "nan" }, media }, { sample: { ...sample, label: "disgust" }, media }).sort()).toEqual(fromAu);
    expect(redone({ sample: { ...sample, label: "Disgust" }, media }, { sample: { ...sample, label: "disgust" }, media })).toEqual(["fine"]);
  });

  it("a changed stage option redoes that stage and its successors only", () => {
    const other = compilePipeline(merr, { "au-analyze": { minAus: 3 } });
    const a = stageFingerprints(plan, sample, media);
    const b = stageFingerprints(other, sample, media);
    // features runs after au-analyze (a gate) but reads nothing of it: the trainer vectors are not redone.
    expect(plan.order.filter((s) => a[s] !== b[s]).sort()).toEqual(["au-analyze", "coarse", "fine", "peak-frame", "visual-describe"]);
  });

  it("a stage's versionOf redoes only the records made with the options it versions", () => {
    // fine versions its builtin backend's wording apart: bumping it leaves model-backend records alone.
    const bumped = { ...merr, stages: merr.stages.map((e) => (e.stage.name === "fine" ? { ...e, stage: { ...e.stage, versionOf: (o: { backend: string }) => (o.backend === "builtin" ? 99 : e.stage.versionOf?.(o as never)) } } : e)) };
    const changed = (overrides: Record<string, Record<string, unknown>>) => {
      const a = stageFingerprints(compilePipeline(merr, overrides), sample, media);
      const b = stageFingerprints(compilePipeline(bumped, overrides), sample, media);
      return plan.order.filter((s) => a[s] !== b[s]);
    };
    expect(changed({})).toEqual(["fine"]);
    expect(changed({ fine: { backend: "ollama:llama3" } })).toEqual([]);
    expect(compilePipeline(bumped).fingerprint).not.toBe(plan.fingerprint);
    expect(compilePipeline(bumped, { fine: { backend: "ollama:llama3" } }).fingerprint).toBe(compilePipeline(merr, { fine: { backend: "ollama:llama3" } }).fingerprint);
  });

  it("an edited data file (a rule set, the tone wording) redoes the stage that reads it and its successors only", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "merr-fp-data-"));
    dirs.push(dir);
    const rules = path.join(dir, "rules.yaml");
    const wording = path.join(dir, "wording.yaml");
    await writeFile(rules, "id: mine\n");
    await writeFile(wording, "version: 1\n");
    const overrides = { "au-analyze": { rules }, "audio-tone": { wording } };
    const prints = () => stageFingerprints(compilePipeline(merr, overrides), sample, media);
    const before = prints();
    expect(prints()).toEqual(before);
    await writeFile(rules, "id: mine\nversion: 2\n");
    const afterRules = prints();
    expect(plan.order.filter((s) => afterRules[s] !== before[s]).sort()).toEqual(["au-analyze", "coarse", "fine", "peak-frame", "visual-describe"]);
    await writeFile(wording, "version: 2\n");
    const afterWording = prints();
    expect(plan.order.filter((s) => afterWording[s] !== afterRules[s]).sort()).toEqual(["audio-tone", "coarse", "fine"]);
    // A missing file is a state of its own (the stage reports it when it runs).
    await rm(wording);
    expect(prints()["audio-tone"]).not.toBe(afterWording["audio-tone"]);
  });

  it("with reuseCsv, an OpenFace CSV beside the clip added, edited or removed redoes au-extract and what reads it; without, none is looked at", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "merr-fp-csv-"));
    dirs.push(dir);
    const clip = { ...sample, path: path.join(dir, "clip.flv") };
    const reuse = compilePipeline(merr, { "au-extract": { extractor: "openface", reuseCsv: true } });
    expect(sampleFilesOf(plan, clip)).toEqual({});
    expect(sampleFilesOf(reuse, clip)).toEqual({ "au-extract": [path.join(dir, "clip.csv"), path.join(dir, "openface", "clip.csv")] });
    const prints = async () => stageFingerprints(reuse, clip, media, (await sampleFileIdentities(reuse, [clip]))[0]?.byStage);
    const none = await prints();
    await writeFile(path.join(dir, "clip.csv"), "frame,success\n1,1\n");
    const added = await prints();
    // audio-tone reads the face track (lip check), features the face boxes.
    const fromAuExtract = ["au-analyze", "au-extract", "audio-tone", "coarse", "features", "fine", "peak-frame", "visual-describe"];
    expect(reuse.order.filter((s) => added[s] !== none[s]).sort()).toEqual(fromAuExtract);
    await writeFile(path.join(dir, "clip.csv"), "frame,success\n1,0\n");
    const edited = await prints();
    expect(reuse.order.filter((s) => edited[s] !== added[s]).sort()).toEqual(fromAuExtract);
    // By path, the files that exist (what sample.json records as `beside`); a recorded identity of the same
    // size and mtime is taken as it is, without reading the file.
    const [read] = await sampleFileIdentities(reuse, [clip]);
    const csvIdentity = await mediaIdentity(path.join(dir, "clip.csv"));
    expect(read?.byPath).toEqual({ [path.join(dir, "clip.csv")]: csvIdentity });
    const recorded = { ...csvIdentity!, sha256: "0".repeat(64) };
    const [cached] = await sampleFileIdentities(reuse, [clip], (_, file) => (file === path.join(dir, "clip.csv") ? recorded : undefined));
    expect(cached?.byStage["au-extract"]).toEqual([recorded, null]);
    await rm(path.join(dir, "clip.csv"));
    expect(await prints()).toEqual(none);
  });

  it("prompt files join the fingerprint where they shape the output: coarse's templates always, a model backend's prompt", () => {
    const withFiles = (name: string, overrides: Record<string, Record<string, unknown>> = {}) => compilePipeline(merr, overrides).stages.get(name)?.dataHash;
    expect(withFiles("coarse")).toMatch(/^[0-9a-f]+$/);
    // The builtin backends read no prompt: their fingerprints are as before.
    expect(withFiles("fine")).toBeUndefined();
    expect(withFiles("visual-describe")).toBeUndefined();
    expect(withFiles("fine", { fine: { backend: "ollama:llama3" } })).toMatch(/^[0-9a-f]+$/);
    expect(withFiles("visual-describe", { "visual-describe": { backend: "ollama:llava" } })).toMatch(/^[0-9a-f]+$/);
    expect(withFiles("audio-tone", { "audio-tone": { backend: "openai:qwen-audio" } })).not.toBe(withFiles("audio-tone"));
  });

  it("the sample fingerprint changes with any stage's", () => {
    const a = stageFingerprints(plan, sample, media);
    expect(sampleFingerprint(a)).toBe(sampleFingerprint(stageFingerprints(plan, { ...sample }, { ...media })));
    expect(sampleFingerprint(a)).not.toBe(sampleFingerprint(stageFingerprints(plan, { ...sample, label: "sad" }, media)));
  });
});

describe("legacyFingerprints", () => {
  it("are the fingerprints merr 7cb836f (path and mtime in the media's identity) gave the same inputs", () => {
    const out = z.object({ ok: z.boolean() });
    const a = defineStage({ name: "a", version: 1, description: "", reads: ["media"], options: z.object({}), output: out, run: async () => ({ ok: true }) });
    const b = defineStage({ name: "b", version: 2, description: "", reads: ["label"], needs: { a }, options: z.object({ n: z.number().default(3) }), output: out, run: async () => ({ ok: true }) });
    const tiny = compilePipeline(definePipeline({ name: "legacy", description: "", stages: [{ stage: a }, { stage: b }] }));
    const clip: Sample = { id: "clip", path: "/clips/clip.flv", source: "folder", label: "happy" };
    const identity: MediaIdentity = { size: 1000, mtimeMs: 1700000000000, sha256: "a".repeat(64) };
    // Printed by that commit's stageFingerprints for this pipeline, sample and identity.
    expect(legacyFingerprints(tiny, clip, identity)).toEqual({ a: "99d4d8d093fac565", b: "47cf04780c3d4933" });
    expect(stageFingerprints(tiny, clip, identity).a).not.toBe("99d4d8d093fac565");
  });
});

describe("mediaIdentity", () => {
  it("hashes the whole content (a change in the middle of a large file counts), keeps a known hash while size and mtime hold; null for a missing file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "merr-fp-"));
    dirs.push(dir);
    const file = path.join(dir, "clip.bin");
    const body = Buffer.alloc(5 * 1024 * 1024, 7);
    await writeFile(file, body);
    const when = new Date("2026-01-01T00:00:00Z");
    await utimes(file, when, when);
    const first = await mediaIdentity(file);
    expect(first).toMatchObject({ size: body.length, mtimeMs: when.getTime() });

    // A byte in the middle MiB, same size, same mtime (a download completed into a preallocated file).
    body[2.5 * 1024 * 1024] = 8;
    await writeFile(file, body);
    await utimes(file, when, when);
    const middle = await mediaIdentity(file);
    expect(middle?.sha256).not.toBe(first?.sha256);
    // The hash of an earlier merr (first and last MiB only) did not see it.
    expect((await legacyMediaIdentity(file))?.sha256).toBe(legacyHashOf(body));

    // Touched: the same content gives the same hash; a known identity of the same size and mtime is not read again.
    await utimes(file, new Date("2026-02-01T00:00:00Z"), new Date("2026-02-01T00:00:00Z"));
    const touched = await mediaIdentity(file);
    expect(touched?.sha256).toBe(middle?.sha256);
    const stale = { ...touched!, sha256: "0".repeat(64) };
    expect(await mediaIdentity(file, stale)).toBe(stale);
    expect((await mediaIdentity(file, { ...stale, mtimeMs: 1 }))?.sha256).toBe(middle?.sha256);

    await truncate(file, body.length - 1);
    expect((await mediaIdentity(file))?.size).toBe(body.length - 1);
    expect(await mediaIdentity(path.join(dir, "missing.flv"))).toBeNull();
  });
});

/** The first-and-last-MiB hash of `body` (the legacy identity), for comparison. */
function legacyHashOf(body: Buffer): string {
  const MiB = 1024 * 1024;
  return createHash("sha256").update(body.subarray(0, MiB)).update(body.subarray(body.length - MiB)).digest("hex");
}
