/**
 * Refusal boilerplate in model answers. Real MERR captions contain about ten of these; they must be
 * filtered out, not kept as reasoning.
 */

const REFUSAL_PATTERNS: readonly RegExp[] = [
  /\bI(?:'m| am)?\s*(?:sorry|afraid)\b[^.]{0,80}\b(?:can(?:no|')t|cannot|unable|not able)\b/i,
  /\bI\s+(?:can(?:no|')t|cannot|won't|will not|am unable to|'m unable to|am not able to|'m not able to)\s+(?:provide|help|assist|determine|identify|analy[sz]e|infer|comply|answer|make|describe|tell|speculate|do that|fulfil|fulfill)/i,
  /\bas an? (?:AI|artificial intelligence|language model|large language model)\b/i,
  /\bI (?:do not|don't) have (?:the )?(?:ability|access)\b/i,
  /\b(?:not (?:possible|appropriate) (?:for me )?to (?:determine|infer|identify|speculate))\b/i,
  /\bI must (?:decline|refuse)\b/i,
];

/**
 * True when `text` reads like refusal boilerplate ("I cannot provide...", "As an AI language model...").
 * Real MERR captions contain about ten of these; they must be filtered out, not kept as reasoning.
 */
export function looksLikeRefusal(text: string): boolean {
  const head = text.trim().slice(0, 400);
  return REFUSAL_PATTERNS.some((re) => re.test(head));
}
