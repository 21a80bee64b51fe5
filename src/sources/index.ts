import { MerrError } from "../core/errors.ts";
import { readRunSampleIds } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";
import { folderSource } from "./folder.ts";
import { manifestSource } from "./manifest.ts";
import { mer2023Source } from "./mer2023.ts";
import { SOURCE_NAMES } from "./names.ts";
import { bundledSampleSource } from "./sample.ts";

export interface SourceOptions {
  source: string;
  /** folder / mer2023-semi: the clips folder; manifest: the CSV. */
  input?: string;
  /** mer2023-semi: the transcription CSV. */
  transcripts?: string;
  limit?: number;
  ids?: string[];
  /** Receives what the user should know about the source: which CSV columns it read, rewritten ids, out-of-set labels, skipped folders. */
  notes?: string[];
  /**
   * The run folder (`merr build --out`): a clip the run already holds keeps its id there (sources/assign-ids.ts).
   * Without it, ids are those of a new run.
   */
  runDir?: string;
  /** What the clips speak (`--language`, ISO 639-1): folder picks the subtitle file in that language as the words as spoken. */
  language?: string;
}

/** Lists the samples of a source, then applies `--ids` and `--limit` (in id order). */
export async function loadSamples(o: SourceOptions): Promise<Sample[]> {
  return selectSamples(await listSamples(o), o);
}

/** Every sample of a source, in id order, before `--ids` and `--limit`. */
export async function listSamples(o: SourceOptions): Promise<Sample[]> {
  const name = o.source.toLowerCase();
  const need = (flag: string, v: string | undefined): string => {
    if (!v) throw new MerrError("E_USAGE", `--source ${o.source} needs --${flag}`);
    return v;
  };
  const run = o.runDir ? readRunSampleIds(o.runDir) : undefined;
  switch (name) {
    case "sample":
      return bundledSampleSource(run);
    case "folder":
      return folderSource(need("input <folder>", o.input), { notes: o.notes, run, language: o.language });
    case "manifest":
      return manifestSource(need("input <file.csv>", o.input), o.notes, run);
    case "mer2023-semi":
      return mer2023Source(need("input <video folder>", o.input), o.transcripts, { notes: o.notes, run });
    default:
      throw new MerrError("E_USAGE", `unknown --source "${o.source}"; choose one of ${SOURCE_NAMES.join(", ")}`);
  }
}

/** Applies `--ids` and `--limit` to a source's samples; E_USAGE for an unknown id or when nothing is left. */
export function selectSamples(all: Sample[], o: SourceOptions): Sample[] {
  let samples = all;
  if (o.ids?.length) {
    // Ids are NFC (core/ids.ts); a terminal may type them decomposed.
    const ids = o.ids.map((id) => id.normalize("NFC"));
    const known = new Set(samples.map((s) => s.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) throw new MerrError("E_USAGE", `--ids: no sample with id ${unknown.slice(0, 5).join(", ")} in --source ${o.source}`);
    const wanted = new Set(ids);
    samples = samples.filter((s) => wanted.has(s.id));
  }
  if (o.limit !== undefined) samples = samples.slice(0, o.limit);
  if (samples.length === 0) throw new MerrError("E_USAGE", `--source ${o.source}${o.input ? ` --input ${o.input}` : ""}: no video files found (looked for .mp4 .avi .mkv .flv .webm .mov .m4v)`);
  return samples;
}
