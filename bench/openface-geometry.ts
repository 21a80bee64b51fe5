/**
 * OpenFace's AU intensities against OpenFace's own landmarks: how far an AU intensity follows the face's
 * geometry in real OpenFace output. The built-in analyzer reads AUs from geometry, and issue targets ask
 * for its correlation with OpenFace per AU; this says what such a correlation can reach on a clip.
 *
 *     npm run bench:openface-geometry
 *
 * Input: the OpenFace fixtures that hold 3-D landmarks (`X_i`, `Y_i`, `Z_i`) and head pose, which of the
 * repository's fixtures only py-feat's OpenFace 1.x output does (100 frames of one face). Each frame's 68
 * landmarks are turned back to a frontal pose (OpenFace's `pose_Rx/Ry/Rz`) and measured as the built-in
 * analyzer measures its mesh (src/adapters/face/builtin/geometry.ts): brow heights above the eye-corner
 * line, lid height, eye aperture, jaw drop, in eye distances. Figures per AU: the intensity's mean and
 * spread, the measure's spread, Pearson r between them, and r with the blink intensity (AU45_r). For every
 * fixture: each AU's r with AU45_r (no landmarks needed).
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../test/fixtures/openface/", import.meta.url));

interface Table {
  head: string[];
  rows: number[][];
}

function readTable(file: string): Table {
  const [first, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  const head = first!.split(",").map((h) => h.trim());
  const rows = lines.map((l) => l.split(",").map(Number)).filter((r) => r.length === head.length);
  const success = head.indexOf("success");
  return { head, rows: success >= 0 ? rows.filter((r) => r[success] === 1) : rows };
}

const mean = (a: readonly number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
const sd = (a: readonly number[]): number => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
function pearson(a: readonly number[], b: readonly number[]): number {
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : Number.NaN;
}
const fmt = (r: number): string => (Number.isNaN(r) ? "  -  " : r.toFixed(2).padStart(5));

/** OpenFace's head rotation (R = Rx Ry Rz, radians). */
function rotation(rx: number, ry: number, rz: number): number[][] {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(rx), Math.sin(rx), Math.cos(ry), Math.sin(ry), Math.cos(rz), Math.sin(rz)];
  const mul = (a: number[][], b: number[][]): number[][] => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
  return mul(mul([[1, 0, 0], [0, cx, -sx], [0, sx, cx]], [[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]), [[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]]);
}

type Measures = Record<"browInner" | "browOuter" | "upperLid" | "aperture" | "jaw", number>;

/** The frontalised 68 landmarks of one row, measured in eye distances (image y grows downwards). */
function measureRow(t: Table, row: number[]): Measures {
  const at = (name: string): number => row[t.head.indexOf(name)]!;
  const r = rotation(at("pose_Rx"), at("pose_Ry"), at("pose_Rz"));
  const pts = Array.from({ length: 68 }, (_, i) => [at(`X_${i}`), at(`Y_${i}`), at(`Z_${i}`)]);
  const c = [0, 1, 2].map((k) => mean(pts.map((p) => p[k]!)));
  // The inverse rotation (its transpose) about the landmarks' centroid.
  const f = pts.map((p) => [0, 1].map((j) => r[0]![j]! * (p[0]! - c[0]!) + r[1]![j]! * (p[1]! - c[1]!) + r[2]![j]! * (p[2]! - c[2]!)));
  const x = (i: number): number => f[i]![0]!;
  const y = (i: number): number => f[i]![1]!;
  const eye = Math.hypot(x(36) - x(45), y(36) - y(45));
  const eyeR = (y(36) + y(39)) / 2;
  const eyeL = (y(42) + y(45)) / 2;
  const both = (right: number, left: number): number => (right + left) / 2 / eye;
  return {
    browInner: both(eyeR - (y(20) + y(21)) / 2, eyeL - (y(22) + y(23)) / 2),
    browOuter: both(eyeR - (y(17) + y(18)) / 2, eyeL - (y(25) + y(26)) / 2),
    upperLid: both(eyeR - (y(37) + y(38)) / 2, eyeL - (y(43) + y(44)) / 2),
    aperture: both((y(40) + y(41)) / 2 - (y(37) + y(38)) / 2, (y(46) + y(47)) / 2 - (y(43) + y(44)) / 2),
    jaw: (y(8) - y(33)) / eye,
  };
}

/** Each AU and the measure that rises with it. */
const PAIRS: ReadonlyArray<[string, string, (m: Measures) => number]> = [
  ["AU01", "inner brow height", (m) => m.browInner],
  ["AU02", "outer brow height", (m) => m.browOuter],
  ["AU04", "inner brow lowered", (m) => -m.browInner],
  ["AU05", "upper lid height", (m) => m.upperLid],
  ["AU26", "jaw drop", (m) => m.jaw],
  ["AU45", "eye closed", (m) => -m.aperture],
];

function main(): void {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".csv")).sort();
  const out: string[] = ["# OpenFace's AU intensities against its own landmarks"];
  for (const file of files) {
    const t = readTable(path.join(DIR, file));
    const column = (name: string): number[] => t.rows.map((r) => r[t.head.indexOf(name)]!);
    const intensities = t.head.filter((h) => /^AU\d\d_r$/.test(h));
    out.push("", `## ${file}: ${t.rows.length} frames with a face`);
    if (t.head.includes("X_0") && t.head.includes("pose_Rx")) {
      const measures = t.rows.map((r) => measureRow(t, r));
      out.push("AU     intensity mean, sd   measure (frontal, eye distances)   measure sd   r(measure)   r(AU45)");
      for (const [au, what, read] of PAIRS) {
        const v = column(`${au}_r`);
        const m = measures.map(read);
        out.push(`${au}   ${mean(v).toFixed(2).padStart(6)}, ${sd(v).toFixed(2)}      ${what.padEnd(34)} ${sd(m).toFixed(4).padStart(7)}      ${fmt(pearson(m, v))}      ${au === "AU45" ? "  -  " : fmt(pearson(v, column("AU45_r")))}`);
      }
    } else {
      out.push("(no 3-D landmarks and pose: only the blink correlations)");
    }
    out.push(`r with AU45_r (blink): ${intensities.filter((h) => h !== "AU45_r").map((h) => `${h.slice(0, 4)} ${fmt(pearson(column(h), column("AU45_r"))).trim()}`).join(", ")}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

main();
