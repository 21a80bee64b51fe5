import { describe, expect, it } from "vitest";
import { parseCepstralMean, parsePocketsphinxTimed, withCepstralMean } from "../../src/adapters/audio/pocketsphinx.ts";
import { assessTranscript, wordsOfText, type GateWord } from "../../src/core/transcript-gate.ts";
import { transcriptRejectionOf } from "../../src/runtime/execute.ts";
import { formatSummary, type RunSummary } from "../../src/runtime/summary.ts";

const words = (posteriors: number[], perWordS = 0.3): GateWord[] =>
  posteriors.map((posterior, i) => ({ word: `w${i}`, startS: i * perWordS, endS: (i + 1) * perWordS, posterior }));

describe("pocketsphinx -time yes output", () => {
  it("gives the hypothesis text and the words with times and posteriors, without fillers", () => {
    const out = ["the juice of lemons", "<s> 0.000 0.170 0.999700", "the 0.180 0.300 0.352741", "juice(2) 0.310 0.600 0.139035", "<sil> 0.61 0.70 0.9",
      "[NOISE] 0.70 0.71 0.5", "of 0.710 0.800 0.998900", "lemons 0.810 1.150 1e-04", "</s> 1.2 1.3 1.000000", ""].join("\n");
    const r = parsePocketsphinxTimed(out);
    expect(r.text).toBe("the juice of lemons");
    expect(r.words).toEqual([
      { word: "the", startS: 0.18, endS: 0.3, posterior: 0.352741 },
      { word: "juice", startS: 0.31, endS: 0.6, posterior: 0.139035 },
      { word: "of", startS: 0.71, endS: 0.8, posterior: 0.9989 },
      { word: "lemons", startS: 0.81, endS: 1.15, posterior: 0.0001 },
    ]);
  });
});

describe("the cepstral mean of the first pass", () => {
  const log = [
    "INFO: feat.c(713): Initializing feature stream to type: '1s_c_d_dd', ceplen=13, CMN='batch', VARNORM='no', AGC='none'",
    "INFO: cmn_live.c(120): Update from < 41.00 -5.29 -0.12  5.09 >",
    "INFO: cmn_live.c(138): Update to   < 46.84  7.55  1.24 13.20 >",
    "INFO: cmn_live.c(120): Update from < 46.84  7.55  1.24 13.20 >",
    "INFO: cmn_live.c(138): Update to   < 48.10  6.90 -0.50 12.00 >",
  ].join("\n");
  it("is the last update pocketsphinx logged (it covers every utterance), and absent without one", () => {
    expect(parseCepstralMean(log)).toEqual([48.1, 6.9, -0.5, 12]);
    expect(parseCepstralMean("INFO: continuous.c: no speech\n")).toBeUndefined();
  });
  it("replaces the model's -cmninit in a copy of its feat.params, keeping every other line", () => {
    const params = "-lowerf 130\n-cmn batch\n-cmninit 41.00,-5.29,-0.12\n-varnorm no\n";
    expect(withCepstralMean(params, [48.1, 6.9, -0.5])).toBe("-lowerf 130\n-cmn batch\n-varnorm no\n-cmninit 48.10,6.90,-0.50\n");
    expect(withCepstralMean("-cmn batch\n", [1, 2])).toBe("-cmn batch\n-cmninit 1.00,2.00\n");
  });
});

describe("the transcript gate", () => {
  it("accepts confident words and rejects a low geometric-mean posterior, naming the figure", () => {
    expect(assessTranscript(words([0.9, 0.8, 0.95, 0.7]), 3)).toMatchObject({ reliable: true, figures: { words: 4, confidence: 0.832 } });
    // One near-zero posterior pulls the geometric mean down although the arithmetic mean is 0.72.
    const v = assessTranscript(words([0.99, 0.95, 0.9, 0.003]), 3);
    expect(v).toMatchObject({ reliable: false, reason: "low-confidence" });
    expect(!v.reliable && v.detail).toMatch(/confidence 0\.22\d \(geometric mean of 4 word posteriors\) is below minConfidence 0\.475$/);
    // Just above and just below the default threshold.
    expect(assessTranscript(words([0.48, 0.48, 0.48]), 3).reliable).toBe(true);
    expect(assessTranscript(words([0.47, 0.47, 0.47]), 3)).toMatchObject({ reliable: false, reason: "low-confidence" });
    expect(assessTranscript(words([0.99, 0.95, 0.9, 0.003]), 3, { minConfidence: 0.2 }).reliable).toBe(true);
  });
  it("treats no words as nothing said, and one or two words as too few (a tone heard as \"in new\")", () => {
    expect(assessTranscript([], 3)).toMatchObject({ reliable: true, figures: { words: 0, confidence: null } });
    expect(assessTranscript(words([0.99]), 3)).toMatchObject({ reliable: false, reason: "too-few-words" });
    expect(assessTranscript(words([0.99, 1]), 3)).toMatchObject({ reliable: false, reason: "too-few-words" });
    expect(assessTranscript(words([0.99, 1, 0.9]), 3).reliable).toBe(true);
    expect(assessTranscript(words([0.99, 1]), 3, { minWords: 2 }).reliable).toBe(true);
  });
  it("rejects impossible speech rates and runs of repeats even when confident", () => {
    expect(assessTranscript(words(Array(20).fill(0.9)), 2)).toMatchObject({ reliable: false, reason: "implausible-rate" });
    const repeats = ["pull", "pull", "on", "pull", "pull", "on", "pull", "pull", "pull", "on"].map((word, i) => ({ word, startS: i, endS: i + 1, posterior: 0.9 }));
    expect(assessTranscript(repeats, 10)).toMatchObject({ reliable: false, reason: "repetitive", figures: { repetition: 0.8 } });
  });
  it("judges text-only recognisers on plausibility alone, counting Han characters one by one", () => {
    expect(wordsOfText("Hello, there!").map((w) => w.word)).toEqual(["Hello", "there"]);
    const zh = wordsOfText("我从来没有想过 OK");
    expect(zh.map((w) => w.word)).toEqual(["我", "从", "来", "没", "有", "想", "过", "OK"]);
    const v = assessTranscript(zh, 2);
    expect(v).toMatchObject({ reliable: true, figures: { confidence: null, wordsPerSecond: 2.25 } });
  });
});

describe("rejected transcripts in the run summary", () => {
  it("reads the reason from the transcript record and prints the count", () => {
    const done = (output: unknown) => ({ status: "done", output }) as never;
    expect(transcriptRejectionOf({ transcript: done({ text: "", gate: { status: "rejected", reason: "low-confidence" } }) })).toBe("low-confidence");
    expect(transcriptRejectionOf({ transcript: done({ text: "hi there", gate: { status: "accepted" } }) })).toBeUndefined();
    expect(transcriptRejectionOf({})).toBeUndefined();
    const summary: RunSummary = {
      total: 3, samples: { done: 3, filtered: 0, skipped: 0, failed: 0, pending: 0 }, stages: [], notDone: [],
      labels: { pseudo: {}, final: {} }, withoutPseudo: 0, transcriptsRejected: { "low-confidence": 2, "asr-language-unsupported": 1 }, lipSync: {}, faceTools: {}, warnings: [],
    };
    expect(formatSummary(summary)).toContain("transcripts rejected: 3 (low-confidence×2, asr-language-unsupported×1); those clips have no subtitle");
  });
});
