import { existsSync } from "node:fs";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { toSafeId } from "../core/ids.ts";
import { resolveLabel } from "../core/labels.ts";
import type { RunSampleIds } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";
import { assignIds } from "./assign-ids.ts";
import { findColumn, readCsv, requireColumn } from "./csv.ts";

/**
 * Refuses rows that would be one sample twice, naming their lines (the header is line 1) and the fix: two
 * rows that give one id, or the same clip twice under one id (without an id column, its file name).
 */
function checkRepeatedRows(file: string, candidates: ReadonlyArray<{ path: string; given?: string | undefined }>): void {
  const groups = (key: (c: (typeof candidates)[number]) => string | undefined): number[][] => {
    const byKey = new Map<string, number[]>();
    candidates.forEach((c, i) => {
      const k = key(c);
      if (k !== undefined) byKey.set(k, [...(byKey.get(k) ?? []), i]);
    });
    return [...byKey.values()].filter((g) => g.length > 1);
  };
  const lines = (g: number[]): string => `lines ${g.map((i) => i + 2).join(", ")}`;
  const rows = (g: number[]): string => `row${g.length > 2 ? "s" : ""}`;
  const problems: string[] = [];
  for (const g of groups((c) => c.given)) {
    const first = candidates[g[0]!]!;
    const clips = [...new Set(g.map((i) => candidates[i]!.path))];
    problems.push(
      clips.length === 1
        ? `${lines(g)} repeat the clip ${first.path} with one id "${first.given}": delete the repeated ${rows(g)}`
        : `${lines(g)} give one id "${first.given}" to different clips (${clips.map((c) => path.basename(c)).join(", ")}): give each row its own id`,
    );
  }
  // The id assignIds starts from; ids that differ only in case are one folder on some file systems.
  const baseId = (c: (typeof candidates)[number]): string => toSafeId(c.given ?? path.basename(c.path, path.extname(c.path)));
  for (const g of groups((c) => `${c.path}\0${baseId(c).toLowerCase()}`)) {
    // Rows that give one id are reported above.
    if (g.every((i) => candidates[i]!.given !== undefined && candidates[i]!.given === candidates[g[0]!]!.given)) continue;
    const first = candidates[g[0]!]!;
    problems.push(`${lines(g)} repeat the clip ${first.path} (id ${baseId(first)}): delete the repeated ${rows(g)}`);
  }
  if (problems.length === 0) return;
  const shown = problems.slice(0, 10).concat(problems.length > 10 ? [`... and ${problems.length - 10} more`] : []);
  throw new MerrError(
    "E_DATA_INVALID",
    problems.length === 1
      ? `${file}: ${problems[0]}`
      : `${file}: ${problems.length} sets of repeated rows (each row must be one sample):\n${shown.map((p) => `  - ${p}`).join("\n")}`,
  );
}

/**
 * A CSV with a `path` column (relative to the CSV's folder or absolute) and optional `id`, `label`,
 * `transcript` (or `text`, `sentence`) and `spoken_transcript` (or `spoken`, `chinese`: the words as spoken
 * when the transcript is a translation; only the speaking rate reads them) columns. An id given with a video
 * extension (`clip.mp4`) stands for its stem. What the user should know about the rows (ids made safe,
 * paths that name no file, labels outside the MERR set) goes into `notes`, once per kind.
 */
export async function manifestSource(file: string, notes: string[] = [], run?: RunSampleIds): Promise<Sample[]> {
  const rows = await readCsv(file, "--input");
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
  checkRepeatedRows(file, candidates);
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
      `${file}: label "${label}" (${where}) is not a MERR label; the fine and coarse sets leave those samples out unless mapped, e.g. merr build --map-label ${label}=<neutral|angry|happy|sad|worried|surprise|fear|contempt|doubt>`,
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
