import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  checkToneAnswer,
  describeTone,
  isEnglishCode,
  parseAsrSpec,
  parsePocketsphinxOutput,
  parseToneSpec,
  parseToneWording,
  type ProsodyFeatures,
} from "../../src/adapters/audio/index.ts";
import { MerrError } from "../../src/core/errors.ts";
import { projectPath } from "../../src/core/paths.ts";

const realText = await readFile(projectPath("data/tone/wording.yaml"), "utf8");
const wording = parseToneWording(realText);

const base: ProsodyFeatures = {
  durationS: 3, speechS: 2.5, phonationS: 2.5, voicedRatio: 0.7,
  f0MedianHz: 150, f0P5Hz: 120, f0P95Hz: 180, f0SdSemitones: 2, f0RangeSemitones: 6,
  loudnessDbfs: -30, loudnessP95Dbfs: -20, loudnessSdDb: 8,
  pauseCount: 0, pauseRatio: 0, meanPauseS: 0,
  syllables: 12, syllableSource: "transcript", syllablesAcoustic: 12, speechRateSylPerS: 4.8, articulationRateSylPerS: 4.8,
  jitterPct: 1, shimmerPct: 8, hnrDb: 12, spectralCentroidHz: 1200,
};

function thrown(fn: () => unknown): MerrError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MerrError);
    return error as MerrError;
  }
  throw new Error("expected a MerrError");
}

describe("tone wording file", () => {
  it("cites the file and the line of a schema error", () => {
    const broken = realText.replace("      - { below: -35, word: quiet }", "      - { below: -50, word: quiet }");
    const e = thrown(() => parseToneWording(broken, "data/tone/wording.yaml"));
    expect(e.code).toBe("E_DATA_INVALID");
    const line = broken.split("\n").findIndex((l) => l.includes("below: -50")) + 1;
    expect(e.message).toContain(`data/tone/wording.yaml:${line}: descriptors.0.bands.1.below: bands must ascend`);
  });
  it("rejects unknown feature names and keys, and YAML syntax errors, with lines", () => {
    const e1 = thrown(() => parseToneWording(realText.replace("feature: f0MedianHz", "feature: f0MeadianHz"), "w.yaml"));
    expect(e1.message).toMatch(/w\.yaml:\d+: descriptors\.1\.feature/);
    const e2 = thrown(() => parseToneWording(realText.replace("  noun: voice", "  noun: voice\n  nuon: x"), "w.yaml"));
    expect(e2.message).toMatch(/w\.yaml:\d+: sentence: Unrecognized key.*nuon/);
    const e3 = thrown(() => parseToneWording("version: 1\nsentence: [unclosed\n", "w.yaml"));
    expect(e3.message).toMatch(/w\.yaml:\d+:/);
    const e4 = thrown(() => parseToneWording(realText.replace("    count: pauseCount # one pause is \"a pause\", not \"pauses\"\n", ""), "w.yaml"));
    expect(e4.message).toMatch(/w\.yaml:\d+: descriptors\.\d+\.bands: a band's one needs the descriptor's count/);
  });
});

describe("describeTone", () => {
  it("says the neutral sentence when nothing stands out", () => {
    expect(describeTone(base, wording).description).toBe("speaks in an even, moderate voice.");
  });
  it("joins adjectives and with-phrases MERR style", () => {
    const d = describeTone({ ...base, loudnessDbfs: -18, f0MedianHz: 290, articulationRateSylPerS: 7, f0SdSemitones: 3.5 }, wording);
    expect(d.description).toBe("speaks in a loud, high-pitched and fast voice with lively intonation.");
    expect(d.words.map((w) => w.id)).toEqual(["loudness", "pitch", "rate", "intonation"]);
  });
  it("says nothing of pitch inside the typical adult ranges of either sex, which it cannot tell apart", () => {
    const pitch = (hz: number) => describeTone({ ...base, f0MedianHz: hz }, wording).words.find((w) => w.id === "pitch")?.word;
    // A typical man's (85-155 Hz) and a typical woman's (165-255 Hz) voice: no word that names their sex.
    for (const hz of [95, 120, 150, 180, 210, 250]) expect(pitch(hz), `${hz} Hz`).toBeUndefined();
    expect(pitch(80)).toBe("low-pitched");
    expect(pitch(300)).toBe("high-pitched");
    expect(pitch(400)).toBe("very high-pitched");
  });
  it("uses 'an' before a vowel and the plain lead without adjectives", () => {
    expect(describeTone({ ...base, articulationRateSylPerS: 3.5 }, wording).description).toBe("speaks in an unhurried voice.");
    expect(describeTone({ ...base, pauseRatio: 0.3, pauseCount: 3 }, wording).description).toBe("speaks with long pauses.");
  });
  it("says one pause in the singular", () => {
    expect(describeTone({ ...base, pauseRatio: 0.3, pauseCount: 1 }, wording).description).toBe("speaks with a long pause.");
    expect(describeTone({ ...base, pauseRatio: 0.15, pauseCount: 1 }, wording).description).toBe("speaks with a pause.");
    expect(describeTone({ ...base, pauseRatio: 0.15, pauseCount: 2 }, wording).description).toBe("speaks with some pauses.");
  });
  it("fires rule descriptors only when every condition holds", () => {
    expect(describeTone({ ...base, spectralCentroidHz: 1800, loudnessDbfs: -26 }, wording).description).toMatch(/a tense tone/);
    expect(describeTone({ ...base, spectralCentroidHz: 1800, loudnessDbfs: -31 }, wording).description).not.toMatch(/tense/);
  });
  it("says nothing about what was not measured", () => {
    const d = describeTone({ ...base, f0MedianHz: null, f0SdSemitones: null, hnrDb: null, jitterPct: null, loudnessDbfs: -40 }, wording);
    expect(d.description).toBe("speaks in a quiet voice.");
  });
  it("keeps arousal in [-1, 1] and ordered by loudness", () => {
    const quiet = describeTone({ ...base, loudnessDbfs: -60 }, wording).arousal;
    const loud = describeTone({ ...base, loudnessDbfs: 0, f0SdSemitones: 20, articulationRateSylPerS: 20, spectralCentroidHz: 9000, loudnessSdDb: 30 }, wording).arousal;
    expect(quiet).toBeLessThan(loud);
    expect(loud).toBe(1);
    expect(quiet).toBeGreaterThanOrEqual(-1);
  });
});

describe("tone answers of audio models", () => {
  const limits = { maxChars: 120, source: "openai:qwen2-audio" };
  it("shapes a fragment: no quotes or label, a full stop", () => {
    expect(checkToneAnswer('Answer: "speaks with an excited, rising voice"', limits)).toBe("speaks with an excited, rising voice.");
  });
  it("rejects empty, wordless, over-long, refusal and non-English answers as E_MODEL_OUTPUT_INVALID", () => {
    for (const bad of ["  ", "x".repeat(121), "I'm sorry, but I cannot analyze the audio.", ".", "...", "用响亮而紧张的声音说话。"]) {
      const e = thrown(() => checkToneAnswer(bad, limits));
      expect(e.code).toBe("E_MODEL_OUTPUT_INVALID");
      expect(e.retryable).toBe(true);
    }
    expect(thrown(() => checkToneAnswer("用响亮而紧张的声音说话。", limits)).message).toMatch(/the tone description is not in English \(11 of its 11 letters are not in the Latin script\)/);
  });
});

describe("specs and tool output", () => {
  it("parses ASR and tone backend specs", () => {
    expect(parseAsrSpec("none")).toEqual({ kind: "none" });
    expect(parseAsrSpec("pocketsphinx")).toEqual({ kind: "pocketsphinx" });
    expect(parseAsrSpec("openai:whisper-1")).toMatchObject({ kind: "model", model: { backend: "openai", model: "whisper-1" } });
    expect(parseToneSpec("gemini:gemini-1.5-flash")).toMatchObject({ kind: "model", model: { backend: "gemini" } });
    expect(thrown(() => parseAsrSpec("whisper")).code).toBe("E_CONFIG_INVALID");
    expect(thrown(() => parseToneSpec("ollama:llava")).message).toMatch(/ollama cannot take audio/);
  });
  it("tells English language codes, as pocketsphinx and the syllable dictionary need them", () => {
    for (const code of ["en", "EN", "en-US", "en_GB"]) expect(isEnglishCode(code), code).toBe(true);
    for (const code of ["zh", "eng", "de", ""]) expect(isEnglishCode(code), code).toBe(false);
  });
  it("reads pocketsphinx hypotheses and drops fillers", () => {
    expect(parsePocketsphinxOutput("don't forget a jacket\n\n<sil> [NOISE] hello(2)\n")).toBe("don't forget a jacket hello");
    expect(parsePocketsphinxOutput("")).toBe("");
  });
});
