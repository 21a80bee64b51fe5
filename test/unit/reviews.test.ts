import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readStageRecord, writeStageRecord } from "../../src/core/records.ts";
import { appendReview, foldReviews, loadReviews, reviewStatus, reviewsDir, type ReviewRecord } from "../../src/core/reviews.ts";
import { runEval } from "../../src/eval/index.ts";
import { formatExportReport } from "../../src/export/format-report.ts";
import { runExport } from "../../src/export/index.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

const inputs = { "au-analyze": "fp-au-analyze", fine: "fp-fine" };
const decision = (o: Partial<ReviewRecord> & Pick<ReviewRecord, "action">): ReviewRecord => ({
  schema: "merr.review/1", sample: "s1", reviewer: "ann", at: "2026-01-01T00:00:00.000Z", inputs, ...o,
});

describe("review decisions", () => {
  it("fold oldest first, the later decision winning; a relabel or caption edit keeps the sample", () => {
    const s = foldReviews(
      [
        decision({ action: "reject", at: "2026-01-01T00:00:01Z" }),
        decision({ action: "relabel", label: "sad", reviewer: "bob", at: "2026-01-01T00:00:02Z" }),
        decision({ action: "caption", caption: "He looks down.", at: "2026-01-01T00:00:03Z" }),
      ],
      inputs,
    );
    expect(s).toMatchObject({ decision: "accepted", label: "sad", caption: "He looks down.", reviewers: ["ann", "bob"], applied: 3, stale: 0 });
    expect(reviewStatus(s)).toBe("relabelled");
    expect(reviewStatus(foldReviews([decision({ action: "accept" }), decision({ action: "reject" })], inputs))).toBe("rejected");
    expect(reviewStatus(undefined)).toBe("unreviewed");
  });

  it("are stale, and not applied, once a stage input they were made on has changed", () => {
    const s = foldReviews([decision({ action: "reject" })], { ...inputs, fine: "fp-fine-2" });
    expect(s).toMatchObject({ applied: 0, stale: 1, staleStages: ["fine"] });
    expect(s.decision).toBeUndefined();
    expect(reviewStatus(s)).toBe("stale");
    // a stage that ran later for the first time does not make an older decision stale
    expect(foldReviews([decision({ action: "reject" })], { ...inputs, features: "fp-x" }).decision).toBe("rejected");
  });

  it("refuse a relabel without a label or to a label outside the nine", async () => {
    const run = await tempOutDir();
    await expect(appendReview(run, decision({ action: "relabel" }))).rejects.toThrow(/relabel needs a label/);
    await expect(appendReview(run, { ...decision({ action: "relabel" }), label: "disgust" as never })).rejects.toThrow();
  });

  it("many writers at once: every decision is its own file and none is lost; unreadable files are named, not applied", async () => {
    const run = await tempOutDir();
    const writes = Array.from({ length: 60 }, (_, i) =>
      appendReview(run, decision({ action: i % 2 ? "accept" : "reject", reviewer: i % 2 ? "ann" : "bob", sample: `s${i % 3}` })),
    );
    const names = await Promise.all(writes);
    expect(new Set(names).size).toBe(60);
    await writeFile(path.join(reviewsDir(run), "zz-broken.json"), "{ not json");
    const loaded = loadReviews(run);
    expect(loaded.records).toHaveLength(60);
    expect(loaded.unreadable).toEqual(["zz-broken.json"]);
    expect(loaded.records.filter((r) => r.reviewer === "ann")).toHaveLength(30);
  });
});

describe("merr export and merr eval honour the reviews", () => {
  async function reviewedRun(): Promise<string> {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "a_hap", sample: { label: "happy" }, stages: completeStages({ label: "happy" }) },
      { id: "b_sad", sample: { label: "sad" }, stages: completeStages({ label: "worried" }) },
      { id: "c_ang", sample: { label: "angry" }, stages: completeStages({ label: "angry" }) },
      { id: "d_new", sample: { label: "happy" }, stages: completeStages({ label: "happy" }) },
    ]);
    const on = (sample: string, o: Partial<ReviewRecord> & Pick<ReviewRecord, "action">): Promise<string> =>
      appendReview(run, decision({ sample, inputs: Object.fromEntries(Object.keys(completeStages({ label: "x" })).map((s) => [s, `fp-${s}`])), ...o }));
    await on("a_hap", { action: "reject" });
    await on("b_sad", { action: "relabel", label: "sad" });
    await on("b_sad", { action: "caption", caption: "Her voice drops and she looks down: she is sad." });
    await on("c_ang", { action: "accept" });
    await on("d_new", { action: "reject" });
    // d_new's clip changed after its rejection: the fine stage ran again with a new input fingerprint
    const fine = (await readStageRecord(run, "d_new", "fine"))!;
    await writeStageRecord(run, "d_new", { ...fine, fingerprint: "fp-fine-changed" });
    return run;
  }

  it("export: rejected out, relabels and caption edits in, stale decisions not applied; --reviewed-only keeps the reviewed", async () => {
    const run = await reviewedRun();
    const out = await tempOutDir();
    const report = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none" });
    expect(report.excluded.samples).toEqual({ "reviewed:rejected": 1 });
    expect(report.reviews).toMatchObject({ decisions: 5, reviewed: 3, rejected: 1, relabelled: 1, captionEdited: 1, stale: 1 });
    const fineList = await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8");
    expect(fineList).toBe("b_sad 70 sad -10\nc_ang 70 angry -10\nd_new 70 happy -10\n");
    expect(await readFile(path.join(out, "MERR_coarse_grained.txt"), "utf8")).toMatch(/^b_sad 70 sad$/m);
    const fine = JSON.parse(await readFile(path.join(out, "MERR_fine_grained.json"), "utf8")) as Record<string, { smp_reason_caption: string }>;
    expect(fine.b_sad?.smp_reason_caption).toBe("Her voice drops and she looks down: she is sad.");

    const only = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none", reviewedOnly: true });
    expect(only.excluded.samples).toEqual({ "reviewed:rejected": 1, "not-reviewed": 1 });
    expect(await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).toBe("b_sad 70 sad -10\nc_ang 70 angry -10\n");
  });

  it("a relabel without a caption edit leaves the fine set (the caption explains the old label) and stays in the coarse set", async () => {
    const run = await tempOutDir();
    const reason = "In the video, his brows are lowered and his voice is loud. These clues suggest that he feels angry.";
    await writeFakeRun(run, [
      { id: "e_rel", sample: { label: "angry" }, stages: completeStages({ label: "doubt", fineLabel: "angry", reason }) },
      { id: "f_ok", sample: { label: "angry" }, stages: completeStages({ label: "doubt", fineLabel: "angry", reason }) },
    ]);
    const inputsOf = Object.fromEntries(Object.keys(completeStages({ label: "x" })).map((s) => [s, `fp-${s}`]));
    await appendReview(run, decision({ sample: "e_rel", inputs: inputsOf, action: "relabel", label: "sad" }));
    const out = await tempOutDir();
    const report = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none" });
    expect(report.excluded.fine).toEqual({ "caption-not-for-label": 1 });
    expect(await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).toBe("f_ok 70 angry -10\n");
    // The coarse list: the reviewer's relabel, and f_ok's own label over the rules' doubt.
    expect(await readFile(path.join(out, "MERR_coarse_grained.txt"), "utf8")).toBe("e_rel 70 sad\nf_ok 70 angry\n");
    expect(formatExportReport(report)).toMatch(/warning: 1 sample\(s\) left the fine set \(caption-not-for-label\).*: e_rel; edit their caption in merr view/);
    expect(report.captionNotForLabel).toEqual(["e_rel"]);
    // a caption edited without a relabel is checked the same way: one naming another label leaves the fine set
    await appendReview(run, decision({ sample: "f_ok", inputs: inputsOf, action: "caption", caption: "In the video, he looks happy and relaxed, smiling as he speaks.", at: "2026-01-01T00:00:03.000Z" }));
    expect((await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none" })).captionNotForLabel).toEqual(["e_rel", "f_ok"]);
    await appendReview(run, decision({ sample: "f_ok", inputs: inputsOf, action: "caption", caption: "In the video, he shows no sign of happiness or sadness; his brows are lowered, so he feels angry.", at: "2026-01-01T00:00:04.000Z" }));
    // the caption edited to explain the new label brings it back
    await appendReview(run, decision({ sample: "e_rel", inputs: inputsOf, action: "caption", caption: "In the video, his voice drops and his eyes are lowered. These clues suggest that he feels sad.", at: "2026-01-01T00:00:05.000Z" }));
    const again = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none" });
    expect(again.excluded.fine).toEqual({});
    expect(await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).toBe("e_rel 70 sad -10\nf_ok 70 angry -10\n");
  });

  it("a relabel of a sample no AU rule fired on (kept for its ground truth) keeps it out of the coarse set", async () => {
    const run = await tempOutDir();
    const stages = completeStages({ label: "neutral", fineLabel: "neutral", reason: "In the video, his face is at rest and his voice is even: he is in a neutral emotional state." });
    delete (stages["au-analyze"] as { output: Record<string, unknown> }).output.pseu_emotion;
    await writeFakeRun(run, [{ id: "k_neu", sample: { label: "neutral" }, stages }]);
    const inputsOf = Object.fromEntries(Object.keys(stages).map((s) => [s, `fp-${s}`]));
    await appendReview(run, decision({ sample: "k_neu", inputs: inputsOf, action: "relabel", label: "sad" }));
    await appendReview(run, decision({ sample: "k_neu", inputs: inputsOf, action: "caption", caption: "In the video, his eyes are lowered and his voice is flat: he feels sad.", at: "2026-01-01T00:00:05.000Z" }));
    const out = await tempOutDir();
    const report = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none", neutral: { coarse: { kind: "all" } } });
    expect(report.excluded.coarse).toEqual({ "no-rule-fired": 1 });
    expect(await readFile(path.join(out, "MERR_coarse_grained.txt"), "utf8")).toBe("");
    expect(await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).toBe("k_neu 70 sad -10\n");
  });

  it("eval --reviewed scores the automatic labels against the reviewers' labels", async () => {
    const run = await reviewedRun();
    const r = await runEval({ runDir: run, reviewed: true });
    expect(r.groundTruth).toEqual({ source: "reviews", rejected: 1 });
    expect(r.evaluated).toBe(2); // b_sad (relabelled sad) and c_ang (accepted); a_hap rejected, d_new stale
    expect(r.pseudo.war).toBeCloseTo(0.5); // b_sad's pseudo-label was worried
    expect(r.final.war).toBeCloseTo(0.5);
  });
});
