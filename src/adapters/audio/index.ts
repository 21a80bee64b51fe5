export { convertToWav, decodeToPcm, loadPcm16k, parseWav, readWav } from "./pcm.ts";
export { trackPitch } from "./pitch.ts";
export {
  analyzeProsody,
  type ProsodyFeatures,
} from "./prosody.ts";
export { steadySound } from "./steady-sound.ts";
export { countSyllables, loadSyllableDictionary, parseCmuDict, type SyllableDictionary } from "./syllables.ts";
export {
  describeTone,
  loadToneWording,
  parseToneWording,
  TONE_FEATURES,
  type ToneWording,
} from "./tone-wording.ts";
export { parsePocketsphinxOutput, transcribeWithPocketsphinx } from "./pocketsphinx.ts";
export { isEnglishCode, parseAsrSpec, parseToneSpec } from "./specs.ts";
export { checkToneAnswer } from "./tone-answer.ts";
