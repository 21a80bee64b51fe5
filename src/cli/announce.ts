import { isEnglishCode } from "../adapters/audio/specs.ts";
import { hasGivenTranscript, type Sample } from "../core/types.ts";
import type { Plan } from "../runtime/plan.ts";

/**
 * What `merr build` says once at its start, after the source's notes (which CSV columns it read) and
 * before any job runs: where the subtitles come from (the source, speech recognition, or nowhere), so
 * no choice happens silently.
 */
export function buildAnnouncements(plan: Plan, samples: readonly Sample[], flags: { source?: string; transcripts?: string } = {}): string[] {
  const lines: string[] = [];
  const transcript = plan.stages.get("transcript");
  if (!transcript) return lines;
  const o = transcript.options as { asr?: string; preferGiven?: boolean; language?: string; subtitleStreams?: boolean };
  const n = samples.length;
  const given = o.preferGiven === false ? 0 : samples.filter(hasGivenTranscript).length;
  const rest = n - given;
  if (rest === 0) return [...lines, `transcripts: all ${n} from the source; no speech recognition`];
  const which = given === 0 ? `none of the ${n} samples has a transcript from the source` : `${rest} of ${n} samples have no transcript from the source`;
  // The transcript stage reads a clip's text subtitle stream before any recognition (unless turned off).
  const streams = o.subtitleStreams !== false;
  const first = streams ? "; a text subtitle stream in a clip is read first" : "";
  const them = streams ? "the others" : "they";
  if (o.asr === "none" || o.asr === undefined) return [...lines, `transcripts: ${which}${first}; --asr is none: ${them} get no subtitle`];
  const lang = o.language ?? "en";
  if (o.asr === "pocketsphinx" && !isEnglishCode(lang)) {
    return [...lines, `transcripts: ${which}${first}; pocketsphinx knows English only and --language is ${lang}: ${them} get no subtitle (asr-language-unsupported); use --asr openai:<model> or gemini:<model>, or ${transcriptHint(flags)}`];
  }
  return [...lines, `transcripts: ${which}${first}; speech recognition (--asr ${o.asr}, --language ${lang}) transcribes ${streams ? "the others" : "them"}, and a recognition becomes the subtitle only if it passes the transcript gate`];
}

/** Where the source could take the missing transcripts from, given what the build was given. Pure. */
function transcriptHint(flags: { source?: string; transcripts?: string }): string {
  const source = flags.source?.toLowerCase();
  if (source === "manifest") return "a transcript column in the manifest";
  if (source === "folder") return "a subtitle file beside each clip (<clip>.srt, or <clip>.en.srt and <clip>.<spoken language>.srt) or --source manifest with a transcript column";
  if (source !== "mer2023-semi") return "--source manifest with a transcript column";
  if (!flags.transcripts) return "--transcripts <the transcription CSV>";
  return `rows for them in --transcripts ${flags.transcripts} (a name is the video's file stem, with or without its extension)`;
}

/**
 * How many samples pocketsphinx will transcribe in this build: those without a transcript from the source,
 * when the plan recognises speech with pocketsphinx in English (0 otherwise). Pure.
 */
export function pocketsphinxSamples(plan: Plan, samples: readonly Sample[]): number {
  const o = plan.stages.get("transcript")?.options as { asr?: string; preferGiven?: boolean; language?: string } | undefined;
  if (!o || o.asr !== "pocketsphinx" || !isEnglishCode(o.language ?? "en")) return 0;
  return o.preferGiven === false ? samples.length : samples.filter((s) => !hasGivenTranscript(s)).length;
}
