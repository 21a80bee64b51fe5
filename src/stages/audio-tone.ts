import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { fileStamp, writeJsonAtomic } from "../core/fs.ts";
import { hashJson } from "../core/ids.ts";
import { judgeLipSync, lipOpening, syllableOpenings, type LipSync } from "../core/lip-sync.ts";
import { parseOpenFaceCsv } from "../core/openface-csv.ts";
import type { Sample } from "../core/types.ts";
import { projectPath } from "../core/paths.ts";
import { loadPrompt, promptFile, renderPrompt } from "../core/prompts.ts";
import {
  analyzeProsody,
  checkToneAnswer,
  countSyllables,
  describeTone,
  isEnglishCode,
  loadPcm16k,
  loadSyllableDictionary,
  loadToneWording,
  parseToneSpec,
  steadySound,
  TONE_FEATURES,
} from "../adapters/audio/index.ts";
import { answerIsRefusal, looksLikeRefusal, modelClientFromContext } from "../adapters/models/index.ts";
import { audioStartOffset } from "../adapters/tools/ffmpeg.ts";
import { specOption } from "./_options.ts";
import { defineStage, skip } from "./_stage.ts";
import { auExtract, type AuExtractOutput } from "./au-extract.ts";
import { extractAudio } from "./extract-audio.ts";
import { transcript, type TranscriptOutput } from "./transcript.ts";

export const AudioToneOptions = z.object({
  /**
   * Who describes the tone: `builtin` (merr's prosody analyzer and data/tone/wording.yaml),
   * `openai:<model>` (an audio chat model such as Qwen2-Audio-7B-Instruct behind vLLM's
   * OpenAI-compatible API) or `gemini:<model>`. The prosody features are measured in every case.
   * @defaultValue "builtin"
   */
  backend: specOption(parseToneSpec).default("builtin"),
  /** Wording file of the builtin backend, relative to the merr folder. @defaultValue "data/tone/wording.yaml" */
  wording: z.string().min(1).default("data/tone/wording.yaml"),
  /** Prompt of the model backends (prompts/<id>.md). @defaultValue "audio-tone/describe" */
  prompt: z.string().min(1).default("audio-tone/describe"),
  /** Longest accepted model description, in characters. @defaultValue 300 */
  maxChars: z.number().int().min(20).max(2000).default(300),
  /** Voiced speech needed to describe a tone (builtin backend); less is skipped as `no-speech`. @defaultValue 0.2 */
  minVoicedS: z.number().min(0).default(0.2),
});

const FeatureValue = z.number().nullable();
export const ToneFeaturesSummary = z.object(
  Object.fromEntries(TONE_FEATURES.map((k) => [k, FeatureValue])) as Record<(typeof TONE_FEATURES)[number], typeof FeatureValue>,
);

export const AudioToneOutput = z.object({
  /** MERR `audio_prior_list`: a tone fragment such as "speaks in a loud and fast voice with lively intonation." */
  description: z.string().min(1),
  /** Summary numbers of the prosody analysis (null = not measurable). */
  features: ToneFeaturesSummary,
  /** Absolute path of the JSON file with every feature and the per-frame pitch and level tracks. */
  featuresPath: z.string(),
  /** Measured arousal in [-1, 1] (loud, varied, fast, bright = high). */
  arousal: z.number().min(-1).max(1),
  /** `builtin` or the model spec that wrote the description. */
  backend: z.string(),
  /**
   * Whether the face's lips open for the voice's syllables (src/core/lip-sync.ts); absent when the built-in
   * face analyzer did not read the clip (OpenFace's AU25/AU26 are not checked against speech).
   */
  lipSync: z
    .object({
      verdict: z.enum(["moving", "still", "unclear", "not-seen"]),
      syllables: z.number().int().nonnegative(),
      seen: z.number().int().nonnegative(),
      opened: z.number().int().nonnegative(),
    })
    .optional(),
});
export type AudioToneOutput = z.infer<typeof AudioToneOutput>;

/** Spoken languages with one syllable per Han character (Mandarin, Cantonese). */
const HAN_SYLLABIC = /^(?:zh|cmn|yue)(?:$|[-_])/i;

/**
 * The text whose syllables give the speaking rate, and how to count them, or undefined: the syllable nuclei
 * of the audio. Pure.
 * - The words as spoken, when the source gives them apart from a translated subtitle (MER2023's `chinese`
 *   column): one syllable per Han character for Mandarin and Cantonese, the CMU dictionary for English.
 * - The transcript, when it is the spoken words: a recogniser's text, or a given transcript when the clip's
 *   spoken language is English (records without `spokenLanguage`, transcript before v4, count as English)
 *   or it is Mandarin or Cantonese written in Han characters.
 * - Not a given English transcript of speech in another language (MER2023's English sentences for
 *   Mandarin): a translation does not count what was said. On Chinese sentences read by espeak-ng
 *   (Cantonese) the audio's nuclei counted every syllable, the English translations' syllables were off by
 *   22 % on average (bench:tone, docs/audio.md).
 */
function syllableText(
  sample: Pick<Sample, "spokenTranscript">,
  t: Pick<TranscriptOutput, "text" | "language" | "spokenLanguage" | "spokenText"> | undefined,
): { text: string; count: "han" | "cmu"; from: "spoken" | "transcript" } | undefined {
  const spoken = t?.spokenLanguage ?? "en";
  const han = (text: string): boolean => HAN_SYLLABIC.test(spoken) && /\p{Script=Han}/u.test(text);
  // The source's words as spoken, else those of a subtitle stream in the spoken language.
  const words = (sample.spokenTranscript ?? t?.spokenText)?.trim() ?? "";
  if (words !== "" && han(words)) return { text: words, count: "han", from: "spoken" };
  if (words !== "" && isEnglishCode(spoken)) return { text: words, count: "cmu", from: "spoken" };
  if (!t || t.text.trim() === "") return undefined;
  if (han(t.text)) return { text: t.text, count: "han", from: "transcript" };
  // A recogniser names its text's language (the spoken one); a given transcript has none, and counts only
  // when English is spoken.
  return isEnglishCode(t.language ?? spoken) && isEnglishCode(spoken) ? { text: t.text, count: "cmu", from: "transcript" } : undefined;
}

/**
 * The lip check of the face the built-in analyzer followed against the voice's syllable nuclei, with the
 * opening per syllable (null: face not seen) for the features file; undefined without a built-in CSV.
 */
async function checkLips(
  au: AuExtractOutput | undefined,
  nucleiS: readonly number[],
  media: string,
  signal: AbortSignal,
): Promise<{ lipSync: LipSync; openings: (number | null)[]; audioOffsetS: number } | undefined> {
  // OpenFace's AU25/AU26 regressors: on the OpenFace fixture of a talking face (15 fps, no audio) the lips
  // rise by 0.5 around only a fifth of instants 0.25 s apart, where the built-in analyzer at 15 fps opens
  // for 26 of 30 of the sample actor's syllables; a face that talks could read `still`. Not checked.
  if (au?.extractor !== "builtin") return undefined;
  const table = parseOpenFaceCsv(await readFile(au.csvPath, "utf8"), { file: au.csvPath });
  // The nuclei are on the WAV's clock, the CSV on the video's: a clip whose audio starts later (or earlier)
  // than its picture would otherwise be checked against the wrong frames.
  const audioOffsetS = await audioStartOffset(media, { signal, timeoutMs: 120_000 });
  const openings = syllableOpenings(nucleiS.map((t) => t + audioOffsetS), lipOpening(table));
  return { lipSync: judgeLipSync(openings), openings: openings.map((o) => (o === undefined ? null : Math.round(o * 100) / 100)), audioOffsetS };
}

export const audioTone = defineStage({
  name: "audio-tone",
  // The words as spoken (MER2023's chinese column) give the speaking rate's syllables.
  // The media: where its audio starts against its picture (the lip check's clocks).
  reads: ["spokenTranscript", "media"],
  // 2: the speaking rate counts the syllables of the words as spoken when the source gives them (one per
  // Han character for Mandarin), never those of a translated subtitle (syllableText). 3: speech is found
  // as in Praat (no click or noise burst under 0.1 s is speech) with its threshold set over the frames
  // that hold sound, so digital silence around a clip changes nothing (findSpeech in prosody.ts).
  // 4: the lip check (lipSync): do the followed face's lips open for the voice's syllables? It reads au-extract.
  // 5: the pitch track corrects octave errors (a path through YIN's candidates, pieces an octave off their
  // register folded back; analyzePitch in pitch.ts), and jitter and shimmer skip octave-corrected frames:
  // the disgust sample's octave jumps read as "highly varied intonation" and "a shaky quality". The builtin
  // backend skips a steady tone as no-speech (steadySound in steady-sound.ts): a 440 Hz sine was "a loud,
  // very high-pitched and slow voice".
  version: 5,
  // Too little speech to describe (or a voiced sound that is a steady tone, not a voice), or the audio model
  // refused to describe it: the sample goes on without a tone (its coarse caption says that hardly any voice
  // is heard, or that the tone could not be analysed).
  partialSkips: ["no-speech", "refused"],
  // The wording file gives the builtin description and every backend's arousal; a model backend is also
  // asked with the prompt. Editing either redoes the stage.
  dataFiles: (options) => [path.resolve(projectPath(), options.wording), ...(options.backend === "builtin" ? [] : [promptFile(options.prompt)])],
  checkOptions: async (options) => {
    await loadToneWording(path.resolve(projectPath(), options.wording));
    if (options.backend !== "builtin") loadPrompt(options.prompt);
  },
  description: "Tone of voice (MERR audio_prior_list): measured prosody, described by rules or by an audio model; whether the face's lips open for the voice's syllables",
  needs: { "extract-audio": extractAudio },
  uses: { transcript, "au-extract": auExtract },
  options: AudioToneOptions,
  output: AudioToneOutput,
  async run({ sample, options, deps }, ctx) {
    const spec = parseToneSpec(options.backend);
    const wordingFile = path.resolve(projectPath(), options.wording);
    const wording = await ctx.resource(`tone-wording:${wordingFile}:${fileStamp(wordingFile)}`, () => loadToneWording(wordingFile));
    const text = deps.transcript?.text ?? "";
    let transcriptSyllables: number | undefined;
    const counted = syllableText(sample, deps.transcript);
    if (counted?.count === "han") transcriptSyllables = counted.text.match(/\p{Script=Han}/gu)?.length || undefined;
    else if (counted) {
      const dict = await ctx.resource("cmu-syllables", () => loadSyllableDictionary());
      transcriptSyllables = countSyllables(counted.text, dict) || undefined;
    }

    ctx.progress(10, "measuring prosody");
    const pcm = await loadPcm16k(deps["extract-audio"].wavPath, { signal: ctx.signal });
    const analysis = analyzeProsody(pcm.samples, { sampleRate: pcm.sampleRate, ...(transcriptSyllables ? { transcriptSyllables } : {}) });
    const f = analysis.features;
    const rules = describeTone(f, wording);
    const featuresPath = path.join(ctx.sampleDir, "audio-tone.features.json");
    const lips = await checkLips(deps["au-extract"], analysis.tracks.nucleiS, sample.path, ctx.signal);
    await writeJsonAtomic(featuresPath, {
      features: f,
      words: rules.words,
      arousal: rules.arousal,
      tracks: analysis.tracks,
      ...(lips ? { lipOpenings: lips.openings } : {}),
    });
    const lipSync = lips ? { lipSync: lips.lipSync } : {};
    const features = Object.fromEntries(TONE_FEATURES.map((k) => [k, f[k]])) as z.infer<typeof ToneFeaturesSummary>;
    ctx.provenance({
      wording: options.wording,
      wordingHash: hashJson(wording),
      syllableSource: f.syllableSource,
      syllablesFrom: transcriptSyllables !== undefined && counted ? counted.from : "audio",
      ...(lips ? (lips.audioOffsetS !== 0 ? { audioOffsetS: lips.audioOffsetS } : {}) : { lipSync: deps["au-extract"] ? "not checked: OpenFace CSV" : "not checked: no face analysis" }),
    });

    const voicedS = f.voicedRatio * f.speechS;
    if (spec.kind === "builtin") {
      if (voicedS < options.minVoicedS) {
        return skip("no-speech", `no voiced speech to describe (${voicedS.toFixed(2)} s voiced; ${options.minVoicedS} s needed)`);
      }
      // A sine, a beep or a held synthesiser note is periodic, so it measures as voiced; described as a
      // voice it read "a loud, very high-pitched and slow voice with flat, monotone intonation".
      const steady = steadySound(f);
      if (steady) return skip("no-speech", steady);
      return { description: rules.description, features, featuresPath, arousal: rules.arousal, backend: "builtin", ...lipSync };
    }

    ctx.progress(40, `asking ${spec.model.spec}`);
    const client = await modelClientFromContext(ctx, spec.model.spec);
    const prompt = renderPrompt(loadPrompt(options.prompt), {
      transcriptNote: text ? `The person says: "${text.replace(/"/g, "'")}". ` : "",
    });
    const limits = { maxChars: options.maxChars, source: spec.model.spec };
    const answer = await client.generate({
      promptId: prompt.promptId,
      ...(prompt.system !== undefined ? { system: prompt.system } : {}),
      prompt: prompt.prompt,
      audio: [{ path: deps["extract-audio"].wavPath }],
      maxTokens: 96,
      temperature: 0.2,
      signal: ctx.signal,
      // Inside the model layer: an empty, wordless or over-long answer fails the call (the queue asks
      // again, bounded) and is never cached. A refusal is an answer (kept, and skipped below), as in
      // visual-describe: asking again mostly gets the same words.
      check: (answerText) => void (looksLikeRefusal(answerText) || checkToneAnswer(answerText, limits)),
    });
    ctx.provenance({ prompt: prompt.promptId, model: answer.model, cached: answer.cached });
    if (answerIsRefusal(answer)) return skip("refused", `${spec.model.spec} refused to describe the tone: ${answer.text.slice(0, 120)}`);
    const description = checkToneAnswer(answer.text, limits);
    return { description, features, featuresPath, arousal: rules.arousal, backend: spec.model.spec, ...lipSync };
  },
});
