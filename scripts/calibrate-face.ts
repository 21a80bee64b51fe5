/**
 * Calibrates the built-in analyzer's person-normalised ("clip" baseline) AUs onto OpenFace 2.x's
 * intensity scale, and writes src/adapters/face/builtin/calibration.ts.
 *
 * Method (quantile matching): on ordinary talking video, OpenFace's dynamic AUs rise above the clip's
 * median by a typical amount at the 75th, 90th and 95th percentiles. merr's activations above the clip
 * median (face units) are measured on a talking clip at the same percentiles, and each AU's `full`
 * (activation that reads 5) is the least-squares scale that maps merr's excesses onto OpenFace's.
 * AUs with a `norm` zero point (OpenFace's static models) are matched at the 90th and 95th percentiles
 * to OpenFace's clamped intensities, with a floor (STATIC_FLOOR).
 *
 * Before that, the mouth measurements' coupling to the mouth opening (speech) is fitted on the same
 * talking clip by least squares (au-estimate.ts, decoupleSpeech).
 *
 * Data: OpenFace = a real OpenFace 2.x FeatureExtraction CSV of a talking person (MER-Factory's example,
 * test/fixtures/openface/mer-factory-notebook-default.csv); merr = the neutral CREMA-D sample clip
 * (data/sample/1001_DFA_NEU_XX.flv). The other five sample clips are held out: the benchmarks and
 * tests judge the calibration on them.
 *
 * Run: node --import tsx scripts/calibrate-face.ts [--clip FILE] [--openface FILE] [--check]
 * --check exits 1 when calibration.ts differs from what this run computes (nothing is written).
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { AU_DEFINITIONS, clipActivations, percentile, SPEECH_COUPLED, type AuDefinition, type SpeechCoupled } from "../src/adapters/face/builtin/au-estimate.ts";
import type { FaceMeasures } from "../src/adapters/face/builtin/geometry.ts";
import { measureClip } from "../src/adapters/face/builtin/extractor.ts";
import { parseOpenFaceCsv } from "../src/core/openface-csv.ts";
import { projectPath } from "../src/core/paths.ts";

const PERCENTILES = [75, 90, 95] as const;
const OUTPUT = projectPath("src/adapters/face/builtin/calibration.ts");

const { values } = parseArgs({
  options: {
    clip: { type: "string", default: "data/sample/1001_DFA_NEU_XX.flv" },
    openface: { type: "string", default: "test/fixtures/openface/mer-factory-notebook-default.csv" },
    check: { type: "boolean", default: false },
  },
});

/**
 * Lowest target intensity of a `norm` AU at the 90th/95th percentile of the talking clip. OpenFace's
 * static AUs (cheeks, lip corners) read 0 through most talking video, which no scale can match once
 * speech moves merr's mouth geometry at all; the floor keeps talking frames at a third and a half of
 * the rules' 1.0 threshold instead of scaling the AU away.
 */
const STATIC_FLOOR = [0, 0.5, 1] as const;

const staticTarget = (xs: readonly number[]): number[] => {
  const clamped = xs.map((v) => Math.max(0, v));
  return PERCENTILES.map((p, i) => Math.max(percentile(clamped, p), STATIC_FLOOR[i] as number));
};

const absoluteTarget = (xs: readonly number[]): number[] => PERCENTILES.map((p) => percentile(xs.map((v) => Math.max(0, v)), p));

const excessAt = (xs: readonly number[]): number[] => {
  const median = percentile(xs, 50);
  return PERCENTILES.map((p) => percentile(xs, p) - median);
};

/** Least squares y ~ a + b * gap + c * jaw (3x3 normal equations, Cramer's rule); returns [b, c]. */
function fitCoupling(frames: readonly FaceMeasures[], key: SpeechCoupled): [number, number] {
  const rows = frames.map((m) => [1, m.lipGap, m.jawDrop] as const);
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const v = [0, 1, 2].map((i) => rows.reduce((s, r, n) => s + r[i]! * frames[n]![key], 0));
  const det = (m: number[][]): number =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(A);
  const solve = (col: number): number => det(A.map((r, i) => r.map((x, j) => (j === col ? v[i]! : x)))) / d;
  return [Math.round(solve(1) * 1e4) / 1e4, Math.round(solve(2) * 1e4) / 1e4];
}

async function main(): Promise<void> {
  const clip = values.clip as string;
  const openfaceFile = values.openface as string;
  const table = parseOpenFaceCsv(await readFile(projectPath(openfaceFile), "utf8"), { file: openfaceFile });
  const measures = await measureClip(projectPath(clip));
  const faces = measures.filter((m): m is FaceMeasures => m !== undefined);
  const speech = Object.fromEntries(SPEECH_COUPLED.map((k) => [k, fitCoupling(faces, k)])) as Record<SpeechCoupled, [number, number]>;
  // The calibration must not see its own previous result: the coupling just fitted, `full` not used.
  const { excess } = clipActivations(measures, { speechCoupling: speech });
  const full: Record<string, number> = {};
  const report: string[] = [`${"AU".padEnd(5)} ${"zero".padEnd(5)} ${"target p75/p90/p95".padEnd(24)} ${"merr excess (face units)".padEnd(26)} full`];
  for (const [au, def] of Object.entries(AU_DEFINITIONS) as Array<[string, AuDefinition]>) {
    const of = table.intensity[au];
    if (!of) throw new Error(`${openfaceFile} has no ${au}_r column`);
    const ofValues = Array.from(of).filter((v, i) => table.valid[i] === 1 && Number.isFinite(v));
    const ours = (excess[au as keyof typeof excess] ?? []).filter((v): v is number => v !== undefined);
    // clip AUs: excess over the clip median on both sides. norm AUs: OpenFace's static models are not
    // person-normalised, so its clamped values are the target, at least STATIC_FLOOR (see the header).
    // none (lips part): absolute on both sides, OpenFace's clamped values at all three percentiles.
    const target = def.baseline === "clip" ? excessAt(ofValues) : def.baseline === "norm" ? staticTarget(ofValues) : absoluteTarget(ofValues);
    const mine = PERCENTILES.map((p) => percentile(ours, p));
    const used = def.baseline === "norm" ? [1, 2] : [0, 1, 2];
    const dot = used.reduce((s, i) => s + (mine[i] as number) * (target[i] as number), 0);
    const sq = used.reduce((s, i) => s + (mine[i] as number) ** 2, 0);
    // intensity = 5 * excess / full; least squares over the percentiles used: k = 5 / full.
    const k = sq > 0 ? dot / sq : 0;
    if (!(k > 0)) throw new Error(`${au}: no usable spread (OpenFace ${target.join("/")}, merr ${mine.join("/")})`);
    full[au] = Math.round((5 / k) * 1e4) / 1e4;
    report.push(`${au.padEnd(5)} ${def.baseline.padEnd(5)} ${target.map((v) => v.toFixed(3)).join("/").padEnd(24)} ${mine.map((v) => v.toFixed(4)).join("/").padEnd(26)} ${full[au]}`);
  }
  const text = `// DO NOT EDIT: generated by scripts/calibrate-face.ts (npm run calibrate:face).
// OpenFace reference: ${openfaceFile}
// merr clip: ${clip} (the other sample clips are held out)
${report.map((l) => `//   ${l}`).join("\n")}

/**
 * Activation above the clip's zero point (face units) that reads 5 on OpenFace's scale, per AU.
 * Quantile-matched to OpenFace 2.x on talking video (see the script).
 */
export const AU_CALIBRATION = {
  id: "merr-openface-quantiles",
  version: 1,
  /** Speech coupling of the mouth measurements: [per unit of lip gap, per unit of jaw drop]. */
  speech: ${JSON.stringify(speech).replace(/"/g, "").replace(/,(?=[a-z])/g, ", ").replace(/:/g, ": ").replace(/,(?=-?\d)/g, ", ").replace("{", "{ ").replace(/}$/, " }")},
  full: ${JSON.stringify(full).replace(/"/g, "").replace(/,/g, ", ").replace(/:/g, ": ").replace("{", "{ ").replace(/}$/, " }")},
} as const;
`;
  if (values.check) {
    const current = await readFile(OUTPUT, "utf8");
    if (current !== text) {
      process.stderr.write(`calibration.ts is out of date: run npm run calibrate:face\n${text}`);
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(OUTPUT, text);
  process.stdout.write(`${report.join("\n")}\nwritten: ${OUTPUT}\n`);
}

await main();
