import { access, readFile } from "node:fs/promises";
import { MerrError } from "../../core/errors.ts";

/** Where Debian's pocketsphinx-en-us puts the CMU pronouncing dictionary. */
export const CMU_DICT_CANDIDATES = [
  "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict",
  "/usr/share/pocketsphinx/model/en-us/en-us/cmudict-en-us.dict",
] as const;

/** ARPAbet vowels: one per syllable (this copy of the dictionary carries no stress digits). */
const VOWELS = new Set(["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]);

/** Word (lower case) -> syllable count of its first pronunciation. */
export type SyllableDictionary = ReadonlyMap<string, number>;

/** Parses the CMU dictionary text (`word PH ON ES`, alternates as `word(2)`). Pure. */
export function parseCmuDict(text: string): SyllableDictionary {
  const dict = new Map<string, number>();
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0 || line.startsWith(";;;")) continue;
    const word = line.slice(0, sp).toLowerCase();
    if (word.endsWith(")")) continue; // alternate pronunciation: the first one counts
    let n = 0;
    for (const ph of line.slice(sp + 1).trim().split(/\s+/)) if (VOWELS.has(ph.replace(/\d$/, ""))) n++;
    dict.set(word, n);
  }
  return dict;
}

/** Finds the dictionary shipped with pocketsphinx-en-us (or the given path) and parses it. */
export async function loadSyllableDictionary(file?: string): Promise<SyllableDictionary> {
  const candidates = file ? [file] : [...CMU_DICT_CANDIDATES];
  for (const c of candidates) {
    try {
      await access(c);
    } catch {
      continue; // not at this place: try the next one
    }
    return parseCmuDict(await readFile(c, "utf8"));
  }
  throw new MerrError(
    "E_TOOL_MISSING",
    `CMU pronouncing dictionary not found (looked at ${candidates.join(", ")}); install it with: sudo apt-get install pocketsphinx-en-us`,
  );
}

/** Vowel-group estimate for words the dictionary lacks (names, typos). */
export function guessSyllables(word: string): number {
  const w = word.toLowerCase().replace(/[^a-z]/g, "");
  if (!w) return 0;
  let groups = w.match(/[aeiouy]+/g)?.length ?? 0;
  if (w.length > 2 && w.endsWith("e") && !w.endsWith("le") && groups > 1) groups--;
  return Math.max(1, groups);
}

/** Syllables of a transcript: dictionary words, vowel-group guesses for the rest, one per digit. */
export function countSyllables(text: string, dict: SyllableDictionary): number {
  let total = 0;
  for (const token of text.toLowerCase().match(/[a-z][a-z']*|\d/g) ?? []) {
    if (/^\d$/.test(token)) {
      total += 1;
      continue;
    }
    const known = dict.get(token) ?? dict.get(token.replace(/'s$/, ""));
    total += known ?? guessSyllables(token);
  }
  return total;
}
