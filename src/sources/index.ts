import { MerrError } from "../core/errors.ts";
import type { Sample } from "../core/types.ts";
import { folderSource } from "./folder.ts";
import { manifestSource } from "./manifest.ts";
import { mer2023Source } from "./mer2023.ts";
import { bundledSampleSource } from "./sample.ts";

export const SOURCE_NAMES = ["sample", "folder", "manifest", "mer2023-semi"] as const;

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
}

/** Lists the samples of a source, then applies `--ids` and `--limit` (in id order). */
export async function loadSamples(o: SourceOptions): Promise<Sample[]> {
  const name = o.source.toLowerCase();
  const need = (flag: string, v: string | undefined): string => {
    if (!v) throw new MerrError("E_USAGE", `--source ${o.source} needs --${flag}`);
    return v;
  };
  let samples: Sample[];
  switch (name) {
    case "sample":
      samples = await bundledSampleSource();
      break;
    case "folder":
      samples = await folderSource(need("input <folder>", o.input), { notes: o.notes });
      break;
    case "manifest":
      samples = await manifestSource(need("input <file.csv>", o.input), o.notes);
      break;
    case "mer2023-semi":
    case "mer2023":
      samples = await mer2023Source(need("input <video folder>", o.input), o.transcripts, o.notes);
      break;
    default:
      throw new MerrError("E_USAGE", `unknown --source "${o.source}"; choose one of ${SOURCE_NAMES.join(", ")}`);
  }
  if (o.ids?.length) {
    const known = new Set(samples.map((s) => s.id));
    const unknown = o.ids.filter((id) => !known.has(id));
    if (unknown.length) throw new MerrError("E_USAGE", `--ids: no sample with id ${unknown.slice(0, 5).join(", ")} in --source ${o.source}`);
    const wanted = new Set(o.ids);
    samples = samples.filter((s) => wanted.has(s.id));
  }
  if (o.limit !== undefined) samples = samples.slice(0, o.limit);
  if (samples.length === 0) throw new MerrError("E_USAGE", `--source ${o.source}${o.input ? ` --input ${o.input}` : ""}: no video files found (looked for .mp4 .avi .mkv .flv .webm .mov .m4v)`);
  return samples;
}
