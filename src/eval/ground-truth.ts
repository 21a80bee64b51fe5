import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { MerrError } from "../core/errors.ts";
import { toSafeId } from "../core/ids.ts";

const ID_COLUMNS = ["name", "sample", "sample_id", "id", "clip_id", "file", "filename", "path", "video"];
const LABEL_COLUMNS = ["label", "emotion_code", "emotion", "gt", "ground_truth", "class", "discrete"];

export interface GroundTruthOptions {
  /** Column naming the clip (an id, a file name or a path). Detected from common names when absent. */
  idColumn?: string;
  /** Column holding the label. Detected when absent (`label`, then `emotion_code`, `emotion`...). */
  labelColumn?: string;
}

export interface GroundTruth {
  file: string;
  idColumn: string;
  labelColumn: string;
  /** Raw label by every key a sample id may match: the value itself and the safe id of its file stem. */
  byKey: Map<string, string>;
  rows: number;
  /** The id cells, in file order (what an error shows when none matches a sample). */
  ids: string[];
}

const pickColumn = (header: string[], wanted: string | undefined, candidates: string[], what: string, file: string): string => {
  const lower = header.map((h) => h.trim().toLowerCase());
  if (wanted) {
    const i = lower.indexOf(wanted.toLowerCase());
    if (i < 0) throw new MerrError("E_USAGE", `${file}: no column "${wanted}" (columns: ${header.join(", ")})`);
    return header[i]!;
  }
  for (const c of candidates) {
    const i = lower.indexOf(c);
    if (i >= 0) return header[i]!;
  }
  throw new MerrError("E_DATA_INVALID", `${file}: cannot tell the ${what} column (columns: ${header.join(", ")}); pass --${what === "id" ? "id" : "label"}-column`);
};

/**
 * Loads a labels CSV (CREMA-D's `labels.csv`, or any `name,label` file). A row matches a sample whose
 * id equals the id cell or the safe id of the cell's file stem (`1001_DFA_ANG_XX.flv` -> `1001_DFA_ANG_XX`).
 */
export async function loadGroundTruth(file: string, options: GroundTruthOptions = {}): Promise<GroundTruth> {
  let records: Array<Record<string, string>>;
  try {
    records = parseCsv(await readFile(file, "utf8"), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === "ENOENT" ? "E_USAGE" : "E_DATA_INVALID";
    throw new MerrError(code, `cannot read labels file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const header = Object.keys(records[0] ?? {});
  if (header.length === 0) throw new MerrError("E_DATA_INVALID", `${file}: no rows`);
  const idColumn = pickColumn(header, options.idColumn, ID_COLUMNS, "id", file);
  const labelColumn = pickColumn(header, options.labelColumn, LABEL_COLUMNS, "label", file);
  const byKey = new Map<string, string>();
  const ids: string[] = [];
  for (const r of records) {
    const id = r[idColumn]?.trim();
    const label = r[labelColumn]?.trim();
    if (id) ids.push(id);
    if (!id || label === undefined) continue;
    byKey.set(id, label);
    byKey.set(toSafeId(path.basename(id, path.extname(id))), label);
  }
  return { file, idColumn, labelColumn, byKey, rows: records.length, ids };
}
