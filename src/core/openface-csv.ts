import { parse } from "csv-parse/sync";
import { MerrError } from "./errors.ts";

/**
 * Parser of OpenFace FeatureExtraction / FaceLandmarkVidMulti CSVs (pure: text in, typed table out).
 *
 * Layouts: 2.x (`frame, face_id, timestamp, confidence, success, …`) and 1.x (no `face_id`, headers with
 * a leading space, e.g. " AU01_r"). AU columns are found by name (`AUnn_r` intensity, `AUnn_c` presence),
 * so files with or without pose/gaze/landmark columns parse the same way.
 *
 * Head pose and gaze (`-pose`: pose_Tx..pose_Rz; `-gaze`: gaze_angle_x/y) are read when the file has
 * them, in OpenFace's conventions: camera frame with x right, y down, z away from the camera; rotations
 * in radians, pose_Rx > 0 = head pitched down; gaze_angle_y > 0 = looking down.
 *
 * Several faces (FaceLandmarkVidMulti): one primary face is kept. Rule: the face with the most rows with
 * `success=1`; ties -> the highest mean confidence over those rows; ties -> the lowest face_id.
 *
 * Row validity: every row of the primary face stays in the table, but only rows with `success=1`,
 * `confidence >= minConfidence` and all AU values numeric are "valid"; only valid rows take part in
 * peak and rule decisions. The counts of excluded rows are reported in {@link AuTable.rowCounts}.
 */

export interface ParseOpenFaceOptions {
  /** File name used in error messages. */
  file?: string;
  /** Rows below this tracking confidence are excluded from decisions. @defaultValue 0.8 */
  minConfidence?: number;
  /** Exclude rows with `success=0` (tracking lost). @defaultValue true */
  requireSuccess?: boolean;
}

export interface AuRowCounts {
  /** Rows of the file (all faces). */
  total: number;
  /** Rows of the primary face. */
  primary: number;
  /** Rows of the primary face used for decisions. */
  valid: number;
  /** Rows with success=0 (excluded when requireSuccess). */
  failed: number;
  /** Rows with success=1 but confidence below minConfidence. */
  lowConfidence: number;
  /** Rows with a missing or non-numeric AU, frame, timestamp, confidence or success value. */
  malformed: number;
  /** Rows of other faces (dropped). */
  otherFaces: number;
}

export interface AuTable {
  layout: "2.x" | "1.x";
  /** Primary face id (0 for the 1.x layout). */
  faceId: number;
  faceIds: number[];
  /** AU codes with an intensity (`_r`) column, in file order, e.g. "AU01". */
  intensityAus: string[];
  /** AU codes with a presence (`_c`) column, in file order. */
  presenceAus: string[];
  /** One entry per row of the primary face, in file order. */
  frame: Int32Array;
  timestamp: Float64Array;
  confidence: Float64Array;
  success: Uint8Array;
  valid: Uint8Array;
  /** Intensity per AU (NaN when the cell is missing). */
  intensity: Record<string, Float64Array>;
  /** Presence per AU (NaN when the cell is missing). */
  presence: Record<string, Float64Array>;
  /** `-pose` columns when the file has all six: translation in mm, rotation in radians (NaN when a cell is missing). */
  pose?: { tx: Float64Array; ty: Float64Array; tz: Float64Array; rx: Float64Array; ry: Float64Array; rz: Float64Array };
  /** `-gaze` angle columns when the file has both: radians, (0, 0) = looking straight at the camera (NaN when a cell is missing). */
  gaze?: { angleX: Float64Array; angleY: Float64Array };
  rowCounts: AuRowCounts;
  minConfidence: number;
  requireSuccess: boolean;
}

const AU_COLUMN = /^AU(\d{2})_([rc])$/;
const REQUIRED = ["frame", "timestamp", "confidence", "success"] as const;

function num(cell: string | undefined): number {
  if (cell === undefined) return Number.NaN;
  const n = Number(cell);
  // Number("") and Number("  ") are 0: an empty cell is a missing value, not a zero.
  return n === 0 && cell.trim() === "" ? Number.NaN : n;
}

/**
 * Splits CSV text into cells. OpenFace never quotes a field, so a file without any '"' is split directly
 * (about 2x faster than a general parser on 10,000-row files); anything else goes through csv-parse.
 * Cells keep their surrounding spaces here (1.x headers have a leading one); readers trim what they use.
 */
function readRecords(text: string): string[][] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.includes('"')) {
    return parse(body, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  }
  const records: string[][] = [];
  for (const raw of body.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.length === 0 || !/\S/.test(line)) continue;
    records.push(line.split(","));
  }
  return records;
}

export function parseOpenFaceCsv(text: string, options: ParseOpenFaceOptions = {}): AuTable {
  const file = options.file ?? "OpenFace CSV";
  const minConfidence = options.minConfidence ?? 0.8;
  const requireSuccess = options.requireSuccess ?? true;
  let records: string[][];
  try {
    records = readRecords(text);
  } catch (error) {
    throw new MerrError("E_DATA_INVALID", `${file}: not a readable CSV: ${(error as Error).message}`, { cause: error });
  }
  const header = records[0];
  if (!header) throw new MerrError("E_DATA_INVALID", `${file}: empty file (no header row)`);
  const col = new Map<string, number>();
  header.forEach((name, i) => col.set(name.trim(), i));
  const missing = REQUIRED.filter((name) => !col.has(name));
  if (missing.length) {
    throw new MerrError("E_DATA_INVALID", `${file}:1: not an OpenFace CSV: missing column(s) ${missing.join(", ")}`);
  }
  const intensityAus: string[] = [];
  const presenceAus: string[] = [];
  for (const name of col.keys()) {
    const m = AU_COLUMN.exec(name);
    if (m) (m[2] === "r" ? intensityAus : presenceAus).push(`AU${m[1]}`);
  }
  if (!intensityAus.length && !presenceAus.length) {
    throw new MerrError("E_DATA_INVALID", `${file}:1: no AU columns (AUnn_r / AUnn_c): was OpenFace run with -aus?`);
  }
  const faceCol = col.get("face_id");
  const layout = faceCol === undefined ? "1.x" : "2.x";
  const rows = records.slice(1);

  // Pick the primary face.
  const faces = new Map<number, { rows: number; ok: number; confSum: number }>();
  const faceOf = (r: string[]): number => (faceCol === undefined ? 0 : num(r[faceCol]));
  const ci = col.get("confidence") as number;
  const si = col.get("success") as number;
  for (const r of rows) {
    const id = faceOf(r);
    if (!Number.isFinite(id)) continue;
    const f = faces.get(id) ?? { rows: 0, ok: 0, confSum: 0 };
    f.rows++;
    if (num(r[si]) === 1) {
      f.ok++;
      f.confSum += num(r[ci]) || 0;
    }
    faces.set(id, f);
  }
  const faceIds = [...faces.keys()].sort((a, b) => a - b);
  let faceId = faceIds[0] ?? 0;
  for (const id of faceIds) {
    const a = faces.get(id)!;
    const b = faces.get(faceId)!;
    const meanA = a.ok ? a.confSum / a.ok : 0;
    const meanB = b.ok ? b.confSum / b.ok : 0;
    if (a.ok > b.ok || (a.ok === b.ok && meanA > meanB)) faceId = id;
  }
  const mine = rows.filter((r) => faceOf(r) === faceId);

  const n = mine.length;
  const table: AuTable = {
    layout,
    faceId,
    faceIds,
    intensityAus,
    presenceAus,
    frame: new Int32Array(n),
    timestamp: new Float64Array(n),
    confidence: new Float64Array(n),
    success: new Uint8Array(n),
    valid: new Uint8Array(n),
    intensity: Object.fromEntries(intensityAus.map((au) => [au, new Float64Array(n)])),
    presence: Object.fromEntries(presenceAus.map((au) => [au, new Float64Array(n)])),
    rowCounts: { total: rows.length, primary: n, valid: 0, failed: 0, lowConfidence: 0, malformed: 0, otherFaces: rows.length - n },
    minConfidence,
    requireSuccess,
  };
  const fi = col.get("frame") as number;
  const ti = col.get("timestamp") as number;
  const rIdx = intensityAus.map((au) => [table.intensity[au]!, col.get(`${au}_r`) as number] as const);
  const cIdx = presenceAus.map((au) => [table.presence[au]!, col.get(`${au}_c`) as number] as const);
  // Optional measurement columns: read as given, never part of row validity (AU decisions do not use them).
  const extra: Array<readonly [Float64Array, number]> = [];
  const optional = <K extends string>(names: Record<K, string>): Record<K, Float64Array> | undefined => {
    const entries = Object.entries<string>(names).map(([key, name]) => [key, col.get(name)] as const);
    if (entries.some(([, c]) => c === undefined)) return undefined;
    const out = {} as Record<K, Float64Array>;
    for (const [key, c] of entries) {
      const arr = new Float64Array(n);
      out[key as K] = arr;
      extra.push([arr, c as number]);
    }
    return out;
  };
  const pose = optional({ tx: "pose_Tx", ty: "pose_Ty", tz: "pose_Tz", rx: "pose_Rx", ry: "pose_Ry", rz: "pose_Rz" });
  const gaze = optional({ angleX: "gaze_angle_x", angleY: "gaze_angle_y" });
  if (pose) table.pose = pose;
  if (gaze) table.gaze = gaze;
  const counts = table.rowCounts;
  for (let i = 0; i < n; i++) {
    const r = mine[i]!;
    const frame = num(r[fi]);
    const ts = num(r[ti]);
    const conf = num(r[ci]);
    const succ = num(r[si]);
    let ok = Number.isFinite(frame) && Number.isFinite(ts) && Number.isFinite(conf) && (succ === 0 || succ === 1);
    table.frame[i] = Number.isFinite(frame) ? frame : -1;
    table.timestamp[i] = ts;
    table.confidence[i] = conf;
    table.success[i] = succ === 1 ? 1 : 0;
    for (const [arr, c] of rIdx) {
      const v = num(r[c]);
      arr[i] = v;
      if (!Number.isFinite(v)) ok = false;
    }
    for (const [arr, c] of cIdx) {
      const v = num(r[c]);
      arr[i] = v;
      if (!Number.isFinite(v)) ok = false;
    }
    for (const [arr, c] of extra) arr[i] = num(r[c]);
    if (!ok) counts.malformed++;
    else if (succ !== 1) counts.failed++;
    else if (conf < minConfidence) counts.lowConfidence++;
    const valid = ok && (succ === 1 || !requireSuccess) && conf >= minConfidence;
    table.valid[i] = valid ? 1 : 0;
    if (valid) counts.valid++;
  }
  return table;
}

/** Rows with a tracked face (success=1, any confidence): MERR's `frame_count`. */
export function trackedFrames(table: AuTable): number {
  let count = 0;
  for (let i = 0; i < table.success.length; i++) count += table.success[i]!;
  return count;
}
