import path from "node:path";
import { MerrError } from "../core/errors.ts";
import type { Sample } from "../core/types.ts";
import { assignIds } from "./assign-ids.ts";
import { findColumn, readCsv, requireColumn } from "./csv.ts";

/**
 * A CSV with a `path` column (relative to the CSV's folder or absolute) and optional `id`, `label` and
 * `transcript` (or `text`, `sentence`) columns.
 */
export async function manifestSource(file: string, notes?: string[]): Promise<Sample[]> {
  const rows = await readCsv(file, "--manifest");
  const header = Object.keys(rows[0] ?? {});
  const pathCol = requireColumn(file, header, "path", ["path", "file", "video"]);
  const idCol = findColumn(header, ["id", "name"]);
  const labelCol = findColumn(header, ["label", "emotion"]);
  const textCol = findColumn(header, ["transcript", "text", "sentence"]);
  const used = [`path "${pathCol}"`, ...(idCol ? [`id "${idCol}"`] : []), ...(labelCol ? [`label "${labelCol}"`] : []), ...(textCol ? [`transcript "${textCol}"`] : [])];
  notes?.push(`--input ${path.basename(file)}: columns ${used.join(", ")}${textCol ? "" : " (no transcript column: transcript, text or sentence)"}`);
  const dir = path.dirname(path.resolve(file));
  const candidates = rows.map((r, i) => {
    const p = r[pathCol];
    if (!p) throw new MerrError("E_DATA_INVALID", `${file}:${i + 2}: empty path`);
    return {
      path: path.resolve(dir, p),
      relative: p,
      id: idCol && r[idCol] ? r[idCol] : undefined,
      label: labelCol ? r[labelCol] || undefined : undefined,
      transcript: textCol ? r[textCol] ?? undefined : undefined,
    };
  });
  return assignIds(candidates).map((c) => ({
    id: c.id,
    path: c.path,
    source: "manifest",
    ...(c.label ? { label: c.label } : {}),
    ...(c.transcript !== undefined ? { transcript: c.transcript } : {}),
  }));
}
