export { convertToWav, decodeToPcm, loadPcm16k, parseWav, parseWavFormat, readWav, PCM_RATE, type Pcm, type WavFormat } from "./pcm.ts";
export { trackPitch, yinFrame, type PitchOptions } from "./pitch.ts";
export { measureVoiceQuality, type VoiceQuality } from "./voice-quality.ts";
export {
  analyzeProsody,
  countSyllableNuclei,
  HOP,
  type AnalyzeOptions,
  type ProsodyAnalysis,
  type ProsodyFeatures,
  type ProsodyTracks,
} from "./prosody.ts";
export { countSyllables, guessSyllables, loadSyllableDictionary, parseCmuDict, CMU_DICT_CANDIDATES, type SyllableDictionary } from "./syllables.ts";
export {
  describeTone,
  loadToneWording,
  parseToneWording,
  ToneWordingSchema,
  TONE_FEATURES,
  type ToneDescription,
  type ToneWording,
} from "./tone-wording.ts";
export { parsePocketsphinxOutput, pocketsphinxVersion, transcribeWithPocketsphinx, POCKETSPHINX_BIN } from "./pocketsphinx.ts";
export { parseAsrSpec, parseToneSpec, type AsrSpec, type ToneSpec } from "./specs.ts";
export { checkToneAnswer, type ToneAnswerLimits } from "./tone-answer.ts";
