import { MerrError } from "../../core/errors.ts";

/**
 * Model output is untrusted input: these checks run on every answer before a stage sees it.
 */

import { looksLikeRefusal } from "../../core/refusal.ts";
import { notEnglish } from "../../core/text.ts";
import type { ModelAnswer } from "./types.ts";

export { looksLikeRefusal };

/** True for a refusal: marked as one by the server (`refused`), or written as one in the text. */
export function answerIsRefusal(answer: Pick<ModelAnswer, "text" | "refused">): boolean {
  return answer.refused === true || looksLikeRefusal(answer.text);
}

/**
 * The words of a refusal the server marked (`refused`), bounded like any answer: they are kept as the
 * reason of a skip, never as an observation.
 */
export function refusalWords(text: string, maxChars: number): string {
  const trimmed = text.trim().replace(/\s+/g, " ");
  return trimmed.length > maxChars ? `${trimmed.slice(0, maxChars)}...` : trimmed;
}

/**
 * An answer the server stopped at the token limit (Gemini `finishReason: "MAX_TOKENS"`, an
 * OpenAI-compatible `finish_reason: "length"`, Ollama `done_reason: "length"`): its text ends mid-sentence
 * ("... and a sharply falling into"), so it is no answer. E_MODEL_OUTPUT_INVALID (the queue asks again, a
 * bounded number of times) with the limit in `details.tokenLimit` (null: the model's own), from which the
 * runtime names the stage option that sets it. Never cached.
 */
export function tokenLimitFailure(source: string, text: unknown, maxTokens: number | undefined, stop: string): MerrError {
  const words = typeof text === "string" ? text.trim().replace(/\s+/g, " ") : "";
  // Where it ends says that it was cut: the last words, from a word's start.
  const tail = words.length <= 80 ? words : `...${words.slice(-70).replace(/^\S*\s/, "")}`;
  const limit = maxTokens === undefined ? `the model's output token limit (${stop})` : `the token limit (${maxTokens} tokens; ${stop})`;
  return new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: answer cut off at ${limit}${tail ? `: "${tail}"` : ""}`, {
    details: { tokenLimit: maxTokens ?? null },
  });
}

export interface AnswerLimits {
  maxChars: number;
  /** Require a JSON object (returned by {@link parseJsonAnswer}). */
  json?: boolean;
  /** Where the answer came from, for messages (`ollama:llava`). */
  source: string;
  /** Accept an empty answer (a transcription of silence). */
  allowEmpty?: boolean;
}

/** Checks an answer (non-empty, bounded, JSON when asked) and returns it trimmed; E_MODEL_OUTPUT_INVALID otherwise. */
export function validateAnswerText(text: unknown, limits: AnswerLimits): string {
  if (typeof text !== "string") {
    throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: answer has no text (got ${text === null ? "null" : typeof text})`);
  }
  const trimmed = text.trim();
  if (trimmed === "" && limits.allowEmpty) return trimmed;
  if (trimmed === "") throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: empty answer`);
  if (trimmed.length > limits.maxChars) {
    throw new MerrError("E_MODEL_OUTPUT_INVALID", `${limits.source}: answer too long (${trimmed.length} > ${limits.maxChars} characters)`);
  }
  // A refusal is passed through as text even to a JSON request: asking again rarely helps, and the
  // stage records it as filtered-out with its words.
  if (limits.json && !looksLikeRefusal(trimmed)) parseJsonAnswer(trimmed, limits.source);
  return trimmed;
}

/**
 * Throws E_MODEL_OUTPUT_INVALID (asked again, a bounded number of times) when `text`, a part of an answer
 * that goes into the dataset's English captions, is in another language (`notEnglish`).
 */
export function checkEnglish(text: string, source: string, what = "answer"): void {
  const why = notEnglish(text);
  if (why) {
    throw new MerrError(
      "E_MODEL_OUTPUT_INVALID",
      `${source}: the ${what} is not in English (${why}): ${JSON.stringify(text.slice(0, 60))}; MERR's captions are English: use a model that follows the English prompt`,
    );
  }
}

/**
 * Parses a JSON object answer, tolerating a Markdown code fence or text around one object.
 * Throws E_MODEL_OUTPUT_INVALID (with the start of the answer) when there is no JSON object.
 */
export function parseJsonAnswer(text: string, source = "model"): Record<string, unknown> {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  const candidates = [text.trim(), fenced?.trim()];
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const value: unknown = JSON.parse(candidate);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not this candidate: try the next one.
    }
  }
  throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: answer is not a JSON object: ${JSON.stringify(text.slice(0, 80))}`);
}
