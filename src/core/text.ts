/**
 * Text helpers for captions. MERR's AU vocabulary is title-cased and sometimes unspaced ("Lid Tightener",
 * "smile, Pleasure", "Tighten the lips,Purse the lips"); captions use it in running text.
 */

/** Lower-cases the first letter of a capitalised word ("Speaks ..." -> "speaks ..."); acronyms stay. */
export const lowerFirst = (s: string): string => (/^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s);

/**
 * An AU description as a phrase for running text: every capitalised word and the article "A" lower-cased
 * (acronyms such as "AU12" kept) and a space after commas. "Lid Tightener" -> "lid tightener", "A look of
 * disapprroval" -> "a look of disapprroval".
 */
export function phraseForText(s: string): string {
  return s
    .trim()
    .replace(/,(?=\S)/g, ", ")
    .replace(/\b(?:([A-Z])([a-z]+)|A)\b/g, (_m: string, first?: string, rest?: string) => (first ? first.toLowerCase() + rest : "a"));
}
