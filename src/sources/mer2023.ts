import path from "node:path";
import { MerrError } from "../core/errors.ts";
import type { RunSampleIds } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";
import { listVideos } from "./folder.ts";
import { findColumn, readCsv, requireColumn } from "./csv.ts";
import { assignIds } from "./assign-ids.ts";
import { stripVideoExtension } from "./video-files.ts";

/**
 * The MER2023 layout: a folder of clips named `<name>.<ext>` (e.g. `sample_00000003.mp4`) and a
 * transcription CSV with a name column and an English sentence column (`transcription_en_all.csv`:
 * `name,sentence`; the release also has `english` / `english_sentence` spellings). Ids are file stems.
 * A `chinese` column, when there is one, gives the words as spoken (`spokenTranscript`): the speaking
 * rate counts their syllables, one per Han character (without it, the audio's syllable nuclei: an English
 * translation does not count what was said). A name matches the clip whose file stem it is, with or without
 * a video extension (`sample_00000003` or `sample_00000003.mp4`); names that match no clip are counted in a note.
 */
const MER2023_NAME_COLUMNS = ["name", "names", "video", "id"];
const MER2023_SENTENCE_COLUMNS = ["sentence", "english", "english_sentence", "en", "text", "transcript"];
const MER2023_SPOKEN_COLUMNS = ["chinese", "chinese_sentence", "zh", "sentence_zh"];

export async function mer2023Source(videoDir: string, transcriptCsv?: string, o: { notes?: string[]; run?: RunSampleIds } = {}): Promise<Sample[]> {
  const { notes } = o;
  const root = path.resolve(videoDir);
  const files = await listVideos(root, notes);
  const text = new Map<string, string>();
  const spoken = new Map<string, string>();
  /** Each name as the CSV writes it, by the stem it matches. */
  const written = new Map<string, string>();
  if (transcriptCsv) {
    const rows = await readCsv(transcriptCsv, "--transcripts");
    const header = Object.keys(rows[0] ?? {});
    const nameCol = requireColumn(transcriptCsv, header, "name", MER2023_NAME_COLUMNS);
    const sentCol = requireColumn(transcriptCsv, header, "English sentence", MER2023_SENTENCE_COLUMNS);
    const spokenCol = findColumn(header.filter((h) => h !== sentCol), MER2023_SPOKEN_COLUMNS);
    const ignored = header.filter((h) => h !== nameCol && h !== sentCol && h !== spokenCol);
    // MER2023's release ships name,chinese,english: say which column became the subtitle.
    notes?.push(
      `--transcripts ${path.basename(transcriptCsv)}: names from column "${nameCol}", sentences from column "${sentCol}"` +
        (spokenCol ? `, the words as spoken from column "${spokenCol}" (only for the speaking rate's syllables)` : "") +
        (ignored.length ? ` (ignored: ${ignored.map((h) => `"${h}"`).join(", ")})` : ""),
    );
    /** Line numbers (the header is line 1) of each name's rows. */
    const linesOf = new Map<string, number[]>();
    const conflicts = new Set<string>();
    rows.forEach((r, i) => {
      if (!r[nameCol]) return;
      const name = stripVideoExtension(r[nameCol] as string);
      const sentence = r[sentCol] ?? "";
      const said = spokenCol && r[spokenCol]?.trim() ? (r[spokenCol] as string) : undefined;
      linesOf.set(name, [...(linesOf.get(name) ?? []), i + 2]);
      // A name given twice with the same words is one row written twice; with other words it is ambiguous.
      if (text.has(name) && (text.get(name) !== sentence || spoken.get(name) !== said)) conflicts.add(name);
      written.set(name, r[nameCol] as string);
      text.set(name, sentence);
      if (said !== undefined) spoken.set(name, said);
    });
    if (conflicts.size > 0) {
      const listed = [...conflicts].slice(0, 5).map((n) => `"${n}" (lines ${linesOf.get(n)!.join(", ")})`);
      throw new MerrError(
        "E_DATA_INVALID",
        `--transcripts ${transcriptCsv}: ${conflicts.size} name${conflicts.size > 1 ? "s" : ""} with different sentences on different rows: ${listed.join(", ")}${conflicts.size > 5 ? ", ..." : ""}; keep one row per clip`,
      );
    }
    // MER2023's Chinese transcription file has a "sentence" column too: say so when it became the subtitle.
    const chinese = [...text.values()].filter((t) => /\p{Script=Han}/u.test(t)).length;
    if (chinese * 2 > text.size) {
      notes?.push(
        `--transcripts ${path.basename(transcriptCsv)}: ${chinese} of ${text.size} sentences in column "${sentCol}" are Chinese; ` +
          "MERR's subtitles are English (give the English transcription CSV, e.g. transcription_en_all.csv, to caption in English)",
      );
    }
  }
  const samples = assignIds(files.map((f) => ({ path: f, relative: path.relative(root, f) })), o.run).map((c) => {
    const stem = path.basename(c.path, path.extname(c.path));
    const t = text.get(stem);
    const s = spoken.get(stem);
    return { id: c.id, path: c.path, source: "mer2023-semi", ...(t !== undefined ? { transcript: t } : {}), ...(s !== undefined ? { spokenTranscript: s } : {}) };
  });
  if (transcriptCsv && text.size > 0) {
    const note = unmatchedNamesNote(path.basename(transcriptCsv), written, files, samples);
    if (note) notes?.push(note);
  }
  return samples;
}

/**
 * A note when names of the transcription CSV match no clip: how many matched, one that did not, the name
 * of a clip (one without a row, if any), and the fix; `undefined` when every name matched. Pure.
 */
export function unmatchedNamesNote(csv: string, names: ReadonlyMap<string, string>, files: readonly string[], samples: readonly Sample[]): string | undefined {
  const stems = new Set(files.map((f) => path.basename(f, path.extname(f))));
  const unmatched = [...names].filter(([stem]) => !stems.has(stem)).map(([, name]) => name);
  if (unmatched.length === 0) return undefined;
  const without = samples.filter((s) => s.transcript === undefined);
  const first = without[0] ?? samples[0];
  const clip = first ? path.basename(first.path, path.extname(first.path)) : undefined;
  return (
    `--transcripts ${csv}: ${names.size - unmatched.length} of ${names.size} names match a video under --input (a name matches the video's file stem, with or without its extension); ` +
    `${unmatched.length} match${unmatched.length === 1 ? "es" : ""} none, e.g. "${unmatched[0]}"` +
    (clip !== undefined ? `, while the videos are named like "${clip}"` : "") +
    (without.length ? `, and ${without.length} of ${samples.length} videos ${without.length === 1 ? "has" : "have"} no row` : "") +
    `. If the CSV is these clips' transcription, write the video file stems (e.g. "${clip ?? "sample_00000003"}") in its name column; rows for clips not under --input are ignored`
  );
}
