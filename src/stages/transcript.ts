import { z } from "zod";
import { MerrError } from "../core/errors.ts";
import { parseAsrSpec, transcribeWithPocketsphinx } from "../adapters/audio/index.ts";
import { modelClientFromContext } from "../adapters/models/index.ts";
import { defineStage } from "./_stage.ts";
import { extractAudio } from "./extract-audio.ts";

export const TranscriptOptions = z.object({
  /**
   * Speech recogniser used when the source gives no transcript: `none`, `pocketsphinx` (offline,
   * English only), `openai:<model>` (any OpenAI-compatible `/v1/audio/transcriptions` server, e.g.
   * a local whisper server) or `gemini:<model>`.
   * @defaultValue "pocketsphinx"
   */
  asr: z.string().min(1).default("pocketsphinx"),
  /** Use the source's transcript (MER2023 CSV, manifest column) when it has one. @defaultValue true */
  preferGiven: z.boolean().default(true),
  /** Spoken language hint (ISO 639-1) for remote recognisers; pocketsphinx is English only. @defaultValue "en" */
  language: z.string().min(2).max(8).default("en"),
  /** Longest accepted transcript in characters (longer is a broken recognition). @defaultValue 2000 */
  maxChars: z.number().int().positive().default(2000),
});

export const TranscriptOutput = z.object({
  /** The English subtitle (MERR `text`); "" when nothing was said or no recogniser is configured. */
  text: z.string(),
  /** `given` (from the source), `asr:<backend>` (`asr:pocketsphinx`, `asr:openai:whisper-1`) or `none`. */
  source: z.string().regex(/^(?:given|none|asr:.+)$/),
  /** Language of the text when known. */
  language: z.string().nullable(),
});
export type TranscriptOutput = z.infer<typeof TranscriptOutput>;

/** One line, single spaces. Pure. */
export function normaliseTranscript(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export const transcript = defineStage({
  name: "transcript",
  reads: ["transcript"],
  version: 1,
  description: "The subtitle: the source's transcript, else speech recognition (pocketsphinx, OpenAI-compatible, Gemini)",
  uses: { "extract-audio": extractAudio },
  options: TranscriptOptions,
  output: TranscriptOutput,
  async run({ sample, options, deps }, ctx) {
    if (options.preferGiven && sample.transcript !== undefined && sample.transcript.trim() !== "") {
      ctx.provenance({ transcriptSource: sample.source });
      return { text: normaliseTranscript(sample.transcript), source: "given", language: null };
    }
    const asr = parseAsrSpec(options.asr);
    const audio = deps["extract-audio"];
    if (asr.kind === "none" || !audio) {
      ctx.provenance({ asr: asr.kind === "none" ? "none" : `${options.asr} (no audio)` });
      return { text: "", source: "none", language: null };
    }
    ctx.progress(10, "recognising speech");
    let text: string;
    let source: string;
    let language: string | null;
    if (asr.kind === "pocketsphinx") {
      // Roughly real time on one core: allow ten times the duration, at least a minute.
      const r = await transcribeWithPocketsphinx(audio.wavPath, { signal: ctx.signal, timeoutMs: Math.max(60_000, audio.durationS * 10_000) });
      ctx.provenance({ asr: "pocketsphinx", tool: r.version });
      text = r.text;
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
      source = `asr:${asr.model.spec}`;
      language = r.language ?? options.language;
    }
    text = normaliseTranscript(text);
    if (text.length > options.maxChars) {
      throw new MerrError("E_MODEL_OUTPUT_INVALID", `transcript from ${source} is too long (${text.length} > ${options.maxChars} characters)`, {
        retryable: false,
      });
    }
    ctx.logger.debug({ source, chars: text.length }, "transcript ready");
    return { text, source, language };
  },
});
