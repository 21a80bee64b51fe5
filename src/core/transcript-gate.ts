/**
 * The transcript gate: decides whether a recognised transcript is reliable enough to become a subtitle.
 * A wrong subtitle is worse than none (the trainer learns from it as if it were true), so recognised
 * text that fails the gate is kept in the stage record for inspection but never reaches the dataset.
 * Pure.
 *
 * Where the defaults come from (docs/audio.md, `npm run bench:asr-guard`): pocketsphinx's en-us model,
 * decoding from each clip's own cepstral mean (adapters/audio/pocketsphinx.ts), on synthesised English
 * (flite's kal16, slt, awb, rms and kal voices, espeak-ng's English voices), the same synthesisers
 * speaking other languages, noise, tones and silence. Chosen on the tuning half only (four of eight
 * English sentences; Mandarin, German, Spanish, French; five non-speech signals); the other half is
 * held out for the benchmark. The geometric mean of the word posteriors separated usable recognitions
 * (word error rate <= 0.3) from the rest better than the arithmetic mean, the median or the share of
 * confident words. The rule: accept as much English as possible while accepting no recognition with a
 * word error rate over 0.5 and rejecting at least 95 % of the rest. Thresholds from 0.35 up accept no
 * such garbage (the most confident, an espeak-ng en-029 recognition with word error rate 0.92, has
 * 0.331); 0.35-0.40 accept 32-30 of 56 English recognitions, 0.425-0.475 all give the same 28 (24 of
 * 30 usable). 0.475, the top of that plateau, is kept as the margin: at 0.4 a Mandarin clip of the
 * project's tests cut to 2 s came out as "all three three" at confidence 0.455 and passed.
 * minWords 3: the one non-speech input that passed was a 200-2000 Hz sweep heard as "in new" at
 * confidence 0.997, and no English recognition there had fewer than three words, so the benchmark does
 * not measure what 3 costs: two-word utterances ("thank you") get no subtitle. A phone-loop likelihood
 * ratio (the word decode's score against a free phone decode's, per frame) was measured too: it
 * separated flite's English from espeak-ng's English and other languages alike, so it tells how well
 * the recogniser fits the voice, not the language, and was not used. The plausibility limits (words
 * per second, repetition) were not fitted: they are speech-rate and sanity bounds.
 */

export interface GateWord {
  word: string;
  startS: number;
  endS: number;
  /** Recogniser confidence 0..1, when it reports one. */
  posterior?: number;
  /** One Han or kana character of a text without spaces: counts as half a word for the speech rate. */
  character?: boolean;
}

export interface GateOptions {
  /** Fewest words for a transcript (one or two words are too often a noise or a tone heard as words). @defaultValue 3 */
  minWords?: number;
  /** Lowest geometric mean of the word posteriors. @defaultValue 0.475 */
  minConfidence?: number;
  /** Most words per second of the clip (fast speech is 4-5). @defaultValue 6 */
  maxWordsPerSecond?: number;
  /** Highest share of repeated words (1 - distinct / all), over at least 8 words. @defaultValue 0.6 */
  maxRepetition?: number;
}

export const GATE_DEFAULTS: Required<GateOptions> = { minWords: 3, minConfidence: 0.475, maxWordsPerSecond: 6, maxRepetition: 0.6 };

/** Why a transcript was not used. */
export type GateReason = "low-confidence" | "too-few-words" | "implausible-rate" | "repetitive";

export interface GateFigures {
  words: number;
  /** Geometric mean of the word posteriors; null when the recogniser reports none. */
  confidence: number | null;
  /** Share of words with a posterior under 0.3; null without posteriors. */
  lowConfidenceShare: number | null;
  wordsPerSecond: number;
  repetition: number;
}

export type GateVerdict = { reliable: true; figures: GateFigures } | { reliable: false; reason: GateReason; detail: string; figures: GateFigures };

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** The figures the gate judges. Pure. */
export function transcriptFigures(words: readonly GateWord[], durationS: number): GateFigures {
  const posteriors = words.flatMap((w) => (w.posterior === undefined ? [] : [Math.min(1, Math.max(1e-4, w.posterior))]));
  const withPosteriors = words.length > 0 && posteriors.length === words.length;
  const distinct = new Set(words.map((w) => w.word.toLowerCase())).size;
  return {
    words: words.length,
    confidence: withPosteriors ? round3(Math.exp(posteriors.reduce((s, p) => s + Math.log(p), 0) / posteriors.length)) : null,
    lowConfidenceShare: withPosteriors ? round3(posteriors.filter((p) => p < 0.3).length / posteriors.length) : null,
    // Chinese and Japanese words average about two characters.
    wordsPerSecond: round3(words.reduce((n, w) => n + (w.character ? 0.5 : 1), 0) / Math.max(0.5, durationS)),
    repetition: words.length ? round3(1 - distinct / words.length) : 0,
  };
}

/**
 * Judges recognised words (an empty list is "nothing was said": reliable, with an empty text). Without
 * posteriors (remote recognisers that report none) only the plausibility checks apply. Pure.
 */
export function assessTranscript(words: readonly GateWord[], durationS: number, options: GateOptions = {}): GateVerdict {
  const o = { ...GATE_DEFAULTS, ...options };
  const figures = transcriptFigures(words, durationS);
  if (words.length === 0) return { reliable: true, figures };
  if (words.length < o.minWords) {
    return { reliable: false, reason: "too-few-words", detail: `${words.length} word(s), fewer than minWords ${o.minWords}`, figures };
  }
  if (figures.confidence !== null && figures.confidence < o.minConfidence) {
    return { reliable: false, reason: "low-confidence", detail: `recogniser confidence ${figures.confidence} (geometric mean of ${words.length} word posteriors) is below minConfidence ${o.minConfidence}`, figures };
  }
  if (figures.wordsPerSecond > o.maxWordsPerSecond) {
    return { reliable: false, reason: "implausible-rate", detail: `${figures.wordsPerSecond} words per second, more than maxWordsPerSecond ${o.maxWordsPerSecond}`, figures };
  }
  if (words.length >= 8 && figures.repetition > o.maxRepetition) {
    return { reliable: false, reason: "repetitive", detail: `${Math.round(figures.repetition * 100)}% of the words are repeats, more than maxRepetition ${o.maxRepetition}`, figures };
  }
  return { reliable: true, figures };
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/**
 * Words of a plain text, for recognisers that return only text (no times, no posteriors). Han and kana
 * characters, written without spaces, count one by one. Pure.
 */
export function wordsOfText(text: string): GateWord[] {
  const words: GateWord[] = [];
  for (const token of text.split(/\s+/)) {
    let latin = "";
    const flush = (): void => {
      const w = latin.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, "");
      if (w) words.push({ word: w, startS: 0, endS: 0 });
      latin = "";
    };
    for (const ch of token) {
      if (CJK.test(ch)) {
        flush();
        words.push({ word: ch, startS: 0, endS: 0, character: true });
      } else latin += ch;
    }
    flush();
  }
  return words;
}
