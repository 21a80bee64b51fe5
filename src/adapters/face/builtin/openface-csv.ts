/**
 * Writes rows in OpenFace 2.x's FeatureExtraction CSV layout (pure formatting; the extractor writes
 * the file atomically). Numbers use OpenFace's precision: timestamp 3 decimals, confidence and AUs 2.
 */
import { AU_INTENSITY, AU_PRESENCE } from "../types.ts";
import type { AuFrame } from "./au-estimate.ts";

export const BASE_COLUMNS = ["frame", "face_id", "timestamp", "confidence", "success"] as const;
/** OpenFace `-gaze` direction columns (without its eye-landmark columns). */
export const GAZE_COLUMNS = ["gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z", "gaze_angle_x", "gaze_angle_y"] as const;
/** OpenFace `-pose` columns: translation in mm (camera frame), rotation in radians. */
export const POSE_COLUMNS = ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"] as const;

/** The header, in OpenFace 2.x column order. */
export function openFaceColumns(poseGaze: boolean): string[] {
  return [
    ...BASE_COLUMNS,
    ...(poseGaze ? [...GAZE_COLUMNS, ...POSE_COLUMNS] : []),
    ...AU_INTENSITY.map((au) => `${au}_r`),
    ...AU_PRESENCE.map((au) => `${au}_c`),
  ];
}

export interface CsvRow {
  /** 1-based frame number (OpenFace numbering). */
  frame: number;
  timestampS: number;
  confidence: number;
  /** Undefined = no face on this frame (success 0, zeros elsewhere, as OpenFace writes). */
  aus?: AuFrame;
  /** Gaze unit vectors per eye (camera frame, OpenFace convention) and angles in radians. */
  gaze?: { eye0: [number, number, number]; eye1: [number, number, number]; angleX: number; angleY: number };
  pose?: { tx: number; ty: number; tz: number; rx: number; ry: number; rz: number };
}

const f = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : (0).toFixed(digits));

export function formatRow(row: CsvRow, poseGaze: boolean): string {
  const ok = row.aus !== undefined;
  const cells = [String(row.frame), "0", f(row.timestampS, 3), f(ok ? row.confidence : 0, 2), ok ? "1" : "0"];
  if (poseGaze) {
    const g = ok ? row.gaze : undefined;
    cells.push(...(g ? [...g.eye0, ...g.eye1].map((v) => f(v, 6)) : Array(6).fill(f(0, 6))));
    cells.push(f(g?.angleX ?? 0, 3), f(g?.angleY ?? 0, 3));
    const p = ok ? row.pose : undefined;
    cells.push(f(p?.tx ?? 0, 1), f(p?.ty ?? 0, 1), f(p?.tz ?? 0, 1), f(p?.rx ?? 0, 3), f(p?.ry ?? 0, 3), f(p?.rz ?? 0, 3));
  }
  for (const au of AU_INTENSITY) cells.push(f(row.aus?.intensity[au] ?? 0, 2));
  for (const au of AU_PRESENCE) cells.push(f(row.aus?.presence[au] ?? 0, 2));
  return cells.join(",");
}

export function formatCsv(rows: readonly CsvRow[], poseGaze: boolean): string {
  return `${[openFaceColumns(poseGaze).join(","), ...rows.map((r) => formatRow(r, poseGaze))].join("\n")}\n`;
}
