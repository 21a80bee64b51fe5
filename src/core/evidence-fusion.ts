import { MERR_LABELS, type MerrLabel } from "./labels.ts";

/**
 * Merr's builtin reasoning (MERR step 6 without a model): each clue votes a distribution over the
 * nine labels, the votes are weighted and summed, and the result carries the clues that were used.
 * Pure: same clues -> same result. The transcript is data: it can only vote through emotion words,
 * and a transcript that reads like instructions to a model casts no vote at all.
 */

export type LabelScores = Record<MerrLabel, number>;

/** Probabilities of the face analyzer's seven expression classes (builtin analyzer sidecar). */
export type ExpressionProbs = Partial<Record<"angry" | "disgust" | "fear" | "happy" | "neutral" | "sad" | "surprise", number>>;

export interface FusionClues {
  /** au-analyze's pseudo-label (MERR step 1), the AU phrases that fired it and those AUs (same order). */
  au?: { label: MerrLabel; phrases: string[]; aus?: string[] };
  /** Mean expression probabilities over the clip (or at the peak). */
  expression?: ExpressionProbs;
  /**
   * audio-tone: arousal in [0, 1] (how energetic the voice is) and its caption fragment. `byModel`: an
   * audio model wrote the fragment, and the emotion words in it ({@link toneWordVotes}) are the tone's vote
   * (the arousal when it names none); merr's own wording says only how lively the voice is.
   */
  tone?: { arousal?: number; fragment?: string; byModel?: boolean };
  /** The subtitle. */
  transcript?: string;
  /**
   * The person's lips did not move with the voice (audio-tone's lip check): neither the voice's tone
   * nor its words are taken for theirs, so neither casts a vote (`transcriptIgnored`: `lips-still`).
   */
  lipsStill?: boolean;
}

export type ClueName = "au" | "expression" | "tone" | "transcript";

export interface ClueVote {
  clue: ClueName;
  weight: number;
  scores: LabelScores;
  /** The label this clue alone favours and its share. */
  top: MerrLabel;
  topShare: number;
}

export interface FusionResult {
  label: MerrLabel;
  /** Share of the winning label in the fused scores (0..1). */
  confidence: number;
  scores: LabelScores;
  votes: ClueVote[];
  /** Set when the transcript was not used, with why. */
  transcriptIgnored?: "instruction-like" | "no-emotion-words" | "empty" | "lips-still";
  /** Two confident clues favouring labels of opposite valence. */
  contradiction?: { clues: [ClueName, ClueName]; labels: [MerrLabel, MerrLabel] };
}

export const FUSION_WEIGHTS: Readonly<Record<ClueName, number>> = { au: 0.35, expression: 0.35, tone: 0.15, transcript: 0.15 };

const zero = (): LabelScores => Object.fromEntries(MERR_LABELS.map((l) => [l, 0])) as LabelScores;

function normalise(scores: LabelScores): LabelScores {
  const total = MERR_LABELS.reduce((s, l) => s + scores[l], 0);
  if (total <= 0) return scores;
  return Object.fromEntries(MERR_LABELS.map((l) => [l, scores[l] / total])) as LabelScores;
}

function topOf(scores: LabelScores): { top: MerrLabel; topShare: number } {
  let top: MerrLabel = "neutral";
  for (const l of MERR_LABELS) if (scores[l] > scores[top]) top = l;
  return { top, topShare: scores[top] };
}

/** Human's classes onto MERR labels; disgust (dropped from MERR) is split between angry and contempt. */
export function expressionToLabels(probs: ExpressionProbs): LabelScores {
  const s = zero();
  s.angry += (probs.angry ?? 0) + (probs.disgust ?? 0) / 2;
  s.contempt += (probs.disgust ?? 0) / 2;
  s.fear += probs.fear ?? 0;
  s.happy += probs.happy ?? 0;
  s.neutral += probs.neutral ?? 0;
  s.sad += probs.sad ?? 0;
  s.surprise += probs.surprise ?? 0;
  return normalise(s);
}

/** A lively voice supports the high-arousal labels, a flat one the low-arousal labels. */
export function arousalToLabels(arousal: number): LabelScores {
  const a = Math.max(0, Math.min(1, arousal));
  const s = zero();
  for (const l of ["angry", "happy", "surprise", "fear"] as const) s[l] = a / 4;
  for (const l of ["sad", "neutral", "worried", "doubt"] as const) s[l] = (1 - a) / 4;
  return s;
}

const INSTRUCTION_LIKE =
  /\b(?:ignore|disregard|forget)\b[^.]{0,40}\b(?:instructions?|prompts?|above|previous|rules)\b|\b(?:answer|respond|reply|output|say|label)\s+(?:with|as|only|is|:)|\bsystem prompt\b|\byou are (?:an?|the) (?:ai|assistant|model|expert)\b|\b(?:assistant|system)\s*:/i;

/** True when a transcript reads like instructions to a model rather than speech about the speaker. */
export function looksLikeInstructions(text: string): boolean {
  return INSTRUCTION_LIKE.test(text);
}

/** Emotion words of speech, by label (first-person feelings and their usual expressions). */
const WORDS: Readonly<Record<MerrLabel, readonly string[]>> = {
  neutral: [],
  angry: ["angry", "furious", "hate", "mad", "annoyed", "damn", "stupid", "shut up", "outrageous", "sick of"],
  happy: ["happy", "glad", "great", "wonderful", "love", "awesome", "fantastic", "yay", "delighted", "excited", "haha"],
  sad: ["sad", "sorry", "miss", "cry", "crying", "lonely", "hurts", "unhappy", "depressed", "lost"],
  worried: ["worried", "nervous", "anxious", "what if", "hope it's", "concerned"],
  surprise: ["wow", "oh my", "really?", "no way", "unbelievable", "what?", "surprised"],
  fear: ["afraid", "scared", "terrified", "frightened", "help me", "please don't"],
  contempt: ["pathetic", "whatever", "ridiculous", "disgusting", "gross"],
  doubt: ["maybe", "not sure", "i doubt", "doubt", "i guess", "perhaps", "i don't know"],
};

/**
 * A negation up to two words before a word ("not happy", "doesn't sound angry", "never so glad"). It does not
 * reach past punctuation or "but" / "yet" ("not loud, sad", "not angry but sad" keep "sad").
 */
const NEGATION = /(?:\b(?:not|no|never|nothing|without|hardly)|n['’]t)\s+(?:(?!(?:but|yet)\b)[\w'’]+\s+){0,2}$/i;

/**
 * Words that are also a title: capitalised before a capitalised name ("Miss Li") they are not the emotion
 * word ("I miss Li" still is). Translated drama subtitles address people so often.
 */
const TITLES = new Set(["miss"]);

/**
 * "I'm afraid" as an idiom, not the emotion: before a clause, "so" or "not" it is mostly polite regret or
 * apprehension about what follows ("I'm afraid it's unlikely", "I'm afraid not"), and in the subtitles of
 * the real MERR fine set none of the clips it opened was a fear clip (bench:words). "afraid of", "afraid
 * to", "afraid for", a sentence-final "I'm afraid" and "afraid" after anyone else ("she's afraid he'll find
 * her") stay fear. "I'm afraid he will kill me" is skipped too: the price of the rule (fear is 1-2 % of the
 * clips there, and the subtitle's weight in the fusion is 0.15).
 */
const IDIOM = { before: /\bI(?:'|’)?m\s+(?:just\s+)?$|\bI am\s+(?:just\s+)?$/i, after: /^,?\s+(?:so|not|i|you|he|she|it|we|they|this|there|everyone|everybody|nobody|someone|somebody|the|a|an|your|my|his|her|our|their|[a-z]+'[a-z]+)\b/i };

/** Emotion words in the subtitle (negated ones, titles and idioms skipped), as label counts. */
export function transcriptWordVotes(text: string): { scores: LabelScores; matches: string[] } {
  const padded = ` ${text.replace(/[“”"]/g, " ")} `;
  const scores = zero();
  const matches: string[] = [];
  for (const label of MERR_LABELS) {
    for (const word of WORDS[label]) {
      const re = new RegExp(`(?<![a-z'])${word.replace(/[?*+.()[\]]/g, "\\$&")}(?![a-z'])`, "gi");
      for (const m of padded.matchAll(re)) {
        if (NEGATION.test(padded.slice(Math.max(0, m.index - 30), m.index))) continue;
        if (TITLES.has(word) && /^[A-Z]/.test(m[0]) && /^\s+[A-Z]/.test(padded.slice(m.index + m[0].length))) continue;
        if (word === "afraid" && IDIOM.before.test(padded.slice(0, m.index)) && IDIOM.after.test(padded.slice(m.index + m[0].length))) continue;
        scores[label] += 1;
        matches.push(word);
      }
    }
  }
  return { scores: normalise(scores), matches };
}

/** The negative labels: a tone word that says only "negative" spreads its vote over them. */
const NEGATIVE: readonly MerrLabel[] = ["angry", "sad", "worried", "fear", "contempt", "doubt"];

/**
 * Emotion words of a tone description an audio model wrote ("and her tone sounds cheerful.", "speaks with a
 * fearful emotion."): the labels each supports (`votes`) and, when it is a word for one label's emotion, that
 * label (`names`, for the caption: a sad clip is not explained by "a fearful tone"). Two choices were made on
 * the dev half of the Qwen-Audio descriptions (`audio_prior_list`) of the real MERR fine set (bench:fine;
 * docs/models.md, "Tone words"): "fearful" is the audio model's word for any negative voice (of 51 dev clips,
 * 25 are sad, 16 angry, 7 worried and 3 fear), so it votes for every negative label, as "negative" does;
 * and "normal", "natural" and "neutral" voices vote neutral (103 of the 213 dev clips with such a voice are
 * neutral; 29 % of all dev clips are). The other words are the plain synonyms of each label, most of which that data never
 * uses. Words for how the voice sounds (loud, fast, trembling, strong) are arousal, which the prosody
 * measures: they cast no vote here.
 */
const TONE_WORDS: ReadonlyArray<{ words: readonly string[]; votes: readonly MerrLabel[]; names?: MerrLabel }> = [
  { words: ["normal", "natural", "neutral", "calm", "calmly", "composed", "unemotional"], votes: ["neutral"], names: "neutral" },
  { words: ["angry", "angrily", "annoyed", "irritated", "furious", "impatient", "flaming", "hostile", "indignant", "aggressive"], votes: ["angry"], names: "angry" },
  { words: ["cheerful", "cheerfully", "happy", "happily", "joyful", "joyous", "delighted", "pleased", "glad", "laughing", "playful"], votes: ["happy"], names: "happy" },
  { words: ["positive", "excited", "enthusiastic"], votes: ["happy", "surprise"] },
  {
    words: ["sad", "sadly", "unhappy", "distraught", "sorrowful", "mournful", "melancholy", "crying", "sobbing", "tearful", "dejected", "depressed", "heartbroken", "gloomy"],
    votes: ["sad"],
    names: "sad",
  },
  { words: ["worried", "anxious", "anxiously", "nervous", "nervously", "uneasy", "concerned"], votes: ["worried"], names: "worried" },
  { words: ["scared", "afraid", "frightened", "terrified", "panicked", "panicky"], votes: ["fear"], names: "fear" },
  { words: ["startled", "astounded", "astonished", "surprised", "amazed", "shocked"], votes: ["surprise"], names: "surprise" },
  { words: ["sarcastic", "sarcastically", "mocking", "scornful", "disdainful", "contemptuous", "sneering", "dismissive"], votes: ["contempt"], names: "contempt" },
  { words: ["doubtful", "skeptical", "sceptical", "puzzled", "confused", "incredulous"], votes: ["doubt"], names: "doubt" },
  { words: ["fearful", "fearfully"], votes: NEGATIVE, names: "fear" },
  { words: ["frustrated"], votes: NEGATIVE, names: "angry" },
  { words: ["negative", "bitter", "upset", "distressed", "displeased", "dissatisfied"], votes: NEGATIVE },
];

const TONE_WORD_ENTRY = new Map(TONE_WORDS.flatMap((entry) => entry.words.map((w) => [w, entry] as const)));

/** Nouns of a sound measure: "at a normal pitch", "a natural pace" say nothing of emotion. */
const SOUND_MEASURES = new Set(["pitch", "pace", "speed", "rate", "volume", "loudness", "level", "rhythm", "tempo", "speaking"]);

/**
 * The emotion words of an audio model's tone description ({@link TONE_WORDS}; a negated one, as in "does
 * not sound angry", is skipped, and so is "normal" or "natural" before a sound measure, as in "at a normal
 * pitch"), as label shares: each word's share is split evenly over the labels it votes for. `names`: the
 * labels its words name. No match: undefined.
 */
export function toneWordVotes(fragment: string): { scores: LabelScores; matches: string[]; names: MerrLabel[] } | undefined {
  const scores = zero();
  const matches: string[] = [];
  const names = new Set<MerrLabel>();
  const words = [...fragment.toLowerCase().matchAll(/[a-z]+/g)];
  for (const [i, m] of words.entries()) {
    const entry = TONE_WORD_ENTRY.get(m[0]);
    if (!entry || NEGATION.test(fragment.slice(Math.max(0, m.index - 30), m.index))) continue;
    if ((m[0] === "normal" || m[0] === "natural") && SOUND_MEASURES.has(words[i + 1]?.[0] ?? "")) continue;
    for (const l of entry.votes) scores[l] += 1 / entry.votes.length;
    if (entry.names) names.add(entry.names);
    matches.push(m[0]);
  }
  return matches.length ? { scores: normalise(scores), matches, names: [...names] } : undefined;
}

const VALENCE: Readonly<Record<MerrLabel, -1 | 0 | 1 | null>> = {
  neutral: 0, happy: 1, surprise: null, angry: -1, sad: -1, worried: -1, fear: -1, contempt: -1, doubt: -1,
};

/** True when `a` and `b` lie on opposite sides of valence (surprise and neutral oppose nothing). */
export function oppositeValence(a: MerrLabel, b: MerrLabel): boolean {
  const va = VALENCE[a];
  const vb = VALENCE[b];
  return va !== null && vb !== null && va !== 0 && vb !== 0 && va !== vb;
}

export interface FusionOptions {
  weights?: Partial<Record<ClueName, number>>;
  /** A clue counts as confident from this share of its own votes. @defaultValue 0.5 */
  confidentShare?: number;
}

export function fuseEvidence(clues: FusionClues, options: FusionOptions = {}): FusionResult {
  const weights = { ...FUSION_WEIGHTS, ...options.weights };
  const confidentShare = options.confidentShare ?? 0.5;
  const votes: ClueVote[] = [];
  const add = (clue: ClueName, scores: LabelScores): void => {
    votes.push({ clue, weight: weights[clue], scores, ...topOf(scores) });
  };
  if (clues.au) {
    const s = zero();
    s[clues.au.label] = 1;
    add("au", s);
  }
  if (clues.expression && Object.values(clues.expression).some((p) => (p ?? 0) > 0)) add("expression", expressionToLabels(clues.expression));
  const toneWords = clues.tone?.byModel && clues.tone.fragment ? toneWordVotes(clues.tone.fragment) : undefined;
  if (clues.lipsStill) {
    // neither the voice's tone nor its words are the person's
  } else if (toneWords) add("tone", toneWords.scores);
  else if (clues.tone?.arousal !== undefined && Number.isFinite(clues.tone.arousal)) add("tone", arousalToLabels(clues.tone.arousal));
  let transcriptIgnored: FusionResult["transcriptIgnored"];
  const text = clues.transcript?.trim() ?? "";
  if (text === "") transcriptIgnored = "empty";
  else if (clues.lipsStill) transcriptIgnored = "lips-still";
  else if (looksLikeInstructions(text)) transcriptIgnored = "instruction-like";
  else {
    const { scores, matches } = transcriptWordVotes(text);
    if (matches.length) add("transcript", scores);
    else transcriptIgnored = "no-emotion-words";
  }
  const fused = zero();
  for (const v of votes) for (const l of MERR_LABELS) fused[l] += v.weight * v.scores[l];
  const scores = normalise(fused);
  const { top, topShare } = votes.length ? topOf(scores) : { top: "neutral" as MerrLabel, topShare: 0 };
  const confident = votes.filter((v) => (v.clue === "au" || v.clue === "expression") && v.topShare >= confidentShare);
  let contradiction: FusionResult["contradiction"];
  for (let i = 0; i < confident.length && !contradiction; i++) {
    for (let j = i + 1; j < confident.length; j++) {
      const a = confident[i]!;
      const b = confident[j]!;
      if (oppositeValence(a.top, b.top)) {
        contradiction = { clues: [a.clue, b.clue], labels: [a.top, b.top] };
        break;
      }
    }
  }
  return {
    label: top,
    confidence: Math.round(topShare * 1000) / 1000,
    scores,
    votes,
    ...(transcriptIgnored ? { transcriptIgnored } : {}),
    ...(contradiction ? { contradiction } : {}),
  };
}
