import { joinPhrases, subjectWords, voiceClause } from "./fine-caption.ts";
import { phraseForText } from "./text.ts";

/**
 * MERR step 5: the variables of the coarse caption template (prompts/coarse/): visual objective
 * description + visual expression description + tone + subtitle, with the subject's wording adapted
 * ("This person" / "The woman"). Pure; the template itself is data.
 */
export interface CoarseClues {
  /** visual-describe: "man", "woman", "person"... */
  subject?: string;
  /** A phrase completing "This person in the video is ..."; absent when visual-describe gave none. */
  objective?: string;
  /** au-analyze `visual_prior_list`. */
  expressionPhrases: readonly string[];
  /** audio-tone `description` (MERR `audio_prior_list`), absent without audio. */
  toneFragment?: string;
  /** audio-tone's lip check read `still`: the person's lips did not move with the voice. */
  lipsStill?: boolean;
  /**
   * Why there is no tone fragment, when it was measured: `no-sound` (the clip has no audio track), `no-voice`
   * (audio-tone found too little voiced speech to describe). Absent: the tone could not be analysed (any other reason).
   */
  silence?: "no-sound" | "no-voice";
  /** The subtitle; empty or absent when nothing was recognised. */
  subtitle?: string;
}

/** The coarse caption templates (prompt ids); {@link coarseTemplateVars} picks one per sample. */
export const COARSE_TEMPLATES = ["coarse/caption", "coarse/caption-no-speech", "coarse/caption-no-visual", "coarse/caption-no-visual-no-speech"] as const;

export interface CoarseTemplateChoice {
  templateId: (typeof COARSE_TEMPLATES)[number];
  vars: Record<string, string>;
}

/**
 * The template and its variables: the paper's template, without the visual sentence when there is no
 * objective description and without "Saying:" when there is no subtitle, so a caption never holds a clue
 * the sample does not have.
 */

export function coarseTemplateVars(clues: CoarseClues): CoarseTemplateChoice {
  const who = subjectWords(clues.subject);
  const generic = who.noun === "the person";
  const subject = generic ? "This person" : `The ${who.noun.slice(4)}`;
  const possessive = generic ? "The person's" : `The ${who.noun.slice(4)}'s`;
  const phrases = clues.expressionPhrases.map((p) => phraseForText(p)).filter(Boolean);
  const expression = phrases.length ? joinPhrases(phrases) : "no marked facial expression";
  // The tone clause names the subject ("the woman speaks ..."), as in the paper's realised example.
  const nounWords = { noun: who.noun, pronoun: who.noun, possessive: `${who.noun}'s` };
  const tone = clues.toneFragment?.trim()
    ? voiceClause(clues.toneFragment, nounWords, clues.lipsStill === true)
    : clues.silence === "no-sound"
      ? "the clip has no sound"
      : clues.silence === "no-voice"
        ? "hardly any voice is heard"
        : "the tone of voice could not be analysed";
  const objective = clues.objective?.trim().replace(/[.\s]+$/, "") ?? "";
  const subtitle = clues.subtitle?.trim() ?? "";
  const speech: Record<string, string> = subtitle === "" ? {} : { subtitle };
  if (objective === "") {
    return { templateId: subtitle === "" ? "coarse/caption-no-visual-no-speech" : "coarse/caption-no-visual", vars: { possessive, expression, tone, ...speech } };
  }
  return { templateId: subtitle === "" ? "coarse/caption-no-speech" : "coarse/caption", vars: { subject, possessive, objective, expression, tone, ...speech } };
}
