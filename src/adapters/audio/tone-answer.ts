import { MerrError } from "../../core/errors.ts";
import { checkEnglish, looksLikeRefusal } from "../models/index.ts";

export interface ToneAnswerLimits {
  /** Longest accepted description, in characters. */
  maxChars: number;
  /** Where the answer came from, for messages. */
  source: string;
}

/**
 * Checks an audio model's tone answer and shapes it as a MERR tone fragment: one line, no wrapping
 * quotes or "Answer:" label, ending with a full stop. Empty, over-long, refusal and non-English answers are
 * E_MODEL_OUTPUT_INVALID (retryable a bounded number of times by the stage's policy). Pure.
 */
export function checkToneAnswer(text: string, limits: ToneAnswerLimits): string {
  let t = text.replace(/\s+/g, " ").trim();
  t = t.replace(/^(?:answer|tone|description)\s*:\s*/i, "").trim();
  t = t.replace(/^["'“”‘’`]+|["'“”‘’`]+$/g, "").trim();
  if (t === "") throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: empty tone description`);
  if (!/\p{L}/u.test(t)) throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: tone description without a word: ${JSON.stringify(t.slice(0, 40))}`);
  if (t.length > limits.maxChars) {
    throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: tone description too long (${t.length} > ${limits.maxChars} characters)`);
  }
  if (looksLikeRefusal(t)) {
    throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: the model refused instead of describing the tone: ${JSON.stringify(t.slice(0, 80))}`);
  }
  checkEnglish(t, limits.source, "tone description");
  if (!/[.!?]$/.test(t)) t = `${t}.`;
  return t;
}
