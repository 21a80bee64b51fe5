import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLabelPolicy, resolveLabel, normaliseLabel } from "../../src/core/labels.ts";
import { entryFromRecords, type MerrEntry } from "../../src/core/merr-entry.ts";
import { shareGptRecords } from "../../src/export/sharegpt.ts";
import { loadEntries } from "../../src/export/load-entries.ts";
import { buildMerrFiles, COARSE_KEYS, FINE_KEYS } from "../../src/export/merr-format.ts";
import { runExport } from "../../src/export/run-export.ts";
import { isRefusal, parseNeutralPolicy, selectEntries, DEFAULT_SELECT_OPTIONS } from "../../src/export/select.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, SPEC_COARSE_CAPTION, SPEC_FINE_EXAMPLE, writeFakeRun, type FakeSample } from "./export-fixtures.ts";

const spec = SPEC_FINE_EXAMPLE.entry;
const specSample: FakeSample = {
  id: SPEC_FINE_EXAMPLE.name,
  stages: completeStages({
    label: "surprise",
    au: [...spec.AU_list],
    priors: [...spec.visual_prior_list],
    peak: 0,
    peakAus: [...spec.peak_AU_list],
    tone: spec.audio_prior_list,
    text: spec.text,
    caption: SPEC_COARSE_CAPTION,
    reason: spec.smp_reason_caption,
    valence: SPEC_FINE_EXAMPLE.valence,
    frameCount: SPEC_FINE_EXAMPLE.frameCount,
  }),
};

describe("labels", () => {
  it("folds CREMA-D codes and spellings, and applies the drop/map policy", () => {
    expect(["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"].map(normaliseLabel)).toEqual(["angry", "disgust", "fear", "happy", "neutral", "sad"]);
    expect(resolveLabel("Sadness")).toEqual({ ok: true, label: "sad", raw: "Sadness" });
    expect(resolveLabel("disgust")).toEqual({ ok: false, raw: "disgust", normalised: "disgust" });
    const p = parseLabelPolicy("disgust=angry,*=neutral");
    expect(resolveLabel("DIS", p)).toMatchObject({ ok: true, label: "angry", mappedFrom: "disgust" });
    expect(resolveLabel("unknown", p)).toMatchObject({ ok: true, label: "neutral" });
    expect(() => parseLabelPolicy("disgust=grumpy")).toThrow(/E_USAGE/);
    expect(() => parseLabelPolicy("disgust")).toThrow(/FROM=TO/);
  });

  it("parses neutral policies", () => {
    expect(parseNeutralPolicy("25%")).toEqual({ kind: "fraction", p: 0.25 });
    expect(parseNeutralPolicy("12")).toEqual({ kind: "count", n: 12 });
    expect(() => parseNeutralPolicy("some")).toThrow(/E_USAGE/);
  });

  it("detects LLM refusals but not captions that mention 'cannot'", () => {
    expect(isRefusal("I cannot provide an analysis of this person's emotions.")).toBe(true);
    expect(isRefusal("I'm sorry, but I can't help with that.")).toBe(true);
    expect(isRefusal("In the video, the man says he cannot wait, and smiles.")).toBe(false);
  });
});

describe("merr format round trip", () => {
  it("exports the spec's example entry field by field, key order included", async () => {
    const run = await tempOutDir();
    const out = await tempOutDir();
    await writeFakeRun(run, [specSample]);
    const report = await runExport({ runDir: run, outDir: out, formats: ["merr"] });
    expect(report).toMatchObject({ samples: 1, coarse: 1, fine: 1 });

    const fineText = await readFile(path.join(out, "MERR_fine_grained.json"), "utf8");
    const fine = JSON.parse(fineText) as Record<string, Record<string, unknown>>;
    expect(Object.keys(fine)).toEqual([SPEC_FINE_EXAMPLE.name]);
    const got = fine[SPEC_FINE_EXAMPLE.name]!;
    expect(Object.keys(got)).toEqual([...FINE_KEYS]);
    for (const key of FINE_KEYS) expect(got[key], key).toEqual(spec[key]);
    expect(typeof got.peak_index).toBe("string");
    expect(typeof got.audio_prior_list).toBe("string");

    const coarse = JSON.parse(await readFile(path.join(out, "MERR_coarse_grained.json"), "utf8")) as Record<string, Record<string, unknown>>;
    const c = coarse[SPEC_FINE_EXAMPLE.name]!;
    expect(Object.keys(c)).toEqual([...COARSE_KEYS]);
    expect(c.caption).toBe(SPEC_COARSE_CAPTION);
    expect(c.text).toBe("Oh my.");

    expect(await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).toBe("sample_00000047 22 surprise -0.61232674\n");
    expect(await readFile(path.join(out, "MERR_coarse_grained.txt"), "utf8")).toBe("sample_00000047 22 surprise\n");
    expect(await readFile(path.join(out, "transcription_en_all.csv"), "utf8")).toBe('name,sentence\nsample_00000047,"Oh my."\n');
  });

  it("lists in a fine entry the AUs of its own label's pool at the peak; the coarse entry keeps the rule's", () => {
    // The rules fired doubt on parted lips; the clip's label is angry and its peak shows lowered brows.
    const labelAus = { doubt: { aus: ["AU25"], phrases: ["Slightly puzzled"] }, angry: { aus: ["AU04"], phrases: ["Lower the brow"] }, sad: { aus: [], phrases: [] } };
    const base = { label: "doubt", au: ["AU25"], priors: ["Slightly puzzled"], peakAus: ["AU04", "AU25", "AU26"], labelAus };
    const entryOf = (fineLabel: string, extra: Partial<typeof base> = {}) => {
      const stages = completeStages({ ...base, ...extra, fineLabel });
      return entryFromRecords({ id: `s_${fineLabel}`, stages: recordsOf(stages) });
    };
    const fine = (fineLabel: string, extra: Partial<typeof base> = {}) => {
      const files = buildMerrFiles(selectEntries([entryOf(fineLabel, extra)]));
      return Object.values(JSON.parse(files["MERR_fine_grained.json"]!) as Record<string, Record<string, unknown>>)[0]!;
    };
    expect(fine("angry")).toMatchObject({ AU_list: ["AU04"], visual_prior_list: ["Lower the brow"], peak_AU_list: ["AU04", "AU25", "AU26"], pseu_emotion: "angry" });
    expect(fine("doubt")).toMatchObject({ AU_list: ["AU25"], visual_prior_list: ["Slightly puzzled"] });
    // no AU of sad's pool at the peak, and neutral has no pool: none listed rather than the rule's
    expect(fine("sad")).toMatchObject({ AU_list: [], visual_prior_list: [] });
    expect(fine("neutral")).toMatchObject({ AU_list: [], visual_prior_list: [], pseu_emotion: "neutral" });
    // the coarse entry is the AU rule's: its label and its AUs
    const coarse = JSON.parse(buildMerrFiles(selectEntries([entryOf("angry")]))["MERR_coarse_grained.json"]!) as Record<string, Record<string, unknown>>;
    expect(coarse["s_angry"]).toMatchObject({ AU_list: ["AU25"], visual_prior_list: ["Slightly puzzled"], pseu_emotion: "doubt" });
    // a record made before au-analyze wrote label_aus keeps the rule's AUs
    const { labelAus: _none, ...legacy } = base;
    const old = buildMerrFiles(selectEntries([entryFromRecords({ id: "s_old", stages: recordsOf(completeStages({ ...legacy, fineLabel: "angry" })) })]));
    expect(JSON.parse(old["MERR_fine_grained.json"]!)).toMatchObject({ s_old: { AU_list: ["AU25"], visual_prior_list: ["Slightly puzzled"] } });
  });

  it("leaves a sample kept without a pseudo-label (keepLabelled) out of the coarse set only", () => {
    const stages = completeStages({ label: "neutral", fineLabel: "neutral", reason: "In the video, his face is at rest and his voice is even. These clues suggest that he is in a neutral emotional state." });
    delete (stages["au-analyze"] as { output: Record<string, unknown> }).output.pseu_emotion;
    const sel = selectEntries([entryFromRecords({ id: "s_kept", stages: recordsOf(stages) })]);
    expect(sel.coarse).toEqual([]);
    expect(sel.excluded.coarse).toEqual({ "no-rule-fired": 1 });
    expect(sel.fine.map((f) => [f.entry.name, f.label])).toEqual([["s_kept", "neutral"]]);
    // --coarse-neutral all does not bring it in: it has no pseudo-label to be neutral by
    const all = selectEntries([entryFromRecords({ id: "s_kept", stages: recordsOf(stages) })], { ...DEFAULT_SELECT_OPTIONS, neutral: { coarse: { kind: "all" }, fine: { kind: "all" } } });
    expect(all.coarse).toEqual([]);
  });

  it("writes -10 when the valence is unknown and falls back to the probed frame count", () => {
    const stages = completeStages({ label: "happy" });
    const au = (stages["au-analyze"] as { output: Record<string, unknown> }).output;
    delete au.frame_count;
    const entry = entryFromRecords({ id: "s1", stages: recordsOf(stages) });
    const files = buildMerrFiles(selectEntries([entry]));
    expect(files["MERR_fine_grained.txt"]).toBe("s1 75 happy -10\n");
  });

  it("drops disgust by default, maps it on request, and counts both", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "a_dis", stages: completeStages({ label: "disgust" }) },
      { id: "b_hap", stages: completeStages({ label: "happy" }) },
      { id: "c_unk", stages: completeStages({ label: "happy", fineLabel: "unknown" }) },
    ]);
    const entries = await loadEntries(run);
    const dropped = selectEntries(entries);
    expect(dropped.coarse.map((s) => s.entry.name)).toEqual(["b_hap", "c_unk"]);
    expect(dropped.fine.map((s) => s.entry.name)).toEqual(["b_hap"]);
    expect(dropped.labels.dropped).toEqual({ disgust: 2, unknown: 1 });
    expect(dropped.excluded.fine).toEqual({ "label-dropped:disgust": 1, "label-dropped:unknown": 1 });

    const mapped = selectEntries(entries, { ...DEFAULT_SELECT_OPTIONS, labelPolicy: parseLabelPolicy("disgust=angry") });
    expect(mapped.coarse.map((s) => [s.entry.name, s.label])).toEqual([["a_dis", "angry"], ["b_hap", "happy"], ["c_unk", "happy"]]);
    expect(mapped.labels.mapped).toEqual({ "disgust->angry": 2 });
    const lines = buildMerrFiles(mapped)["MERR_coarse_grained.txt"]!.trim().split("\n");
    for (const l of lines) expect(l).toMatch(/^\S+ \d+ (neutral|angry|happy|sad|worried|surprise|fear|contempt|doubt)$/);
  });

  it("excludes failed, filtered, refused and incomplete samples, counted by reason; one the fine stage filtered stays in the coarse set", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "ok", stages: completeStages({ label: "sad" }) },
      { id: "failed", status: "failed", reasons: [{ stage: "au-extract", code: "E_TOOL_FAILED", message: "x" }], stages: { probe: completeStages({ label: "sad" }).probe! } },
      { id: "filtered", status: "filtered", reasons: [{ stage: "finalize", code: "contradiction", message: "x" }], stages: completeStages({ label: "sad" }) },
      // filtered by the fine stage alone: MERR's coarse set is the AU filter's, so it keeps its coarse entry
      {
        id: "fine-filtered", status: "filtered", reasons: [{ stage: "fine", code: "filtered-out", message: "clues contradict the label sad" }],
        stages: { ...completeStages({ label: "sad" }), fine: { skip: { code: "filtered-out", message: "clues contradict the label sad" } } },
      },
      { id: "refusal", stages: completeStages({ label: "sad", reason: "I cannot provide an analysis of this video." }) },
      { id: "noface", status: "skipped", reasons: [{ stage: "au-analyze", code: "no-face", message: "x" }], stages: { "au-analyze": { skip: { code: "no-face", message: "no face" } } } },
      { id: "running", status: "running", stages: { "au-analyze": completeStages({ label: "sad" })["au-analyze"]! } },
    ]);
    const sel = selectEntries(await loadEntries(run));
    expect(sel.coarse.map((s) => s.entry.name)).toEqual(["fine-filtered", "ok", "refusal"]);
    expect(sel.fine.map((s) => s.entry.name)).toEqual(["ok"]);
    expect(sel.excluded.samples).toEqual({ "failed:au-extract/E_TOOL_FAILED": 1, "filtered:finalize/contradiction": 1 });
    expect(sel.excluded.fine).toEqual({ "skipped:fine/filtered-out": 1, refusal: 1, "skipped:au-analyze/no-face": 1, "missing:fine": 1 });
    expect(sel.excluded.coarse).toEqual({ "skipped:au-analyze/no-face": 1, "missing:coarse": 1 });
  });

  it("names the first stage that skipped a sample, not the upstream skips that followed it", async () => {
    const run = await tempOutDir();
    const upstream = (stage: string, code: string) => ({ skip: { code: "upstream-skipped", message: `${stage} skipped: ${code}` } });
    const after = (first: string, code: string) => ({
      "au-analyze": upstream(first, code),
      coarse: upstream("au-analyze", "upstream-skipped"),
      fine: upstream("au-analyze", "upstream-skipped"),
    });
    const { coarse: _notYet, ...done } = completeStages({ label: "sad" });
    const partial = { ...done, "visual-describe": { error: { code: "E_MODEL_UNAVAILABLE", message: "down" } }, fine: { skip: { code: "upstream-failed", message: "visual-describe failed: down" } } };
    // what merr build leaves for a clip without a face and for an audio-only clip (records as the runtime writes them)
    await writeFakeRun(run, [
      { id: "ok", stages: completeStages({ label: "sad" }) },
      {
        id: "noface", status: "skipped", reasons: [{ stage: "au-extract", code: "no-face", message: "no face was tracked" }],
        stages: { probe: completeStages({ label: "x" }).probe!, "au-extract": { skip: { code: "no-face", message: "no face was tracked" } }, ...after("au-extract", "no-face") },
      },
      {
        id: "audioonly", status: "skipped", reasons: [{ stage: "probe", code: "no-video", message: "no video stream" }],
        stages: { probe: { skip: { code: "no-video", message: "no video stream" } }, "au-extract": upstream("probe", "no-video"), ...after("au-extract", "upstream-skipped") },
      },
      // a partial run: coarse has not run yet; fine was skipped after visual-describe failed
      { id: "partial", status: "running", stages: partial },
    ]);
    const sel = selectEntries(await loadEntries(run));
    expect(sel.excluded.coarse).toEqual({ "skipped:au-extract/no-face": 1, "skipped:probe/no-video": 1, "missing:coarse": 1 });
    expect(sel.excluded.fine).toEqual({ "skipped:au-extract/no-face": 1, "skipped:probe/no-video": 1, "failed:visual-describe/E_MODEL_UNAVAILABLE": 1 });
  });

  it("keeps no coarse neutral by default and samples neutral deterministically on request", () => {
    const entries = Array.from({ length: 20 }, (_, i) =>
      entryFromRecords({ id: `n${String(i).padStart(2, "0")}`, stages: recordsOf(completeStages({ label: "neutral" })) }),
    );
    const byDefault = selectEntries(entries);
    expect(byDefault.coarse).toHaveLength(0);
    expect(byDefault.excluded.coarse).toEqual({ "neutral-not-sampled": 20 });
    expect(byDefault.fine).toHaveLength(20);
    const opts = { ...DEFAULT_SELECT_OPTIONS, neutral: { coarse: parseNeutralPolicy("5"), fine: parseNeutralPolicy("25%") } };
    const a = selectEntries(entries, opts);
    const b = selectEntries([...entries].reverse(), opts);
    expect(a.coarse).toHaveLength(5);
    expect(a.fine).toHaveLength(5);
    expect(a.coarse.map((s) => s.entry.name)).toEqual(b.coarse.map((s) => s.entry.name));
    const other = selectEntries(entries, { ...opts, seed: "other" });
    expect(other.coarse.map((s) => s.entry.name)).not.toEqual(a.coarse.map((s) => s.entry.name));
  });

  it("is deterministic: two exports of the same run are byte-identical", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [specSample, { id: "b", stages: completeStages({ label: "angry" }) }]);
    const [o1, o2] = [await tempOutDir(), await tempOutDir()];
    await runExport({ runDir: run, outDir: o1, formats: ["merr", "jsonl", "csv", "sharegpt"] });
    await runExport({ runDir: run, outDir: o2, formats: ["csv", "sharegpt", "jsonl", "merr"] });
    for (const f of ["MERR_fine_grained.json", "MERR_coarse_grained.txt", "merr.jsonl", "merr.csv", "sharegpt/merr_sharegpt.json"]) {
      expect(await readFile(path.join(o1, f), "utf8"), f).toBe(await readFile(path.join(o2, f), "utf8"));
    }
  });
});

function recordsOf(stages: ReturnType<typeof completeStages>) {
  return Object.fromEntries(
    Object.entries(stages).map(([stage, r]) => [
      stage,
      { stage, version: 1, status: "done" as const, output: (r as { output: unknown }).output, fingerprint: "f", provenance: {}, startedAt: "", finishedAt: "", durationMs: 0, attempt: 1 },
    ]),
  );
}

describe("coarse list labels", () => {
  // Samples of a labelled source: the AU rules said happy or doubt; the fine stage filtered them (coarse only).
  const entry = (name: string, pseudo: string, label?: string, more: Partial<MerrEntry> = {}): MerrEntry => ({
    ...entryFromRecords({ id: name, stages: recordsOf(completeStages({ label: pseudo })) }),
    sample: { id: name, path: `/c/${name}.mp4`, source: "folder", ...(label !== undefined ? { label } : {}) },
    finalLabel: undefined,
    reason: undefined,
    ...more,
  });
  const entries = [
    entry("ang", "doubt", "ANG"),
    entry("dis", "happy", "DIS"),
    entry("fea", "happy", "FEA"),
    entry("hap", "happy", "HAP"),
    entry("none", "happy"),
    entry("blank", "doubt", "  "),
  ];
  const labels = (sel: ReturnType<typeof selectEntries>) => sel.coarse.map((s) => `${s.entry.name}:${s.label}`);

  it("are a sample's own label where it has one, else the AU pseudo-label; an unmapped out-of-set label leaves the set", () => {
    const sel = selectEntries(entries);
    expect(labels(sel)).toEqual(["ang:angry", "blank:doubt", "fea:fear", "hap:happy", "none:happy"]);
    expect(sel.labels.overruled).toEqual({ "doubt->angry": 1, "happy->fear": 1 });
    expect(sel.excluded.coarse).toMatchObject({ "label-dropped:disgust": 1 });
    // The list and the JSON agree, and ShareGPT's emotion answer is the list's label.
    const files = buildMerrFiles(sel);
    expect(files["MERR_coarse_grained.txt"]).toContain("fea 70 fear\n");
    expect((JSON.parse(files["MERR_coarse_grained.json"]!) as Record<string, { pseu_emotion: string }>).fea!.pseu_emotion).toBe("fear");
    const answers = [...shareGptRecords(sel, { tasks: ["emotion"], targets: "raw", seed: "merr" })].map((r) => `${r.id}:${r.messages[1]!.content}`);
    expect(answers).toEqual(["ang.emotion:angry", "blank.emotion:doubt", "fea.emotion:fear", "hap.emotion:happy", "none.emotion:happy"]);
  });

  it("map an out-of-set label by the export's map, else by the build's; a reviewer's relabel beats the source", () => {
    expect(labels(selectEntries(entries, { ...DEFAULT_SELECT_OPTIONS, labelPolicy: parseLabelPolicy("disgust=angry") }))).toContain("dis:angry");
    expect(labels(selectEntries([entry("dis", "happy", "DIS", { labelMap: "disgust=contempt" })]))).toEqual(["dis:contempt"]);
    // applyReviews put the relabel into pseuEmotion and marked the entry.
    expect(labels(selectEntries([entry("fea", "sad", "FEA", { relabelled: true })]))).toEqual(["fea:sad"]);
  });

  it("are the AU pseudo-labels with coarseLabels pseudo (the paper's unlabelled coarse set)", () => {
    const sel = selectEntries(entries, { ...DEFAULT_SELECT_OPTIONS, coarseLabels: "pseudo" });
    expect(labels(sel)).toEqual(["ang:doubt", "blank:doubt", "dis:happy", "fea:happy", "hap:happy", "none:happy"]);
    expect(sel.labels.overruled).toEqual({});
  });
});
