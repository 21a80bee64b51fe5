import type { LabelAus } from "./au-analysis.ts";
import { looksLikeRefusal } from "./refusal.ts";
import { oppositeValence, toneWordVotes, transcriptWordVotes, type ClueName, type FusionClues, type FusionResult, type LabelScores } from "./evidence-fusion.ts";
import { MERR_LABELS, type MerrLabel } from "./labels.ts";
import { lowerFirst, phraseForText } from "./text.ts";

/**
 * The MERR fine-grained caption (`smp_reason_caption`): built from fused clues (builtin) and checked
 * (every backend) so that it names exactly one label of the set and is no refusal. Pure.
 */

/**
 * Words that name a label's emotion in a caption: the label's own forms first ("surprised" names surprise),
 * then near-synonyms that LLM captions use for it ("frustration" for angry, "anxiety" for worried). The
 * synonyms are the unambiguous ones seen in real MERR fine-grained captions (docs/models.md, "Caption
 * check"). Words that can stand for several labels are {@link WEAK_FORMS}; "tension", "negative", "content"
 * and "excited" name no label.
 */
const FORMS: Readonly<Record<MerrLabel, readonly string[]>> = {
  neutral: ["neutral", "neutrality", "calm", "calmness", "calmly", "composed", "composure", "unemotional", "emotionless", "impassive", "unperturbed"],
  angry: ["angry", "anger", "angrily", "angered", "furiously", "frustration", "frustrated", "annoyance", "annoyed", "irritation", "irritated", "rage", "furious", "fury", "indignation", "indignant", "hostility", "hostile", "outrage", "outraged", "resentment", "resentful"],
  happy: ["happy", "happiness", "happily", "joy", "joyful", "joyfully", "joyous", "delight", "delighted", "cheerful", "cheerfully", "cheerfulness", "pleased", "contented", "contentment", "glad", "elated", "amusement", "amused", "enjoyment"],
  sad: ["sad", "sadness", "sadly", "sorrow", "sorrowful", "sorrowfully", "grief", "grieving", "melancholy", "melancholic", "despair", "despondent", "dejected", "dejection", "heartbroken", "unhappy", "unhappiness", "somber", "sombre"],
  worried: ["worried", "worry", "worries", "worrying", "anxiety", "anxious", "anxiously", "concern", "concerned", "unease", "uneasy", "apprehension", "apprehensive", "nervous", "nervously", "nervousness"],
  surprise: ["surprise", "surprised", "astonishment", "astonished", "shock", "shocked", "amazement", "amazed", "startled"],
  fear: ["fear", "fearful", "fearfully", "afraid", "scared", "frightened", "terror", "terrified", "horror", "horrified", "panic", "dread"],
  contempt: ["contempt", "contemptuous", "contemptuously", "disdain", "disdainful", "disdainfully", "scorn", "scornful", "sneer", "sneering", "mockery", "mocking", "derision"],
  doubt: ["doubt", "doubtful", "doubts", "skeptical", "sceptical", "skepticism", "scepticism", "puzzled", "puzzlement", "suspicious", "suspicion", "disbelief", "incredulous", "incredulity"],
};

/** A word of each label's {@link FORMS} other than its own, for messages. */
const NAMING_EXAMPLE: Readonly<Record<MerrLabel, string>> = {
  neutral: "calm", angry: "frustration", happy: "joy", sad: "sorrow", worried: "anxiety",
  surprise: "astonishment", fear: "afraid", contempt: "disdain", doubt: "skeptical",
};

/**
 * Words that can stand for one of several labels ("disappointment": sad or angry). They name each of
 * their labels for the caption check, and are never another label's reading. Seen in real MERR captions
 * that name no word of {@link FORMS} (docs/models.md, "Caption check").
 */
const WEAK_FORMS: Readonly<Record<string, readonly MerrLabel[]>> = {
  disappointment: ["sad", "angry"], disappointed: ["sad", "angry"],
  dissatisfaction: ["angry", "sad"], dissatisfied: ["angry", "sad"], displeasure: ["angry", "sad"], discontent: ["angry", "sad"],
  distress: ["sad", "fear", "worried"], distressed: ["sad", "fear", "worried"],
  desperation: ["sad", "fear", "worried"], desperate: ["sad", "fear", "worried"],
  agitation: ["angry", "worried"], agitated: ["angry", "worried"],
  regret: ["sad"], regretful: ["sad"], resignation: ["sad"], resigned: ["sad"], loneliness: ["sad"], lonely: ["sad"],
  upset: ["sad", "angry"], confused: ["doubt"], confusion: ["doubt"], uncertain: ["doubt", "worried"], uncertainty: ["doubt", "worried"], unsure: ["doubt", "worried"],
  relaxed: ["neutral", "happy"], positivity: ["happy"], enjoying: ["happy"],
};

/** The adjective merr writes for a label ("feels surprised"). */
export const LABEL_ADJECTIVE: Readonly<Record<MerrLabel, string>> = {
  neutral: "neutral", angry: "angry", happy: "happy", sad: "sad", worried: "worried",
  surprise: "surprised", fear: "afraid", contempt: "contemptuous", doubt: "doubtful",
};

/** The noun for a label ("none of the facial actions typical of sadness"). */
export const LABEL_NOUN: Readonly<Record<MerrLabel, string>> = {
  neutral: "a neutral state", angry: "anger", happy: "happiness", sad: "sadness", worried: "worry",
  surprise: "surprise", fear: "fear", contempt: "contempt", doubt: "doubt",
};

const FORM_TO_LABEL = new Map<string, MerrLabel>(MERR_LABELS.flatMap((l) => FORMS[l].map((f) => [f, l] as [string, MerrLabel])));
const NEGATORS = new Set(["not", "no", "never", "nor", "neither", "without", "than", "hardly", "nothing", "lack", "lacks", "lacking"]);
/** Words that end a negation's reach ("not angry but worried", "does not cry; instead he looks angry"). */
const SCOPE_BREAKERS = new Set(["but", "yet", "though", "although", "however", "while", "whereas", "instead"]);
/** Verbs after which a negation shows the feeling ("could not hide his anger", "can't help but feel sad"). */
const REVEALING = new Set(["hide", "conceal", "contain", "mask", "suppress", "disguise", "help", "only"]);
/** "no sign of", "nothing about ... suggests", "lacks any hint of": an absence that reaches further. */
const ABSENCE = /\b(?:no|nothing|without|lacks?|lacking|any)\s+(?:sign|signs|trace|traces|hint|hints|evidence|indication|suggestion|about)\b/;
/** Nouns of a clue: a label word right before one ("a fearful tone", "her neutral expression") describes that clue. */
const CLUE_NOUNS = new Set(["tone", "tones", "voice", "intonation", "expression", "expressions", "face", "look", "smile", "gaze", "eyes", "manner", "demeanor", "demeanour"]);
/** Words that start a new phrase: "happy, his face beaming" is no "happy face". */
const PHRASE_STARTS = new Set(["his", "her", "their", "its", "the", "a", "an", "my", "your", "our", "he", "she", "they", "with", "and", "or"]);
/** Words that state what a cue typically means ("often associated with surprise", "initially suggest fear"). */
const TYPICAL = new Set(["associated", "typically", "typical", "often", "usually", "commonly", "generally", "sometimes", "initially"]);
/** Verbs after "can" or "could" that make a reading tentative ("can indicate anger", "could be a sign of frustration"). */
const TENTATIVE_VERBS = new Set(["indicate", "suggest", "signal", "signify", "mean", "reflect", "imply", "point", "be", "also", "hint"]);
/** Words that continue a list ("anger and possibly fear"). */
const LIST_WORDS = new Set(["and", "or", "as", "well", "also", "even", "possibly", "perhaps", "maybe", "both"]);
/** Verbs after "to" that make a neutral word an aim, not a state ("tries to stay calm"). */
const AIM_VERBS = new Set(["stay", "remain", "keep", "appear", "look", "seem", "sound", "act"]);

/** Removes quoted speech ("...", “...”, '...', ‘...’) so words the person says are not read as the caption's claims. */
export function stripQuotes(text: string): string {
  // Single quotes only where no letter touches them outside, so "the man's" and "don't" stay; an
  // apostrophe inside ('I'm happy') does not end the quote.
  return text.replace(/"[^"]*"|“[^”]*”|‘(?:[^’]|’(?=[A-Za-z]))*’|(?<![A-Za-z])'(?:[^']|'(?=[A-Za-z]))*'(?![A-Za-z])/g, " ");
}

/** Words that join a negated label to the next one ("no sign of fear or anger": neither is named). */
const LIST_JOINERS = new Set(["or", "nor", "and"]);

/** A label named in a caption: where, and whether it describes a clue or is hedged rather than claimed. */
interface Mention {
  label: MerrLabel;
  sentence: number;
  word: number;
  /** Right before a clue noun ("a fearful tone"): what a clue shows, not the caption's own reading. */
  clue: boolean;
  /** After a statement of what a cue typically means ("often associated with surprise", "initially suggest fear"). */
  typical: boolean;
  /** A tentative reading ("can indicate anger", "could be a sign of frustration"). */
  tentative: boolean;
}

/**
 * A text's sentences as lower-case words, quoted speech left out ("anger's" is anger; a quote left at a
 * word's edge is not part of it).
 */
function sentenceWords(text: string): string[][] {
  return stripQuotes(text)
    .replace(/[’‘]/g, "'")
    .toLowerCase()
    .split(/[.!?;:]+(?:\s|$)|\n+/)
    .map((sentence) => (sentence.match(/[a-z']+/g) ?? []).map((w) => w.replace(/'s$/, "").replace(/^'+|'+$/g, "")));
}

/** Whether the word at `i` is negated: a negator in the 3 words before it, not cut off by "but" or "instead". */
function negated(words: readonly string[], i: number): boolean {
  let start = Math.max(0, i - 3);
  for (let k = i - 1; k >= start; k--) {
    if (SCOPE_BREAKERS.has(words[k]!) && words[k + 1] !== "of") {
      start = k + 1;
      break;
    }
  }
  for (let k = start; k < i; k++) {
    const w = words[k]!;
    const negator = NEGATORS.has(w) || w.endsWith("n't") || (w === "instead" && words[k + 1] === "of");
    if (negator && !REVEALING.has(words[k + 1] ?? "")) return true;
  }
  return ABSENCE.test(words.slice(Math.max(0, i - 10), i).join(" "));
}

/**
 * Labels a text names outside quotes, in order, skipping negated mentions ("not happy", "rather than sad",
 * "no sign of fear or anger", "lacking anger"; not "could not hide his anger"), "for fear of" and a calm
 * aimed at ("tries to stay calm"); and the labels its {@link WEAK_FORMS} can stand for.
 */
function mentions(text: string): { found: Mention[]; weak: Set<MerrLabel> } {
  const found: Mention[] = [];
  const weak = new Set<MerrLabel>();
  sentenceWords(text).forEach((words, si) => {
    let lastNegated = -1;
    words.forEach((word, i) => {
      const label = FORM_TO_LABEL.get(word);
      const weakLabels = WEAK_FORMS[word];
      if (!label && !weakLabels) return;
      if (word === "fear" && words[i - 1] === "for" && words[i + 1] === "of") return;
      const aimed = label === "neutral" && (words[i - 1] === "to" || (words[i - 2] === "to" && AIM_VERBS.has(words[i - 1] ?? "")));
      const listed = lastNegated >= 0 && i - lastNegated <= 2 && words.slice(lastNegated + 1, i).every((w) => LIST_JOINERS.has(w));
      if (aimed || listed || negated(words, i)) {
        lastNegated = i;
        return;
      }
      if (!label) {
        for (const l of weakLabels ?? []) weak.add(l);
        return;
      }
      const next = words[i + 1] ?? "";
      // "a fearful tone", "her neutral, questioning tone"; not "fear and anger in her voice" nor "happy, his face beaming".
      const clue = CLUE_NOUNS.has(next) || (CLUE_NOUNS.has(words[i + 2] ?? "") && !FORM_TO_LABEL.has(next) && !PHRASE_STARTS.has(next));
      const window = words.slice(Math.max(0, i - 5), i);
      const typical = window.some((w) => TYPICAL.has(w));
      const tentative = window.some((w, k) => (w === "can" || w === "could") && TENTATIVE_VERBS.has(window[k + 1] ?? ""));
      found.push({ label, sentence: si, word: i, clue, typical, tentative });
    });
  });
  return { found, weak };
}

/** Labels a text names outside quotes, not negated (clue words and hedges included). */
export function labelsNamed(text: string): MerrLabel[] {
  const found = new Set(mentions(text).found.map((m) => m.label));
  return MERR_LABELS.filter((l) => found.has(l));
}

/**
 * How a caption stands to `label`: whether it names the label at all (a word of its own or a weak word that
 * can stand for it), and the other label it ends on, if any. The caption's reading is its claims: mentions
 * that neither describe a clue ("a fearful tone") nor state what a cue typically means ("often associated
 * with surprise"); another label's tentative reading ("can indicate anger") is no claim either, the label's
 * own is ("which can be indicative of sadness"). A caption ends on another label when its last claim is
 * another label's, unless the label is claimed just before it in a list of one valence ("a mix of anger and
 * fear", "anger and possibly fear": read for fear or for angry; "sad and also happy" for neither).
 */
function captionStance(caption: string, label: MerrLabel): { names: boolean; endsOn?: MerrLabel } {
  const { found: all, weak } = mentions(caption);
  const own = all.filter((m) => m.label === label && !m.clue && !m.typical);
  const others = all.filter((m) => m.label !== label && !m.clue && !m.typical && !m.tentative);
  const last = [...own, ...others].sort((a, b) => a.sentence - b.sentence || a.word - b.word).at(-1);
  const listed =
    last !== undefined &&
    !oppositeValence(last.label, label) &&
    own.some((m) => m.sentence === last.sentence && m.word < last.word && last.word - m.word <= 4 && wordsBetween(caption, m, last).every((w) => LIST_WORDS.has(w)));
  return {
    names: all.some((m) => m.label === label) || weak.has(label),
    ...(last && last.label !== label && !listed ? { endsOn: last.label } : {}),
  };
}

/** The words of a caption's sentence between two mentions in it. */
function wordsBetween(caption: string, a: Mention, b: Mention): string[] {
  return (sentenceWords(caption)[a.sentence] ?? []).slice(a.word + 1, b.word);
}

export interface CaptionLimits {
  minWords: number;
  maxWords: number;
}

export const DEFAULT_CAPTION_LIMITS: CaptionLimits = { minWords: 8, maxWords: 200 };

/** Why a caption cannot be kept for `label`, or undefined when it can. */
export function captionProblem(caption: string, label: MerrLabel, limits: CaptionLimits = DEFAULT_CAPTION_LIMITS): string | undefined {
  const text = caption.trim();
  if (text === "") return "empty answer";
  if (looksLikeRefusal(text)) return `the model refused: ${JSON.stringify(text.slice(0, 80))}`;
  const words = text.split(/\s+/).length;
  if (words < limits.minWords || words > limits.maxWords) return `caption of ${words} words (expected ${limits.minWords}-${limits.maxWords})`;
  const { names, endsOn } = captionStance(text, label);
  if (!names) return `caption does not name the label "${label}" (nor a word for it such as "${NAMING_EXAMPLE[label]}")`;
  if (endsOn) return `caption ends on another label: ${endsOn}, not "${label}"`;
  return undefined;
}

/**
 * Why a fine caption cannot stand for `label` in the dataset, or undefined when it can: it ends on another
 * label (and so does one that names other labels and not this one), as a caption does after a reviewer's
 * relabel in merr view without a caption edit. A caption that names no label (a reviewer's own words, a record whose
 * out-of-set label the export maps) teaches nothing against the label and stands.
 */
export function captionLabelMismatch(caption: string, label: MerrLabel): string | undefined {
  const { endsOn } = captionStance(caption, label);
  return endsOn ? `the fine caption ends on ${endsOn}, not ${label}` : undefined;
}

/** How a caption refers to the person. */
export interface SubjectWords {
  /** "the man", "the person". */
  noun: string;
  /** "he", "they". */
  pronoun: string;
  /** "his", "their". */
  possessive: string;
}

export function subjectWords(subject: string | undefined): SubjectWords {
  const s = (subject ?? "person").toLowerCase().trim();
  if (["man", "boy", "male"].includes(s)) return { noun: `the ${s === "male" ? "man" : s}`, pronoun: "he", possessive: "his" };
  if (["woman", "girl", "female"].includes(s)) return { noun: `the ${s === "female" ? "woman" : s}`, pronoun: "she", possessive: "her" };
  return { noun: "the person", pronoun: "they", possessive: "their" };
}


/** "a", "a and b", "a, b and c". */
export function joinPhrases(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * A tone fragment as text: without its leading "and", its final punctuation and its capital, and with a
 * leading contraction spelled out ("She's whispering." -> "she is whispering").
 */
function fragmentText(fragment: string): string {
  const f = fragment.trim().replace(/[.!?\s]+$/, "").replace(/^and\s+/i, "").replace(/^(A|An)\b/, (a) => a.toLowerCase());
  return lowerFirst(f).replace(/^(he|she|it)'s\b/, "$1 is").replace(/^they're\b/, "they are");
}

/**
 * Verbs an audio model's tone answer says the speaker does, third person -> plural. Only these are changed
 * to agree with a new subject: any other word is left as the model wrote it.
 */
const VERBS: Readonly<Record<string, string>> = {
  speaks: "speak", talks: "talk", sounds: "sound", says: "say", shouts: "shout", whispers: "whisper", sighs: "sigh",
  laughs: "laugh", cries: "cry", yells: "yell", screams: "scream", mumbles: "mumble", sobs: "sob", stammers: "stammer",
  stutters: "stutter", uses: "use", has: "have", is: "are", was: "were", seems: "seem", appears: "appear",
  voices: "voice", raises: "raise", lowers: "lower", does: "do", "doesn't": "don't", remains: "remain",
};
const THIRD_PERSON: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(VERBS).map(([third, base]) => [base, third]));
/** A gerund that opens an answer ("Speaking in a soft voice"), as the verb it stands for. */
const GERUNDS: Readonly<Record<string, string>> = {
  speaking: "speaks", talking: "talks", whispering: "whispers", shouting: "shouts", crying: "cries", yelling: "yells",
  screaming: "screams", mumbling: "mumbles", sobbing: "sobs", laughing: "laughs", sighing: "sighs", stammering: "stammers",
};

type Gender = "male" | "female" | undefined;
const genderOf = (words: string): Gender =>
  /^(?:he|the (?:man|boy|male speaker))$/.test(words) ? "male" : /^(?:she|the (?:woman|girl|female speaker))$/.test(words) ? "female" : undefined;

/** A model fragment's own subject and its first verb ("He speaks ...", "The speaker sounds ...", "They are ..."). */
const FRAGMENT_SUBJECT = /^(he|she|they|the (?:man|woman|boy|girl|person|speaker|male speaker|female speaker))\s+([a-z']+)\b/;

/**
 * What a fragment says the speaker does, as a third-person verb phrase ("speaks softly"), and the gender its
 * own subject gave the speaker; undefined when it is not such a phrase.
 */
function speakerPredicate(f: string): { predicate: string; gender: Gender } | undefined {
  const subject = FRAGMENT_SUBJECT.exec(f);
  if (subject) {
    const [, who, verb] = subject as unknown as [string, string, string];
    const third = who === "they" ? THIRD_PERSON[verb] : VERBS[verb] !== undefined ? verb : undefined;
    return third === undefined ? undefined : { predicate: `${third}${f.slice(subject[0].length)}`, gender: genderOf(who) };
  }
  const first = /^[a-z']+/.exec(f)?.[0] ?? "";
  if (VERBS[first] !== undefined) return { predicate: f, gender: undefined };
  if (GERUNDS[first] !== undefined) return { predicate: `${GERUNDS[first]}${f.slice(first.length)}`, gender: undefined };
  // "A calm, steady voice": what the speaker has.
  if (first === "a" || first === "an") return { predicate: `has ${f}`, gender: undefined };
  return undefined;
}

/** A third-person verb phrase for "they": its first verb, and each listed verb after "and", "but" or "while", plural. */
function plural(predicate: string): string {
  return predicate.replace(/(^|\b(?:and|but|yet|while|then)\s+)([a-z']+)/g, (whole, before: string, verb: string) =>
    VERBS[verb] !== undefined ? `${before}${VERBS[verb]}` : whole,
  );
}

/** A fragment with a subject of its own ("the pace is ...", "they spoke ..."): kept as the model wrote it. */
const startsAsSentence = (f: string): boolean => /^(?:his|her|their|its|the|he|she|they|it)\b/.test(f);

/** A fragment that starts with a possessive and what it owns, followed by a verb ("his voice is loud", "the speaker's tone sounds calm"). */
const FRAGMENT_OWNED = /^(?:his|her|their|its|the (?:man|woman|boy|girl|person|speaker)'s|the)\s+(voice|tone|speech|intonation|pitch|delivery)\s+((?:is|was|has|[a-z]+s)\b.*)$/;

/**
 * A tone fragment ("speaks in a normal tone.", "and his tone sounds negative.", "He speaks softly.") as a
 * clause about the subject. An audio model's own subject ("He speaks ...", "They speak ...") becomes the
 * caption's, agreeing in number, unless it gives the voice another gender than the caption's subject has:
 * then the model's words stay as they are.
 */
export function toneClause(fragment: string, who: SubjectWords): string {
  const f = fragmentText(fragment);
  const said = speakerPredicate(f);
  const subjectGender = genderOf(who.noun);
  if (said && (said.gender === undefined || subjectGender === undefined || said.gender === subjectGender)) {
    return `${who.pronoun} ${who.pronoun === "they" ? plural(said.predicate) : said.predicate}`;
  }
  if (said || startsAsSentence(f)) return f;
  return `${who.possessive} tone is ${f}`;
}

/**
 * The tone clause, given to the person ("the woman speaks in ...") unless their lips did not move with
 * the voice (audio-tone's lip check read `still`): then the caption says so and gives the voice to no one
 * ("the woman's lips do not move with the voice of someone who speaks in ..."). A model's fragment that
 * names the speaker ("his voice is loud", "The man speaks loudly") is turned to the voice the same way.
 * Shared by the coarse caption and the fine prompts.
 */
export function voiceClause(fragment: string, who: SubjectWords, lipsStill: boolean): string {
  if (!lipsStill) return toneClause(fragment, who);
  const lips = `${who.possessive} lips do not move with the voice`;
  const f = fragmentText(fragment);
  const owned = FRAGMENT_OWNED.exec(f);
  if (owned) return owned[1] === "voice" ? `${lips}, which ${owned[2]}` : `${lips}, whose ${owned[1]} ${owned[2]}`;
  const said = speakerPredicate(f);
  // "speaks in a fast voice" names the voice itself: "lips do not move with the fast voice", not "with the
  // voice of someone who speaks in a fast voice".
  const voice = said && /^(?:speaks|is speaking|talks|is talking) (?:in|with) an? (.+?) voice\b(.*)$/.exec(said.predicate);
  if (voice) return `${who.possessive} lips do not move with the ${voice[1]} voice${voice[2]}`;
  if (said) return `${lips} of someone who ${said.predicate}`;
  // A sentence of its own ("the pace is fast", "they spoke softly"), or a bare description ("calm and low").
  return startsAsSentence(f) ? `${lips}; ${f}` : `${lips}, whose tone is ${f}`;
}

/**
 * What the builtin fine caption says a face shows, per AU: plain noun phrases for FACS's actions. The
 * caption is merr's own sentence and the trainer's target text, where the rule set's phrases read badly
 * ("their face shows lower the brow", "... hollow on the face when smiling"); those stay in
 * `visual_prior_list` and the coarse caption, which splices them as the paper's template does. An AU this
 * table lacks is said in its rule-set phrase.
 */
const FACE_ACTIONS: Readonly<Record<string, string>> = {
  AU01: "raised inner brows", AU02: "raised outer brows", AU04: "lowered brows", AU05: "widened eyes",
  AU06: "raised cheeks", AU07: "tightened eyelids", AU09: "a wrinkled nose", AU10: "a raised upper lip",
  AU12: "lip corners pulled up", AU14: "dimpled mouth corners", AU15: "lip corners pulled down",
  AU17: "a wrinkled, pushed-up chin", AU20: "lips stretched sideways", AU23: "tightened lips", AU25: "parted lips",
  AU26: "a dropped jaw", AU28: "lips sucked in", AU45: "a blink",
};

/** The face's actions in the caption's words: {@link FACE_ACTIONS} by AU, else the phrase as running text. */
export function faceActions(aus: readonly string[] | undefined, phrases: readonly string[]): string[] {
  return phrases.map((phrase, i) => FACE_ACTIONS[aus?.[i] ?? ""] ?? phraseForText(phrase));
}

export interface BuiltinCaption {
  caption: string;
  /** The clues the caption cites (only these). */
  cited: ClueName[];
}

/** The longest subtitle quoted whole: real MERR captions are 12-79 words (median 44), quote included. */
export const QUOTE_MAX_WORDS = 25;

/**
 * True when the subtitle's emotion words support `label` alone: it is their top label (or ties for it)
 * and none of them lies on the other side of valence ("I'm so sad but great" explains neither sad nor happy).
 */
export function wordsSupportOnly(scores: LabelScores, label: MerrLabel): boolean {
  const top = Math.max(...MERR_LABELS.map((l) => scores[l]));
  return scores[label] > 0 && scores[label] >= top && !MERR_LABELS.some((l) => scores[l] > 0 && oppositeValence(l, label));
}

/**
 * The part of a subtitle a caption quotes: the whole when it has at most {@link QUOTE_MAX_WORDS} words,
 * else the first sentence with an emotion word of `label`, and from a longer sentence that many words
 * around the word (eight before it, or up to the sentence's end when it is near), marked "…" where it is
 * cut. Double quotes become single ones.
 */
export function quoteFor(transcript: string, label: MerrLabel): string {
  const text = transcript.trim().replace(/\s+/g, " ").replace(/"/g, "'");
  const words = (t: string): string[] => t.split(" ").filter(Boolean);
  if (words(text).length <= QUOTE_MAX_WORDS) return text;
  const supports = (t: string): boolean => transcriptWordVotes(t).scores[label] > 0;
  const sentences = text.split(/(?<=[.!?…])\s+/);
  const sentence = sentences.find(supports) ?? sentences[0]!;
  const w = words(sentence);
  if (w.length <= QUOTE_MAX_WORDS) return sentence;
  // The word (its last word, for a phrase) with some words before it, and the sentence's end when it is near:
  // the first place where the text up to a word holds one and the window around that word does too (a
  // prefix ending in "Miss" or "I'm afraid" reads as one until the next words show a title or an idiom).
  const windowAt = (k: number): number => Math.max(0, Math.min(k - 8, w.length - QUOTE_MAX_WORDS));
  const around = (k: number): string => w.slice(windowAt(k), windowAt(k) + QUOTE_MAX_WORDS).join(" ");
  let k = 0;
  while (k < w.length && !(supports(w.slice(0, k + 1).join(" ")) && supports(around(k)))) k += 1;
  const start = k < w.length ? windowAt(k) : 0;
  const end = Math.min(w.length, start + QUOTE_MAX_WORDS);
  return `${start > 0 ? "… " : ""}${w.slice(start, end).join(" ")}${end < w.length ? " …" : ""}`;
}

/**
 * A MERR-style caption ("In the video, ...") for `label` citing only the clues that support it.
 * Undefined when no clue supports the label. The first clause names the person ("the person's face
 * shows ...", "the woman speaks ..."), the later ones and the conclusion refer back ("their", "she").
 */
export function buildBuiltinCaption(
  label: MerrLabel,
  fusion: FusionResult,
  clues: FusionClues & { labelAus?: Partial<Record<MerrLabel, LabelAus>> },
  who: SubjectWords,
): BuiltinCaption | undefined {
  const clauses: string[] = [];
  const cited: ClueName[] = [];
  const named: SubjectWords = { noun: who.noun, pronoun: who.noun, possessive: `${who.noun}'s` };
  /**
   * How the next clause refers to the person: by name until a clause has named them (a tone fragment kept as
   * the model wrote it, "the pace is fast", names no one), then by pronoun.
   */
  const ref = (): SubjectWords => (clauses.some((c) => c.startsWith(who.noun)) ? who : named);
  const vote = (clue: ClueName) => fusion.votes.find((v) => v.clue === clue);
  const au = vote("au");
  // The face's actions of the label's own AU pool at the peak frame (they hold those the pseudo-label's rule
  // fired on). For the pseudo-label they are the AU clue's support; for a label the AU rules did not give,
  // they are not enough to fire its rule, so they only corroborate another clue (below).
  const ownAus = clues.labelAus?.[label];
  const own = ownAus ? faceActions(ownAus.aus, ownAus.phrases) : [];
  const ruleGaveLabel = Boolean(au && clues.au && au.top === label);
  if (ruleGaveLabel) {
    const phrases = own.length ? own : faceActions(clues.au!.aus, clues.au!.phrases);
    clauses.push(phrases.length ? `${ref().possessive} face shows ${joinPhrases(phrases)}` : `${ref().possessive} face shows no marked expression`);
    cited.push("au");
  } else if (own.length) {
    clauses.push(`${ref().possessive} face shows ${joinPhrases(own)}`);
  }
  const expr = vote("expression");
  if (expr && expr.scores[label] >= 0.2) {
    // Only the strongest reading is "the" reading; a weaker one is said to be partial (no other label is named).
    // In words only: the caption is the trainer's target text, and a model trained on "(82% of the expression
    // evidence)" would write shares it cannot measure; the shares stay in the stage output (`scores`).
    clauses.push(
      expr.top === label
        ? `${ref().possessive} overall facial expression reads as ${LABEL_ADJECTIVE[label]}`
        : `${ref().possessive} facial expression partly reads as ${LABEL_ADJECTIVE[label]}`,
    );
    cited.push("expression");
  }
  const tone = vote("tone");
  // An audio model's description that names another label's emotion ("a fearful tone", which the model also
  // says of angry and sad voices) supports the label's side of valence, but is no words to explain it with.
  const namesOther = clues.tone?.byModel && clues.tone.fragment ? (toneWordVotes(clues.tone.fragment)?.names ?? []).some((l) => l !== label) : false;
  if (tone && clues.tone?.fragment && tone.scores[label] >= 0.15 && !namesOther) {
    clauses.push(toneClause(clues.tone.fragment, ref()));
    cited.push("tone");
  }
  const words = vote("transcript");
  if (words && clues.transcript && wordsSupportOnly(words.scores, label)) {
    const r = ref();
    clauses.push(`${r.pronoun} ${r.pronoun === "they" ? "say" : "says"}, "${quoteFor(clues.transcript, label)}"`);
    cited.push("transcript");
  }
  // Supported by no clue: the label's own AUs at the peak alone do not carry it.
  if (cited.length === 0) return undefined;
  if (!ruleGaveLabel && own.length) cited.unshift("au");
  const body = clauses.length === 1 ? clauses[0]! : `${clauses.slice(0, -1).join(", ")}, and ${clauses[clauses.length - 1]}`;
  // The conclusion refers back, or names the person when no clause did.
  const subject = ref().pronoun;
  const isThey = subject === "they";
  const lead = clauses.length === 1 ? "This suggests" : "These clues suggest";
  const conclusion =
    label === "neutral"
      ? `${lead} that ${subject} ${isThey ? "are" : "is"} in a neutral emotional state.`
      : `${lead} that ${subject} ${isThey ? "feel" : "feels"} ${LABEL_ADJECTIVE[label]}.`;
  // A quote that ends a sentence itself ("Oh my!") takes no second full stop; one cut short (" …") does.
  const end = /[.!?…]"$/.test(body) && !/ …"$/.test(body) ? "" : ".";
  return { caption: `In the video, ${body}${end} ${conclusion}`, cited };
}
