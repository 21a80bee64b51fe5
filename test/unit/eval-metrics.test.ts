import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLabelPolicy } from "../../src/core/labels.ts";
import { projectPath } from "../../src/core/paths.ts";
import { computeMetrics, NO_PREDICTION } from "../../src/eval/metrics.ts";
import { formatEvalReport, runEval } from "../../src/eval/run-eval.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

describe("metrics", () => {
  it("computes WAR, UAR, weighted F1 and the confusion matrix (hand-checked example)", () => {
    const truth = ["happy", "happy", "happy", "sad", "sad", "angry"];
    const pred = ["happy", "happy", "sad", "sad", "angry", undefined];
    const m = computeMetrics(truth.map((t, i) => ({ truth: t, pred: pred[i] })));
    expect(m.rows).toEqual(["angry", "happy", "sad"]);
    expect(m.columns).toEqual(["angry", "happy", "sad", NO_PREDICTION]);
    expect(m.confusion).toEqual([
      [0, 0, 0, 1],
      [0, 2, 1, 0],
      [1, 0, 1, 0],
    ]);
    expect(m.war).toBeCloseTo(0.5, 10);
    expect(m.uar).toBeCloseTo((2 / 3 + 0.5 + 0) / 3, 10);
    expect(m.weightedF1).toBeCloseTo((3 * 0.8 + 2 * 0.5) / 6, 10);
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5) / 3, 10);
    expect(m.perClass.happy).toEqual({ support: 3, predicted: 2, correct: 2, recall: 2 / 3, precision: 1, f1: 0.8 });
    expect(m.missing).toBe(1);
  });

  it("is all zeros, not NaN, for no samples", () => {
    expect(computeMetrics([])).toMatchObject({ n: 0, war: 0, uar: 0, weightedF1: 0, rows: [], columns: [] });
  });
});

/** The six bundled CREMA-D clips, with the predictions a run might make. */
const CLIPS: Array<[code: string, pseudo: string, final: string | null]> = [
  ["ANG", "angry", "angry"],
  ["DIS", "disgust", "angry"],
  ["FEA", "surprise", "fear"],
  ["HAP", "happy", "happy"],
  ["NEU", "neutral", "sad"],
  ["SAD", "sad", null],
];

describe("merr eval on a run of the CREMA-D sample", () => {
  it("maps CREMA-D codes, reports the unmapped class and writes JSON and SVGs", async () => {
    const run = await tempOutDir();
    await writeFakeRun(
      run,
      CLIPS.map(([code, pseudo, final]) => {
        const stages = completeStages({ label: pseudo, fineLabel: final ?? pseudo });
        if (final === null) delete stages.fine;
        return { id: `1001_DFA_${code}_XX`, stages };
      }),
    );
    const r = await runEval({ runDir: run, labelsFile: projectPath("data/sample/labels.csv") });
    expect(r.groundTruth).toMatchObject({ source: "file", idColumn: "clip_id", labelColumn: "emotion_code" });
    expect(r.unmappedTruth).toEqual({ disgust: 1 });
    expect(r.evaluated).toBe(5);
    expect(r.pseudo).toMatchObject({ n: 5, correct: 4, war: 0.8, missing: 0 });
    expect(r.final).toMatchObject({ n: 5, correct: 3, war: 0.6, missing: 1 });
    expect(r.final.perClass.fear!.recall).toBe(1);
    expect(r.final.columns).toContain(NO_PREDICTION);

    const saved = JSON.parse(await readFile(path.join(run, "eval", "eval.json"), "utf8"));
    expect(saved.pseudo.war).toBe(0.8);
    const svg = await readFile(path.join(run, "eval", "confusion-final.svg"), "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain("WAR 60.0%");
    expect((svg.match(/<rect /g) ?? []).length).toBe(1 + r.final.rows.length * r.final.columns.length + r.final.rows.length);

    const table = formatEvalReport(r);
    expect(table).toMatch(/pseudo {5}\| {3}80\.0/);
    expect(table).toMatch(/outside the label set, left out: disgust=1/);
  });

  it("uses the labels the samples carry, and maps disgust on request", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "x1", sample: { label: "DIS" }, stages: completeStages({ label: "disgust", fineLabel: "angry" }) },
      { id: "x2", sample: { label: "Happiness" }, stages: completeStages({ label: "happy" }) },
      { id: "x3", stages: completeStages({ label: "happy" }) },
    ]);
    const r = await runEval({ runDir: run, outDir: await tempOutDir(), labelPolicy: parseLabelPolicy("disgust=angry") });
    expect(r).toMatchObject({ groundTruth: { source: "samples" }, evaluated: 2, noTruth: 1, mappedTruth: { "disgust->angry": 1 } });
    expect(r.pseudo.war).toBe(1);
    expect(r.final.war).toBe(1);
    expect(r.finalConditionedOnTruth).toBe(0);
    // Mapped at build time (merr build --map-label disgust=angry: the fine stage's mapLabel): scored so without asking again.
    const mapped = await tempOutDir();
    const stages = completeStages({ label: "disgust", fineLabel: "angry" });
    (stages.fine as { options?: unknown }).options = { mapLabel: "disgust=angry" };
    await writeFakeRun(mapped, [{ id: "x1", sample: { label: "DIS" }, stages }, { id: "x2", sample: { label: "Happiness" }, stages: completeStages({ label: "happy" }) }]);
    expect(await runEval({ runDir: mapped, outDir: await tempOutDir() })).toMatchObject({ evaluated: 2, mappedTruth: { "disgust->angry": 1 }, unmappedTruth: {} });
  });

  it("without a usable ground-truth label says why and what to do, instead of a table of 0.0", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "x1", stages: completeStages({ label: "happy" }) },
      { id: "x2", stages: completeStages({ label: "sad" }) },
    ]);
    const none = await runEval({ runDir: run });
    expect(none).toMatchObject({ evaluated: 0, noTruth: 2, files: [] });
    expect(none.problem).toBe(
      `no sample of ${run} has a ground-truth label, so there is nothing to score: the samples carry no label (their source gave none: ` +
        "a manifest's label column, the bundled sample's labels.csv); pass --labels CSV, or review the samples in merr view and pass --reviewed",
    );
    const text = formatEvalReport(none);
    expect(text).toMatch(/^samples 2, evaluated 0, without ground truth 2$/m);
    expect(text).toMatch(/^pseudo-labels: happy 1 \(50%\), sad 1 \(50%\)$/m);
    expect(text).not.toMatch(/WAR|confusion|written/);
    await expect(readFile(path.join(run, "eval", "eval.json"))).rejects.toThrow(/ENOENT/);

    // A labels CSV whose ids match no sample: both sides' ids, and the fix.
    const labels = path.join(await tempOutDir(), "labels.csv");
    await writeFile(labels, "file,label\nclip_a.mp4,happy\nclip_b.mp4,sad\nclip_c.mp4,sad\nclip_d.mp4,sad\n");
    expect((await runEval({ runDir: run, labelsFile: labels })).problem).toMatch(
      /nothing to score: none of the 4 rows of .*labels\.csv matched a sample id of the run \(column "file" holds "clip_a\.mp4", "clip_b\.mp4", "clip_c\.mp4", \.\.\.; the run's ids are "x1", "x2"\); pass --id-column/,
    );
    // Every label outside the MERR set.
    await writeFile(labels, "name,label\nx1,disgust\nx2,DIS\n");
    expect((await runEval({ runDir: run, labelsFile: labels })).problem).toMatch(/every ground-truth label is outside the MERR label set \(disgust=2\); map them with --map-label, e\.g\. --map-label disgust=angry$/);
  });

  it("warns when the fine label was conditioned on the ground truth", async () => {
    const run = await tempOutDir();
    const stages = completeStages({ label: "happy" });
    (stages.fine as { output: Record<string, unknown> }).output.conditioning = "ground-truth";
    await writeFakeRun(run, [{ id: "x1", sample: { label: "HAP" }, stages }]);
    const r = await runEval({ runDir: run });
    expect(r.finalConditionedOnTruth).toBe(1);
    expect(formatEvalReport(r)).toMatch(/conditioned on the ground truth/);
  });
});
