import { z } from "zod";
import { MerrError } from "../core/errors.ts";
import { chooseSubtitles, parseSubtitles, primaryLanguage, subtitleText } from "../core/subtitles.ts";
import { assessTranscript, GATE_DEFAULTS, wordsOfText, type GateWord } from "../core/transcript-gate.ts";
import { hasGivenTranscript } from "../core/types.ts";
import { isEnglishCode, parseAsrSpec, transcribeWithPocketsphinx } from "../adapters/audio/index.ts";
import { modelClientFromContext } from "../adapters/models/index.ts";
import { subtitleStreamAsSrt, subtitleStreams } from "../adapters/tools/ffmpeg.ts";
import { specOption } from "./_options.ts";
import { defineStage, skip, type StageContext } from "./_stage.ts";
import { extractAudio } from "./extract-audio.ts";

export const TranscriptOptions = z.object({
  /**
   * Speech recogniser used when the source gives no transcript: `none`, `pocketsphinx` (offline,
   * English only), `openai:<model>` (any OpenAI-compatible `/v1/audio/transcriptions` server, e.g.
   * a local whisper server) or `gemini:<model>`.
   * @defaultValue "pocketsphinx"
   */
  asr: specOption(parseAsrSpec).default("pocketsphinx"),
  /** Use the source's transcript (MER2023 CSV, manifest column, subtitle file beside the clip) when it has one. @defaultValue true */
  preferGiven: z.boolean().default(true),
  /**
   * Without a transcript from the source, read a text subtitle stream of the clip (SubRip, ASS, mov_text,
   * WebVTT: the English one, else one without a language, else one in the spoken language) before any
   * speech recognition. @defaultValue true
   */
  subtitleStreams: z.boolean().default(true),
  /**
   * What is spoken (ISO 639-1, e.g. `en`, `zh`; `merr build --language`). Remote recognisers get it as
   * their hint; pocketsphinx knows English only and refuses any other (`asr-language-unsupported`).
   * @defaultValue "en"
   */
  language: z.string().min(2).max(8).default("en"),
  /**
   * Lowest recogniser confidence (geometric mean of the word posteriors) of a transcript that becomes a
   * subtitle; below it the transcript is recorded as rejected and the clip has no subtitle
   * (core/transcript-gate.ts says where 0.475 comes from). @defaultValue 0.475
   */
  minConfidence: z.number().min(0).max(1).default(GATE_DEFAULTS.minConfidence),
  /** Fewest recognised words of a subtitle. @defaultValue 3 */
  minWords: z.number().int().min(1).default(GATE_DEFAULTS.minWords),
  /** Longest accepted transcript in characters (longer is a broken recognition). @defaultValue 2000 */
  maxChars: z.number().int().positive().default(2000),
});

/** The transcript gate's verdict on a recognised transcript (absent for given transcripts). */
export const TranscriptGate = z.object({
  status: z.enum(["accepted", "rejected"]),
  /** Why it was rejected: low-confidence, too-few-words, implausible-rate, repetitive, asr-language-unsupported. */
  reason: z.string().optional(),
  detail: z.string().optional(),
  figures: z
    .object({
      words: z.number(),
      confidence: z.number().nullable(),
      lowConfidenceShare: z.number().nullable(),
      wordsPerSecond: z.number(),
      repetition: z.number(),
    })
    .optional(),
  /** The recognised text that was not used, for inspection. */
  rejectedText: z.string().optional(),
});

export const TranscriptOutput = z.object({
  /**
   * The subtitle (MERR `text`); "" when nothing was said, no recogniser is configured (`asr: none`) or
   * the gate rejected the recognised text.
   */
  text: z.string(),
  /**
   * `given` (from the source), `subtitle-stream` (a text subtitle stream of the clip), `asr:<backend>`
   * (`asr:pocketsphinx`, `asr:openai:whisper-1`) or `none`.
   */
  source: z.string().regex(/^(?:given|none|subtitle-stream|asr:.+)$/),
  /** Language of the text when known (a recogniser's; null for a given transcript, which may be a translation). */
  language: z.string().nullable(),
  /**
   * What is spoken in the clip (the stage's `language` option, `merr build --language`). A given transcript
   * may be in another language (MER2023: English sentences for Mandarin speech). Absent in records of
   * transcript versions before 4.
   */
  spokenLanguage: z.string().optional(),
  /**
   * The words as spoken, when a subtitle stream in the spoken language stands beside the subtitle in another
   * (the English one): the speaking rate's syllables, as a source's `spokenTranscript`.
   */
  spokenText: z.string().optional(),
  gate: TranscriptGate.optional(),
});
export type TranscriptOutput = z.infer<typeof TranscriptOutput>;

/** One line, single spaces. Pure. */
export function normaliseTranscript(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export const transcript = defineStage({
  name: "transcript",
  // The media: its subtitle streams (version 5).
  reads: ["transcript", "media"],
  // 2: without audio (and without a given transcript) the stage is skipped as no-audio, not done with
  // source "none"; recognised text passes the confidence gate (core/transcript-gate.ts).
  // 3: pocketsphinx decodes from the clip's own cepstral mean (a first pass estimates it); the gate
  // needs at least 3 words (minWords).
  // 4: the output says what is spoken (`spokenLanguage`), so audio-tone can tell a translated subtitle
  // from the spoken words. 5: a text subtitle stream of the clip comes before speech recognition
  // (`subtitleStreams`).
  version: 5,
  // No audio and no transcript from the source: the sample goes on without words.
  partialSkips: ["no-audio"],
  description: "The subtitle: the source's transcript, else a text subtitle stream of the clip, else speech recognition (pocketsphinx, OpenAI-compatible, Gemini) that passes the confidence gate",
  uses: { "extract-audio": extractAudio },
  options: TranscriptOptions,
  output: TranscriptOutput,
  async run({ sample, options, deps }, ctx) {
    if (options.preferGiven && hasGivenTranscript(sample)) {
      ctx.provenance({ transcriptSource: sample.source });
      return { text: normaliseTranscript(sample.transcript as string), source: "given", language: null, spokenLanguage: options.language };
    }
    if (options.subtitleStreams) {
      const fromStream = await transcriptFromStreams(sample.path, options.language, ctx);
      if (fromStream) return fromStream;
    }
    const asr = parseAsrSpec(options.asr);
    const audio = deps["extract-audio"];
    // extract-audio is a `uses`: it is absent when it was skipped (no audio track) or did not finish.
    if (!audio) return skip("no-audio", "no audio to transcribe (extract-audio gave no WAV) and the source gives no transcript");
    if (asr.kind === "none") {
      ctx.provenance({ asr: "none" });
      return { text: "", source: "none", language: null, spokenLanguage: options.language };
    }
    if (asr.kind === "pocketsphinx" && !isEnglishCode(options.language)) {
      ctx.provenance({ asr: "pocketsphinx", refused: options.language });
      return {
        text: "",
        source: "asr:pocketsphinx",
        language: options.language,
        spokenLanguage: options.language,
        gate: {
          status: "rejected" as const,
          reason: "asr-language-unsupported",
          detail: `pocketsphinx's model is English (en-us) and the clip's language is "${options.language}": give transcripts (--transcripts or a manifest column) or use a recogniser for that language (--set transcript.asr=openai:<model>)`,
        },
      };
    }
    ctx.progress(10, "recognising speech");
    let text: string;
    let words: GateWord[];
    let source: string;
    let language: string | null;
    if (asr.kind === "pocketsphinx") {
      // Roughly real time on one core: allow ten times the duration, at least a minute.
      const r = await transcribeWithPocketsphinx(audio.wavPath, { signal: ctx.signal, timeoutMs: Math.max(60_000, audio.durationS * 10_000) });
      ctx.provenance({ asr: "pocketsphinx", tool: r.version });
      text = r.text;
      words = r.words;
      source = "asr:pocketsphinx";
      language = "en";
    } else {
      const client = await modelClientFromContext(ctx, asr.model.spec);
      if (!client.capabilities.transcribe) {
        throw new MerrError("E_MODEL_UNSUPPORTED", `${asr.model.spec} cannot transcribe audio`);
      }
      const r = await client.transcribe({ audio: { path: audio.wavPath }, language: options.language, signal: ctx.signal });
      ctx.provenance({ asr: asr.model.spec, model: r.model, cached: r.cached });
      text = r.text;
      words = wordsOfText(r.text);
      source = `asr:${asr.model.spec}`;
      language = r.language ?? options.language;
    }
    text = normaliseTranscript(text);
    if (text.length > options.maxChars) {
      throw new MerrError("E_MODEL_OUTPUT_INVALID", `transcript from ${source} is too long (${text.length} > ${options.maxChars} characters)`, {
        retryable: false,
      });
    }
    const verdict = assessTranscript(words, audio.durationS, { minConfidence: options.minConfidence, minWords: options.minWords });
    if (!verdict.reliable) {
      ctx.logger.debug({ source, reason: verdict.reason, figures: verdict.figures }, "transcript rejected");
      return { text: "", source, language, spokenLanguage: options.language, gate: { status: "rejected" as const, reason: verdict.reason, detail: verdict.detail, figures: verdict.figures, rejectedText: text } };
    }
    ctx.logger.debug({ source, chars: text.length }, "transcript ready");
    return { text, source, language, spokenLanguage: options.language, gate: { status: "accepted" as const, figures: verdict.figures } };
  },
});

/**
 * Whether an error leaves one subtitle stream unread rather than failing the sample: its text (not UTF-8, no
 * cue), or ffmpeg failing on that stream's decoding. Any other failure (a timeout, a killed tool, memory)
 * fails the try, so the queue tries again instead of caching a recognised transcript in its place.
 */
function unreadable(error: unknown): error is MerrError {
  if (!(error instanceof MerrError)) return false;
  if (error.code === "E_DATA_INVALID") return true;
  const said = String(error.details?.stderrTail ?? "");
  return error.code === "E_TOOL_FAILED" && /decod|Invalid data|not supported|unsupported|Subtitle encoding/i.test(said);
}

/** ffprobe and ffmpeg on one clip's subtitle streams: seconds normally; a stuck tool is stopped. */
const STREAM_TOOL_TIMEOUT_MS = 120_000;

/**
 * The transcript from the clip's text subtitle streams (forced ones left out), or undefined when it has none
 * with words. A stream that cannot be read (not UTF-8, a codec ffmpeg cannot decode) or holds no words is as
 * if it were not there: the next one in line serves. The provenance lists the streams and those left unread.
 */
async function transcriptFromStreams(file: string, spoken: string, ctx: StageContext): Promise<TranscriptOutput | undefined> {
  const streams = await subtitleStreams(file, { signal: ctx.signal, timeoutMs: STREAM_TOOL_TIMEOUT_MS });
  if (!streams.length) return undefined;
  const unread = streams.filter((s) => !s.text).map((s) => `${s.index} (${s.codec}: not a text subtitle ffmpeg can read)`);
  let left = streams.filter((s) => s.text && !s.forced).map((s) => ({ ...s, language: s.language === undefined ? undefined : primaryLanguage(s.language) }));
  const texts = new Map<number, string>();
  const words = async (s: (typeof left)[number]): Promise<string> => {
    if (!texts.has(s.index)) {
      let text = "";
      try {
        text = subtitleText(parseSubtitles(await subtitleStreamAsSrt(file, s.index, { signal: ctx.signal, timeoutMs: STREAM_TOOL_TIMEOUT_MS }), "srt", `${file} subtitle stream ${s.index}`));
      } catch (error) {
        if (!unreadable(error)) throw error;
        unread.push(`${s.index} (${error.reason})`);
      }
      texts.set(s.index, text);
    }
    return texts.get(s.index)!;
  };
  let found: { text: string; stream: (typeof left)[number]; spokenText: string } | undefined;
  for (;;) {
    const choice = chooseSubtitles(left, spoken);
    if (!choice.text) break;
    const text = await words(choice.text);
    if (!text) {
      left = left.filter((s) => s !== choice.text);
      continue;
    }
    // The words as spoken: the first stream in the spoken language that reads, in the order of preference.
    let spokenText = "";
    for (const s of choice.spoken ? [choice.spoken, ...choice.ignored.filter((x) => x.language === choice.spoken!.language)] : []) {
      if ((spokenText = await words(s))) break;
    }
    found = { text, stream: choice.text, spokenText };
    break;
  }
  ctx.provenance({
    subtitleStreams: streams.map((s) => ({ index: s.index, codec: s.codec, language: s.language ?? null, forced: s.forced })),
    ...(unread.length ? { subtitleStreamsUnread: unread } : {}),
    ...(found ? { subtitleStream: found.stream.index } : {}),
  });
  if (!found) return undefined;
  return {
    text: normaliseTranscript(found.text),
    source: "subtitle-stream",
    language: found.stream.language ?? null,
    spokenLanguage: spoken,
    ...(found.spokenText ? { spokenText: normaliseTranscript(found.spokenText) } : {}),
  };
}
