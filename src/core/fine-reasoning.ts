import type { LabelAus } from "./au-analysis.ts";
import { expressionToLabels, fuseEvidence, oppositeValence, type ClueName, type FusionClues, type FusionResult } from "./evidence-fusion.ts";
import { buildBuiltinCaption, captionProblem, faceActions, joinPhrases, LABEL_NOUN, subjectWords, voiceClause } from "./fine-caption.ts";
import { MERR_LABELS, normaliseLabel, isMerrLabel, type MerrLabel } from "./labels.ts";

/**
 * MERR step 6 decisions, shared by the builtin reasoning and the model-backed one (pure): which label
 * conditions the caption, whether the clues contradict each other or the label, and whether an answer
 * can be kept. Every "no" is a reason string that the stage records as `filtered-out`.
 */

export type Conditioning = "ground-truth" | "pseudo" | "open";

export interface FineClues extends FusionClues {
  /**
   * Per label, the AUs of its pool active at the peak frame (au-analyze's `label_aus`): the face's evidence
   * for a given label, also when the AU rules fired another one.
   */
  labelAus?: Partial<Record<MerrLabel, LabelAus>>;
  subject?: string;
  /** A phrase completing "This person in the video is ...". */
  objective?: string;
  /** The AU rules' label, set aside as mixed evidence for the given label ({@link cluesForLabel}). */
  auSetAside?: MerrLabel;
}

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface FineOptions {
  /** Fused share below which an open (unconditioned) builtin decision is filtered out. */
  minConfidence: number;
  /** Filter samples whose confident clues favour labels of opposite valence. */
  filterContradictions: boolean;
}

/**
 * The clues as they bear on a given label. The AU rules' label is a weak reading of emotion (on OpenFace's
 * peak AUs of real MER2023 clips it is the clip's label for about a quarter of them, bench:rules), and
 * MERR's fine set explains a ground truth from the AUs of that label's own pool at the peak (its `AU_list`).
 * So when the rules fired a label of the opposite valence while the face also shows AUs of the given
 * label's own pool at the peak that are not in the rule label's pool (AU12 is in both happy's and
 * contempt's), the face's AUs are mixed evidence, not evidence against the label: the AU rules cast no vote
 * (`auSetAside` says which label was set aside; the label's own AUs still corroborate another clue in the
 * builtin caption). Unless the expression classifier puts at least half of its reading on the rule's side
 * of valence: then two face clues stand against the label. Measured on 847 real clips of the paper's fine
 * set on the OpenFace path (bench:rules, no expression classifier): the contradiction check filtered 76 of
 * them for their own label with the rule label as the AU clue, 8 this way; a label of the opposite valence
 * to the rule label, given instead of theirs, it still filters in half of the cases, where it filtered all
 * of them. Pure.
 */
export function cluesForLabel(clues: FineClues, given: MerrLabel | undefined): FineClues {
  if (!given || !clues.au || !oppositeValence(clues.au.label, given)) return clues;
  // The rule label's own AUs at the peak: those it fired on, and others of its pool below its frame share.
  const ruleAus = new Set([...(clues.au.aus ?? []), ...(clues.labelAus?.[clues.au.label]?.aus ?? [])]);
  if (!(clues.labelAus?.[given]?.aus ?? []).some((au) => !ruleAus.has(au))) return clues;
  if (clues.expression) {
    const reading = expressionToLabels(clues.expression);
    const against = MERR_LABELS.filter((l) => oppositeValence(l, given)).reduce((sum, l) => sum + reading[l], 0);
    if (against >= 0.5) return clues;
  }
  const { au, ...rest } = clues;
  return { ...rest, auSetAside: au.label };
}

/**
 * Filters clue sets that contradict each other, or a given label that the clues clearly oppose. The voice and
 * the words alone never oppose a given label: a face clue (the AU rules or the expression classifier) must
 * favour the other side of valence too. They are weaker clues (a subtitle's emotion words are the clip's
 * label about one time in five, bench:words), and one word of an audio model's description would otherwise
 * filter a ground truth by itself. On the dev half of the real MERR fine set (bench:fine) the subtitle's
 * words and the voice alone filtered 2 of 454 clips the paper kept; the price, 27 of 517 labels of the
 * wrong valence no longer filtered, goes to a model backend's judgement or the builtin's need for support.
 */
export function clueProblem(fusion: FusionResult, label: MerrLabel | undefined, options: FineOptions): string | undefined {
  if (options.filterContradictions && fusion.contradiction) {
    const { clues, labels } = fusion.contradiction;
    return `clues contradict each other: ${clues[0]} favours ${labels[0]}, ${clues[1]} favours ${labels[1]}`;
  }
  const faceAgainst = (l: MerrLabel): boolean => fusion.votes.some((v) => (v.clue === "au" || v.clue === "expression") && oppositeValence(v.top, l));
  if (label && options.filterContradictions && fusion.label !== label && fusion.confidence >= 0.5 && oppositeValence(fusion.label, label) && faceAgainst(label)) {
    return `clues contradict the label ${label}: they favour ${fusion.label} (${Math.round(fusion.confidence * 100)}%)`;
  }
  return undefined;
}

export interface BuiltinFine {
  label: MerrLabel;
  caption: string;
  confidence: number;
  cited: ClueName[];
  fusion: FusionResult;
}

/** The builtin reasoning: evidence fusion, then a caption that cites only the clues it used. */
export function builtinFine(clues: FineClues, given: MerrLabel | undefined, options: FineOptions): Verdict<BuiltinFine> {
  const fusion = fuseEvidence(clues);
  // The rules did fire: their label was set aside because the face also shows the given label's own AUs.
  const setAside = clues.auSetAside && given ? ` (the AU rules' ${clues.auSetAside} was set aside: the face also shows ${given} AUs)` : "";
  if (fusion.votes.length === 0) return { ok: false, reason: setAside ? `no clue supports the label ${given}${setAside}` : "no clue to reason from" };
  const problem = clueProblem(fusion, given, options);
  if (problem) return { ok: false, reason: problem };
  const label = given ?? fusion.label;
  if (!given && fusion.confidence < options.minConfidence) {
    return { ok: false, reason: `clues too weak: best label ${label} at ${Math.round(fusion.confidence * 100)}% (< ${Math.round(options.minConfidence * 100)}%)` };
  }
  const built = buildBuiltinCaption(label, fusion, clues, subjectWords(clues.subject));
  if (!built) {
    // Words of the label in a subtitle that also holds words of another label (of the other valence, or more
    // of them) explain neither: said so, since the fusion counted them.
    const words = fusion.votes.find((v) => v.clue === "transcript");
    const mixed = words && words.scores[label] > 0
      ? ` (the subtitle's words also favour ${MERR_LABELS.filter((l) => l !== label && words.scores[l] > 0).join(", ")})`
      : "";
    return { ok: false, reason: `no clue supports the label ${label}${setAside}${mixed}` };
  }
  const bad = captionProblem(built.caption, label);
  if (bad) return { ok: false, reason: bad };
  return { ok: true, value: { label, caption: built.caption, confidence: Math.round(fusion.scores[label] * 1000) / 1000, cited: built.cited, fusion } };
}


/** Variables of prompts/fine/*.md from the clues (the subtitle is quoted with its own quotes neutralised). */
export function finePromptVars(clues: FineClues, label: MerrLabel | undefined): Record<string, string> {
  const who = subjectWords(clues.subject);
  const generic = who.noun === "the person";
  const subject = generic ? "This person" : `The ${who.noun.slice(4)}`;
  const objective = clues.objective?.trim().replace(/[.\s]+$/, "");
  // A given label is explained from its own pool's AUs at the peak (the fine entry's AU_list); a label with
  // a pool none of whose AUs is there is said to lack them. Without a label, or for a label without a pool
  // (neutral), the AUs of the rule that fired. The actions are in the builtin caption's plain words ("lowered
  // brows"), not the MERR synonym pools' ("Frowns furrowed", "A look of disapprroval"): the model's caption
  // is a training target and cites what it is given.
  const own = label ? clues.labelAus?.[label] : undefined;
  const phrases = (own ? faceActions(own.aus, own.phrases) : faceActions(clues.au?.aus, clues.au?.phrases ?? [])).filter(Boolean);
  const nounWords = { noun: who.noun, pronoun: who.noun, possessive: `${who.noun}'s` };
  const subtitle = clues.transcript?.replace(/\s+/g, " ").replace(/"/g, "'").trim() ?? "";
  const vars: Record<string, string> = {
    objective: objective ? `${subject} in the video is ${objective}` : `${subject} appears in the video`,
    expression: phrases.length ? joinPhrases(phrases) : own && label ? `none of the facial actions typical of ${LABEL_NOUN[label]}` : "no marked facial expression",
    tone: clues.tone?.fragment?.trim() ? voiceClause(clues.tone.fragment, nounWords, clues.lipsStill === true) : "the tone of voice is unknown",
    speech: subtitle ? `saying: "${subtitle}"` : "but no words can be made out",
    labels: MERR_LABELS.join(", "),
  };
  if (label) vars.label = label;
  return vars;
}

/** Reads a model's `{label, caption}` answer: the shape only (semantic checks are {@link judgeAnswer}'s). */
export function parseFineAnswer(json: Record<string, unknown>): { label: string; caption: string } | undefined {
  const label = json.label ?? json.emotion;
  const caption = json.caption ?? json.reasoning ?? json.smp_reason_caption;
  return typeof label === "string" && typeof caption === "string" ? { label, caption: caption.trim() } : undefined;
}

/** Keeps a model answer only if it names exactly one label of the set, agrees with a given label, and is no refusal. */
export function judgeAnswer(answer: { label: string; caption: string }, given: MerrLabel | undefined): Verdict<{ label: MerrLabel; caption: string }> {
  const normalised = normaliseLabel(answer.label);
  if (!isMerrLabel(normalised)) return { ok: false, reason: `answer label "${answer.label.slice(0, 40)}" is not one of the ${MERR_LABELS.length} MERR labels` };
  if (given && normalised !== given) return { ok: false, reason: `answer contradicts the label: ${normalised} instead of ${given}` };
  const problem = captionProblem(answer.caption, normalised);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, value: { label: normalised, caption: answer.caption } };
}
