import type { MerrEntry } from "../core/merr-entry.ts";
import type { MediaPaths } from "./media.ts";
import { formatValence } from "./merr-format.ts";
import type { Selection } from "./select.ts";

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or when `always`. */
export function csvField(value: string, always = false): string {
  if (always || /[",\r\n]/.test(value) || value !== value.trim()) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

export const csvRow = (fields: readonly string[]): string => fields.map((f) => csvField(f)).join(",");

/**
 * Strings pandas' `read_csv` turns into NaN by default (`keep_default_na=True`), quoted or not. A
 * sentence equal to one of them would reach the prompt as "nan".
 */
export const PANDAS_NA_TOKENS: ReadonlySet<string> = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]);

/**
 * What the trainer's prompt shows for a clip without a transcript. pandas reads an empty field (even a
 * quoted `""`) as NaN, which the trainer would print as "nan"; a visible marker stays a string. It says
 * only what merr knows: "(no speech)" when the clip was measured to hold none (no sound track, or under
 * audio-tone's `minVoicedS` of voiced sound), else "(no transcript)" (the recognition was rejected or not
 * run: there may well be speech).
 */
export const NO_SPEECH_SENTENCE = "(no speech)";
export const NO_TRANSCRIPT_SENTENCE = "(no transcript)";

/** The marker for `entry` when it has no text: `override` (`--empty-sentence`), else what merr measured. */
export function emptySentenceOf(entry: Pick<MerrEntry, "reasons" | "notes">, override?: string): string {
  if (override !== undefined) return override;
  // A clip without audio or speech is a done sample with the part in its notes, or (records of merr before
  // partial skips, and samples that stopped later) a reason.
  const silent = [...entry.reasons, ...(entry.notes ?? [])].some((r) => (r.stage === "extract-audio" && r.code === "no-audio") || (r.stage === "audio-tone" && r.code === "no-speech"));
  return silent ? NO_SPEECH_SENTENCE : NO_TRANSCRIPT_SENTENCE;
}

/**
 * The sentence written to `transcription_en_all.csv`: whitespace collapsed to single spaces (one line per
 * row), an empty text replaced by `emptySentence`, and a text equal to a pandas NA token ("None", "NA")
 * given a final period so it stays a string.
 */
export function csvSentence(text: string | undefined, emptySentence: string): string {
  const t = (text ?? "").replace(/\s+/g, " ").trim();
  if (t === "") return emptySentence;
  return PANDAS_NA_TOKENS.has(t) ? `${t}.` : t;
}

/** `transcription_en_all.csv` lines: header `name,sentence`, one row per name, sentences always quoted. */
export function* transcriptCsvLines(entries: ReadonlyArray<Pick<MerrEntry, "name" | "text" | "reasons" | "notes">>, emptySentence?: string): Generator<string> {
  yield "name,sentence";
  for (const e of entries) yield `${csvField(e.name)},${csvField(csvSentence(e.text, emptySentenceOf(e, emptySentence)), true)}`;
}

/** Every name listed in either set, once, sorted. */
export function listedEntries(sel: Selection): MerrEntry[] {
  const byName = new Map<string, MerrEntry>();
  for (const s of [...sel.coarse, ...sel.fine]) byName.set(s.entry.name, s.entry);
  return [...byName.keys()].sort().map((n) => byName.get(n)!);
}

export const CSV_COLUMNS = [
  "name", "status", "source", "path", "given_label", "pseu_emotion", "coarse_label", "fine_label", "valence",
  "confidence", "frame_count", "peak_index", "AU_list", "peak_AU_list", "visual_prior_list", "audio_prior",
  "lip_sync", "text", "text_source", "caption", "smp_reason_caption", "wav_path",
] as const;

const n = (v: number | undefined): string => (v === undefined ? "" : String(v));

/**
 * `merr.csv` lines: one row per kept sample, lists joined with `;`. Empty cells mean "no value". `path`
 * and `wav_path` are the exported video and audio, relative to the export folder.
 */
export function* entriesCsvLines(sel: Selection, media: (name: string) => MediaPaths): Generator<string> {
  const coarse = new Map(sel.coarse.map((s) => [s.entry.name, s.label]));
  const fine = new Map(sel.fine.map((s) => [s.entry.name, s.label]));
  yield CSV_COLUMNS.join(",");
  for (const e of sel.kept) {
    const m = media(e.name);
    yield csvRow([
        e.name, e.status, e.sample?.source ?? "", m.video ?? "", e.sample?.label ?? "", e.pseuEmotion ?? "",
        coarse.get(e.name) ?? "", fine.get(e.name) ?? "", e.valence === undefined ? "" : formatValence(e.valence),
        n(e.confidence), n(e.frameCount), n(e.peakIndex), e.auList.join(";"), e.peakAuList.join(";"),
        e.visualPriorList.join(";"), e.audioPrior ?? "", e.lipSync ?? "", e.text ?? "", e.textSource ?? "", e.caption ?? "",
        e.reason ?? "", m.audio ?? "",
      ]);
  }
}
