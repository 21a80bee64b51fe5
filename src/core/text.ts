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

/** Common English words: an English sentence of eight or more words almost always holds one ("a" is Spanish and Portuguese too). */
const ENGLISH_WORDS = new Set([
  "the", "an", "and", "or", "but", "of", "to", "in", "on", "at", "with", "is", "are", "was", "were", "be",
  "he", "she", "his", "her", "they", "their", "it", "its", "this", "that", "as", "by", "for", "from", "who", "which",
]);

/**
 * Why a model's answer is not English, or undefined when it reads as English. MERR's captions are English
 * (the trainer's targets), so an answer in another language must not reach them. Two measures, quoted
 * spans left out (a quoted subtitle may be in any language): more than 30 % of the letters outside the
 * Latin script (a Chinese or Cyrillic answer), or eight or more words without one common English word (a
 * Spanish or German answer). Short fragments pass unless their letters are in another script. Pure.
 */
export function notEnglish(text: string): string | undefined {
  const unquoted = text.replace(/"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』/g, " ");
  const letters = unquoted.match(/\p{L}/gu) ?? [];
  const foreign = letters.filter((c) => !/\p{Script=Latin}/u.test(c)).length;
  if (letters.length >= 4 && foreign / letters.length > 0.3) return `${foreign} of its ${letters.length} letters are not in the Latin script`;
  const words = unquoted.toLowerCase().match(/\p{L}+(?:'\p{L}+)?/gu) ?? [];
  if (words.length >= 8 && !words.slice(0, 60).some((w) => ENGLISH_WORDS.has(w))) return `none of its first ${Math.min(words.length, 60)} words is a common English word`;
  return undefined;
}
