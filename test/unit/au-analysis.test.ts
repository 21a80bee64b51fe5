import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeAu, describeAus } from "../../src/core/au-analysis.ts";
import { activeAus, activeFractions, pyFixed, rowWeights, scoreEmotionsAt, validRows } from "../../src/core/au-peak.ts";
import { loadAuRuleSet, withOverrides } from "../../src/core/au-rules.ts";
import { findPeaks } from "../../src/core/find-peaks.ts";
import { keepLabelledSample } from "../../src/stages/au-analyze.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";

const notebook = parseOpenFaceCsv(readFileSync(new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url), "utf8"));
const merr = await loadAuRuleSet("merr");
const merFactory = await loadAuRuleSet("mer-factory");

/** A small 2.x CSV: columns AU06/AU12/AU25 (_r and _c) plus AU28_c. */
function csv(rows: Array<[number, number, number, number?, number?]>): string {
  const head = "frame,face_id,timestamp,confidence,success,AU06_r,AU12_r,AU25_r,AU06_c,AU12_c,AU25_c,AU28_c";
  return [
    head,
    ...rows.map(([a, b, c, success = 1, conf = 0.98], i) =>
      [i + 1, 0, (i / 10).toFixed(3), conf, success, a, b, c, a >= 1 ? 1 : 0, b >= 1 ? 1 : 0, c >= 1 ? 1 : 0, 0].join(","),
    ),
  ].join("\n");
}

describe("shares of a clip's time (rows analysed at an adaptive rate)", () => {
  it("weighs each row by the frames up to the next row; a uniform table weighs every row the same", () => {
    // Frames 1, 4, 7 (every third) then 8, 9, 10 (every frame around a peak); AU12 active at 8 and 9 only.
    const head = "frame,face_id,timestamp,confidence,success,AU06_r,AU12_r,AU25_r,AU06_c,AU12_c,AU25_c,AU28_c";
    const rows = [[1, 0], [4, 0], [7, 0], [8, 2], [9, 2], [10, 0]].map(([f, au12]) => [f, 0, ((f! - 1) / 30).toFixed(3), 0.98, 1, 0, au12, 0, 0, au12! >= 1 ? 1 : 0, 0, 0].join(","));
    const t = parseOpenFaceCsv([head, ...rows].join("\n"));
    expect([...rowWeights(t)]).toEqual([3, 3, 1, 1, 1, 1]);
    // 2 of the 10 frames the rows stand for, not 2 of 6 rows.
    expect(activeFractions(t, merr, validRows(t)).AU12).toBeCloseTo(0.2);
    const uniform = parseOpenFaceCsv(csv([[0, 1.5, 0], [0, 0, 0], [0, 2, 0], [0, 0, 0]]));
    expect([...rowWeights(uniform)]).toEqual([1, 1, 1, 1]);
    expect(activeFractions(uniform, merr, validRows(uniform)).AU12).toBe(0.5);
  });
});

describe("paper peak method (hand-checked)", () => {
  it("sums the most frequent active AUs per frame and takes the first maximum", () => {
    // AU06 active in rows 1-3, AU12 in rows 1-4, AU25 only in row 5 (a single loud frame).
    const t = parseOpenFaceCsv(csv([[0, 0, 0], [1.5, 1.2, 0], [2.0, 2.5, 0], [1.1, 1.0, 0], [0, 1.0, 0], [0, 0, 4.9]]));
    const a = analyzeAu(t, merr, { seed: "s1", peakMethod: "paper" });
    // top AUs: AU12 (4 frames), AU06 (3), AU25 (1); row sums: 0, 2.7, 4.5, 2.1, 1.0, 4.9 -> row 5
    expect(a.paper?.top_aus).toEqual(["AU12", "AU06", "AU25"]);
    expect(a.peak_row).toBe(5);
    const top2 = withOverrides(merr, { topK: 2 });
    const b = analyzeAu(t, top2, { seed: "s1", peakMethod: "paper" });
    expect(b.peak_row).toBe(2);
    expect(b.peak_index).toBe("2");
    expect(b.peak_time_s).toBeCloseTo(0.2);
    expect(b.peak_AU_list).toEqual(["AU06", "AU12"]);
    expect(b.pseu_emotion).toBe("happy");
    expect(b.AU_list).toEqual(["AU06", "AU12"]);
    expect(b.frame_count).toBe(6);
  });

  it("excluded rows never become the peak", () => {
    const t = parseOpenFaceCsv(csv([[1, 1, 0], [2, 2, 0], [5, 5, 0, 0], [4, 4, 0, 1, 0.3], [1.5, 1.5, 0]]));
    const a = analyzeAu(t, merr, { seed: "s" });
    expect(a.peak_row).toBe(1);
    expect(a.rows).toMatchObject({ valid: 3, failed: 1, lowConfidence: 1 });
    expect(a.frame_count).toBe(4);
  });

  it("on the MER-Factory notebook CSV: frame 220 (index 219) at 14.600 s, AU25+AU26", () => {
    const a = analyzeAu(notebook, merr, { seed: "notebook", peakMethod: "paper" });
    expect(a.paper?.top_aus).toEqual(["AU25", "AU26", "AU05", "AU17", "AU02"]);
    expect(a.paper?.score).toBeCloseTo(5.76);
    expect(a.peak_index).toBe("219");
    expect(a.peak_time_s).toBeCloseTo(14.6);
    expect(a.peak_AU_list).toEqual(["AU25", "AU26"]);
    expect(a.rows.malformed).toBe(1);
  });
});

describe("MER-Factory method", () => {
  it("finds the notebook's 11 candidate peaks and summarises in MER-Factory's words", () => {
    const a = analyzeAu(notebook, merFactory, { seed: "notebook" });
    expect(a.peak_method).toBe("mer-factory");
    expect(a.mer_factory?.candidates).toBe(11);
    expect(a.mer_factory?.summary).toEqual(["Peak at 10.20s: disgust (slight)", "Peak at 11.73s: surprise (slight)", "Peak at 14.73s: surprise (slight)"]);
    expect(a.peak_row).toBe(221);
    expect(a.mer_factory?.peak_description).toBe("Lips part (intensity: 1.94), Jaw drop (intensity: 2.08)");
    expect(a.pseu_emotion).toBe("surprise");
    expect(a.AU_list).toEqual(["AU05", "AU26"]);
    expect(a.visual_prior_list).toEqual(["Upper lid raiser", "Jaw drop"]);
  });

  it("the summed-intensity series and find_peaks agree with scipy's indices for this file", () => {
    const score = Array.from({ length: 223 }, (_, i) => notebook.intensityAus.reduce((s, au) => s + notebook.intensity[au]![i]!, 0));
    // scipy.signal.find_peaks(score, height=0.8, distance=15) on the same rows (computed with scipy 1.17.1)
    expect(findPeaks(score, { height: 0.8, distance: 15 })).toEqual([2, 19, 37, 52, 79, 114, 135, 153, 176, 198, 221]);
  });

  it("scores emotions like MER-Factory: all _c columns needed, half present, mean of existing _r", () => {
    const t = parseOpenFaceCsv(csv([[0, 0, 0], [3.0, 2.0, 0], [0.9, 0.9, 0]]));
    const rules = withOverrides(merFactory, {});
    // happy pool AU06 AU12 AU14: AU14_c missing from this file -> happy is skipped
    expect(scoreEmotionsAt(t, rules, 1, 0.8)).toEqual([]);
    const worried = { ...rules, emotions: { worried: { aus: ["AU28", "AU06"], fallback: false }, happy: { aus: ["AU06", "AU12"], fallback: false } } };
    // row 1: worried has no AU28_r, so its score is AU06_r alone (3.0); happy = mean(3.0, 2.0) = 2.5;
    // both >= 3 x 0.8 -> strong; sorted by score
    expect(scoreEmotionsAt(t, worried, 1, 0.8)).toEqual([
      { emotion: "worried", score: 3.0, strength: "strong" },
      { emotion: "happy", score: 2.5, strength: "strong" },
    ]);
    // row 2: no _c present (0.9 < 1 -> written as 0) -> nothing
    expect(scoreEmotionsAt(t, worried, 2, 0.8)).toEqual([]);
    // threshold 1.0: 2.5 >= 2x but < 3x -> moderate
    expect(scoreEmotionsAt(t, worried, 1, 1.0)[1]).toEqual({ emotion: "happy", score: 2.5, strength: "moderate" });
  });
});

describe("pseudo-label decisions", () => {
  it("a dropped label filters the sample; on_no_match neutral labels it neutral", async () => {
    const t = parseOpenFaceCsv(csv([[0, 0, 0], [0, 0, 0.2], [0, 0, 0.1]]));
    const a = analyzeAu(t, merr, { seed: "s" });
    expect(a.decision.status).toBe("filtered-out");
    expect(a.pseu_emotion).toBeUndefined();
    const n = analyzeAu(t, withOverrides(merr, { onNoMatch: "neutral" }), { seed: "s" });
    expect(n.pseu_emotion).toBe("neutral");
    expect(n.AU_list).toEqual([]);
  });

  it("ranks fired rules by pool coverage, one-AU fallback pools last", () => {
    // every frame: AU06 + AU12 + AU25 active. happy (AU06 AU12 AU14) covers 2/3, contempt (AU10 AU12 AU15 AU17) 1/4
    // (below min_aus), doubt (AU25) 1/1 but is a fallback rule.
    const t = parseOpenFaceCsv(csv([[2, 2, 2], [2, 2, 2], [2, 2, 2]]));
    const a = analyzeAu(t, merr, { seed: "s" });
    expect(a.candidates.map((c) => c.emotion)).toEqual(["happy", "doubt"]);
    expect(a.pseu_emotion).toBe("happy");
    // a large pool does not win by size: fear (7 AUs) with 3 matched loses to surprise (4 AUs) with 3 matched
    const wide = parseOpenFaceCsv(
      "frame,face_id,timestamp,confidence,success,AU01_r,AU02_r,AU26_r,AU01_c,AU02_c,AU26_c\n1,0,0,0.98,1,2,2,2,1,1,1\n2,0,0.1,0.98,1,2,2,2,1,1,1\n",
    );
    expect(analyzeAu(wide, merr, { seed: "s" }).candidates.map((c) => c.emotion).slice(0, 2)).toEqual(["surprise", "fear"]);
    const byCount = { ...merr, pseudo_label: { ...merr.pseudo_label, rank_by: "count" } as typeof merr.pseudo_label };
    // same matched count (3): ties fall to coverage
    expect(analyzeAu(wide, byCount, { seed: "s" }).pseu_emotion).toBe("surprise");
  });

  it("a one-frame spike does not fire a rule (min_frame_fraction)", () => {
    const rows: Array<[number, number, number]> = Array.from({ length: 20 }, () => [0, 0, 0]);
    rows[10] = [3, 3, 0];
    const t = parseOpenFaceCsv(csv(rows));
    expect(analyzeAu(t, merr, { seed: "s" }).decision.status).toBe("filtered-out");
    expect(analyzeAu(t, withOverrides(merr, { minFrameFraction: 0.05 }), { seed: "s" }).pseu_emotion).toBe("happy");
  });

  it("a labelled sample whose rules fire nothing goes on without a pseudo-label (keepLabelled); a dropped label still filters", () => {
    const none = analyzeAu(parseOpenFaceCsv(csv([[0, 0, 0], [0, 0, 0.2], [0, 0, 0.1]])), merr, { seed: "s" });
    expect(none.decision.status).toBe("filtered-out");
    const kept = keepLabelledSample(none, true);
    expect(kept).toMatchObject({ AU_list: [], visual_prior_list: [], decision: { status: "kept" } });
    expect(kept.pseu_emotion).toBeUndefined();
    expect(kept.decision.reason).toMatch(/^no AU rule fired at the peak frame .*: kept without a pseudo-label for the fine stage, which explains its ground-truth label \(keepLabelled\)$/);
    expect(keepLabelledSample(none, false)).toBe(none);
    // disgust fires (AU09 + AU15): not a MERR label, filtered whether labelled or not
    const disgust = analyzeAu(parseOpenFaceCsv("frame,face_id,timestamp,confidence,success,AU09_r,AU15_r,AU09_c,AU15_c\n1,0,0,0.98,1,2,2,1,1\n2,0,0.1,0.98,1,2,2,1,1\n"), merr, { seed: "s" });
    expect(disgust.decision.status).toBe("filtered-out");
    expect(keepLabelledSample(disgust, true)).toBe(disgust);
    // a labelled sample a rule labels keeps that label
    const happy = analyzeAu(parseOpenFaceCsv(csv([[2, 2, 0], [2, 2, 0]])), merr, { seed: "s" });
    expect(keepLabelledSample(happy, true)).toBe(happy);
  });

  it("refuses a table without valid rows", () => {
    const t = parseOpenFaceCsv(csv([[1, 1, 1, 0]]));
    expect(() => analyzeAu(t, merr, { seed: "s" })).toThrow(/no valid face rows/);
  });
});

describe("each label's AUs at the peak (label_aus, the fine set's AU_list)", () => {
  // 20 frames: AU06 + AU12 active in 8 of them, AU25 at the peak only (a one-frame spike); peak = row 10.
  const rows: Array<[number, number, number]> = Array.from({ length: 20 }, (_, i) => (i >= 6 && i < 14 ? [2, 2, 0] : [0, 0, 0]));
  rows[10] = [3, 3, 4];
  const t = parseOpenFaceCsv(csv(rows));
  const a = analyzeAu(t, merr, { seed: "sample_1" });

  it("lists every pool's AUs active at the peak, whether or not its rule fired, with AU_list's phrases", () => {
    expect(a.peak_AU_list).toEqual(["AU06", "AU12", "AU25"]);
    expect(a.pseu_emotion).toBe("happy");
    expect(a.label_aus.happy).toEqual({ aus: ["AU06", "AU12"], phrases: a.visual_prior_list });
    // contempt (AU10 AU12 AU15 AU17) did not fire (one AU of its pool), but its AU at the peak is listed
    expect(a.label_aus.contempt?.aus).toEqual(["AU12"]);
    expect(a.label_aus.contempt?.phrases).toEqual(describeAus(["AU12"], merr, "sample_1"));
    // the spike is too short to fire doubt, and it is at the peak
    expect(a.candidates.map((c) => c.emotion)).not.toContain("doubt");
    expect(a.label_aus.doubt?.aus).toEqual(["AU25"]);
    expect(a.label_aus.sad).toEqual({ aus: [], phrases: [] });
    // neutral has no pool; disgust is no MERR label
    expect(Object.keys(a.label_aus).sort()).toEqual(["angry", "contempt", "doubt", "fear", "happy", "sad", "surprise", "worried"]);
  });

  it("holds the AUs a fired mer-factory rule counted by presence alone", () => {
    // MER-Factory's rule fires surprise on AU05 + AU26 (_c = 1); AU05's intensity keeps it out of peak_AU_list.
    const mf = analyzeAu(notebook, merFactory, { seed: "s" });
    expect(mf.pseu_emotion).toBe("surprise");
    expect(mf.AU_list).toEqual(["AU05", "AU26"]);
    expect(mf.peak_AU_list).not.toContain("AU05");
    expect(mf.label_aus.surprise).toEqual({ aus: ["AU05", "AU26"], phrases: mf.visual_prior_list });
    expect(mf.label_aus.fear?.aus).toEqual(["AU26"]);
  });

  it("a label several emotions map to gets their AUs once, in file order", () => {
    const merged = { ...merr, emotions: { ...merr.emotions, disgust: { ...merr.emotions.disgust!, aus: ["AU12", "AU25"], label: "contempt" as const } } };
    expect(analyzeAu(t, merged, { seed: "sample_1" }).label_aus.contempt?.aus).toEqual(["AU12", "AU25"]);
  });
});

describe("visual expression", () => {
  it("draws one synonym per AU, stable for a sample id, varying across ids", () => {
    const aus = ["AU05", "AU26", "AU15"];
    const once = describeAus(aus, merr, "sample_00000047");
    expect(describeAus(aus, merr, "sample_00000047")).toEqual(once);
    once.forEach((phrase, i) => expect(merr.aus[aus[i]!]!.synonyms).toContain(phrase));
    const seen = new Set(Array.from({ length: 40 }, (_, i) => describeAus(["AU15"], merr, `s${i}`)[0]));
    expect(seen.size).toBeGreaterThan(4);
    expect(describeAus(["AU45"], merr, "x")).toEqual(["Blink"]);
  });

  it("activeAus reads AU28 from its presence column alone", () => {
    const t = parseOpenFaceCsv("frame,face_id,timestamp,confidence,success,AU01_r,AU01_c,AU28_c\n1,0,0,0.98,1,2,1,1\n");
    expect(activeAus(t, merr, 0)).toEqual(["AU01", "AU28"]);
  });
});

describe("pyFixed (Python's .2f)", () => {
  it("rounds exact ties to even like Python", () => {
    expect(pyFixed(0.125, 2)).toBe("0.12");
    expect(pyFixed(0.375, 2)).toBe("0.38");
    expect(pyFixed(10.2, 2)).toBe("10.20");
    expect(pyFixed(2.675, 2)).toBe("2.67"); // 2.675 is 2.67499999… in binary
    expect(pyFixed(-0.001, 2)).toBe("-0.00");
    expect(pyFixed(14.733, 2)).toBe("14.73");
  });
});
