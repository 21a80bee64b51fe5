import path from "node:path";
import { MerrError } from "../core/errors.ts";
import type { Sample } from "../core/types.ts";
import { listVideos } from "./folder.ts";
import { findColumn, readCsv } from "./csv.ts";
import { assignIds } from "./assign-ids.ts";

/**
 * The MER2023 layout: a folder of clips named `<name>.<ext>` (e.g. `sample_00000003.mp4`) and a
 * transcription CSV with a name column and an English sentence column (`transcription_en_all.csv`:
 * `name,sentence`; the release also has `english` / `english_sentence` spellings). Ids are file stems.
 */
export async function mer2023Source(videoDir: string, transcriptCsv?: string): Promise<Sample[]> {
  const root = path.resolve(videoDir);
  const files = await listVideos(root);
  const text = new Map<string, string>();
  if (transcriptCsv) {
    const rows = await readCsv(transcriptCsv, "--transcripts");
    const header = Object.keys(rows[0] ?? {});
    const nameCol = findColumn(header, ["name", "names", "video", "id"]);
    const sentCol = findColumn(header, ["sentence", "english", "english_sentence", "en", "text", "transcript"]);
    if (!nameCol || !sentCol) {
      throw new MerrError("E_DATA_INVALID", `${transcriptCsv}: needs a name column and an English sentence column (found: ${header.join(", ")})`);
    }
    for (const r of rows) if (r[nameCol]) text.set(r[nameCol] as string, r[sentCol] ?? "");
  }
  return assignIds(files.map((f) => ({ path: f, relative: path.relative(root, f) }))).map((c) => {
    const stem = path.basename(c.path, path.extname(c.path));
    const t = text.get(stem);
    return { id: c.id, path: c.path, source: "mer2023-semi", ...(t !== undefined ? { transcript: t } : {}) };
  });
}
