import { existsSync } from "node:fs";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { resolveLabel } from "../core/labels.ts";
import type { RunSampleIds } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";
import { assignIds } from "./assign-ids.ts";
import { findColumn, readCsv, requireColumn } from "./csv.ts";

/**
 * A CSV with a `path` column (relative to the CSV's folder or absolute) and optional `id`, `label`,
 * `transcript` (or `text`, `sentence`) and `spoken_transcript` (or `spoken`, `chinese`: the words as spoken
 * when the transcript is a translation; only the speaking rate reads them) columns. An id given with a video
 * extension (`clip.mp4`) stands for its stem. What the user should know about the rows (ids made safe,
 * paths that name no file, labels outside the MERR set) goes into `notes`, once per kind.
 */
export async function manifestSource(file: string, notes: string[] = [], run?: RunSampleIds): Promise<Sample[]> {
  const rows = await readCsv(file, "--manifest");
  const header = Object.keys(rows[0] ?? {});
  const pathCol = requireColumn(file, header, "path", ["path", "file", "video"]);
  const idCol = findColumn(header, ["id", "name"]);
  const labelCol = findColumn(header, ["label", "emotion"]);
  const textCol = findColumn(header, ["transcript", "text", "sentence"]);
  const spokenCol = findColumn(header, ["spoken_transcript", "spoken", "chinese"]);
  const used = [
    `path "${pathCol}"`,
    ...(idCol ? [`id "${idCol}"`] : []),
    ...(labelCol ? [`label "${labelCol}"`] : []),
    ...(textCol ? [`transcript "${textCol}"`] : []),
    ...(spokenCol ? [`words as spoken "${spokenCol}" (only for the speaking rate's syllables)`] : []),
  ];
  notes.push(`--input ${path.basename(file)}: columns ${used.join(", ")}${textCol ? "" : " (no transcript column: transcript, text or sentence)"}`);
  const dir = path.dirname(path.resolve(file));
  const candidates = rows.map((r, i) => {
    const p = r[pathCol];
    if (!p) throw new MerrError("E_DATA_INVALID", `${file}:${i + 2}: empty path`);
    return {
      path: path.resolve(dir, p),
      relative: p,
      id: idCol && r[idCol] ? r[idCol] : undefined,
      given: idCol && r[idCol] ? r[idCol] : undefined,
      label: labelCol ? r[labelCol] || undefined : undefined,
      transcript: textCol ? r[textCol] ?? undefined : undefined,
      spokenTranscript: spokenCol ? r[spokenCol]?.trim() || undefined : undefined,
    };
  });
  const missing = candidates.filter((c) => !existsSync(c.path));
  if (missing.length) {
    const m = missing[0] as (typeof candidates)[number];
    notes.push(
      `${file}: ${missing.length} of ${candidates.length} paths name no file, e.g. "${m.relative}" (${m.path}); a path is relative to the CSV's folder (${dir}) or absolute. ` +
        "Those samples fail at probe: correct the path column, or move the CSV beside the clips",
    );
  }
  const assigned = assignIds(candidates, run);
  const rewritten = assigned.filter((c) => c.given !== undefined && c.given !== c.id);
  if (rewritten.length) {
    const shown = rewritten.slice(0, 10).map((c) => `"${c.given}" -> ${c.id}`).join(", ");
    notes.push(`${file}: ${rewritten.length} id(s) rewritten to safe file names: ${shown}${rewritten.length > 10 ? ", ..." : ""}`);
  }
  const outOfSet = new Map<string, number[]>();
  candidates.forEach((c, i) => {
    if (c.label === undefined) return;
    const r = resolveLabel(c.label);
    if (!r.ok) outOfSet.set(r.normalised, [...(outOfSet.get(r.normalised) ?? []), i + 2]);
  });
  for (const [label, lines] of outOfSet) {
    const where = `line${lines.length > 1 ? "s" : ""} ${lines.slice(0, 10).join(", ")}${lines.length > 10 ? ", ..." : ""}`;
    notes.push(
      `${file}: label "${label}" (${where}) is not a MERR label; the export drops those samples unless mapped, e.g. merr export --map-label ${label}=<neutral|angry|happy|sad|worried|surprise|fear|contempt|doubt>`,
    );
  }
  return assigned.map((c) => ({
    id: c.id,
    path: c.path,
    source: "manifest",
    ...(c.label ? { label: c.label } : {}),
    ...(c.transcript !== undefined ? { transcript: c.transcript } : {}),
    ...(c.spokenTranscript !== undefined ? { spokenTranscript: c.spokenTranscript } : {}),
  }));
}
