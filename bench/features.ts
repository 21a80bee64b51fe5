/**
 * Features benchmark: the per-clip cost of the features stage with the small test models
 * (scripts/make-test-onnx.ts) on the six bundled clips. One `merr build --source sample --features ...`
 * makes the inputs (WAV, face sidecar); then each clip's three features are computed again in this
 * process, `reps` times, with the models loaded once, and the median is reported: preprocessing
 * (WAV read and normalisation; frame decoding, face crops, resizing, normalisation), onnxruntime's
 * inference, and merr's own share of the wall time (everything but inference). With the tiny models
 * inference is nearly free, so the share is an upper bound of merr's overhead.
 *
 *     node --import tsx bench/features.ts [reps] [--keep]
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadFaceSidecar } from "../src/adapters/face/index.ts";
import { faceFeatures, hubertFeature, loadOnnxEncoder, resolveFeatureSpecs } from "../src/adapters/features/index.ts";
import { projectPath } from "../src/core/paths.ts";
import { writeTestModels } from "../scripts/make-test-onnx.ts";

const reps = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const keep = process.argv.includes("--keep");
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number, d = 1): string => x.toFixed(d);

const root = await mkdtemp(path.join(os.tmpdir(), "merr-bench-features-"));
try {
  const models = await writeTestModels(path.join(root, "models"));
  const spec = `HL-UTT=onnx:${models.hubert},mae_340_UTT=onnx:${models.mae},maeV_399_UTT=onnx:${models.videomae}`;
  const run = path.join(root, "run");
  const t0 = performance.now();
  execFileSync(process.execPath, [projectPath("bin", "merr.js"), "build", "--source", "sample", "--out", run, "--log-level", "error", "--no-progress", "--features", spec], { stdio: "ignore" });
  const buildS = (performance.now() - t0) / 1000;

  const specs = await resolveFeatureSpecs([spec]);
  const load = (enc: keyof typeof specs) => loadOnnxEncoder(specs[enc] as Parameters<typeof loadOnnxEncoder>[0], ["cpu"]);
  const tl = performance.now();
  const [hubert, mae, videomae] = await Promise.all([load("HL-UTT"), load("mae_340_UTT"), load("maeV_399_UTT")]);
  const loadMs = performance.now() - tl;

  const rows: string[] = [];
  const totals = { wall: 0, infer: 0 };
  for (const code of ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"]) {
    const id = `1001_DFA_${code}_XX`;
    const stages = path.join(run, "samples", id, "stages");
    const audio = JSON.parse(await readFile(path.join(stages, "extract-audio.json"), "utf8")).output;
    const au = JSON.parse(await readFile(path.join(stages, "au-extract.json"), "utf8")).output;
    const sidecar = await loadFaceSidecar(au.sidecarPath);
    if (!sidecar) throw new Error(`${id}: no sidecar`);
    const m = { hubertPre: [] as number[], hubertInf: [] as number[], facePre: [] as number[], maeInf: [] as number[], vInf: [] as number[], wall: [] as number[] };
    let frames = 0;
    for (let r = 0; r < reps; r++) {
      const w0 = performance.now();
      const h = await hubertFeature(hubert, audio.wavPath);
      const face = await faceFeatures({ mae, videomae }, projectPath("data", "sample", `${id}.flv`), sidecar, { batchSize: 16, margin: 0.2 });
      m.wall.push(performance.now() - w0);
      m.hubertPre.push(h.preprocessMs);
      m.hubertInf.push(h.inferenceMs);
      m.facePre.push(face.mae!.preprocessMs + face.videomae!.preprocessMs);
      m.maeInf.push(face.mae!.inferenceMs);
      m.vInf.push(face.videomae!.inferenceMs);
      frames = face.mae!.frames ?? 0;
    }
    const wall = median(m.wall);
    const infer = median(m.hubertInf) + median(m.maeInf) + median(m.vInf);
    totals.wall += wall;
    totals.infer += infer;
    rows.push(
      `| ${code} | ${f(audio.durationS, 2)} | ${frames} | ${f(median(m.hubertPre))} | ${f(median(m.hubertInf))} | ${f(median(m.facePre))} | ${f(median(m.maeInf))} | ${f(median(m.vInf))} | ${f(wall)} | ${f((100 * (wall - infer)) / wall, 0)}% |`,
    );
  }
  process.stdout.write(
    [
      `features with the test models (${reps} reps, median per clip; models loaded once in ${f(loadMs, 0)} ms; the sample build with --features took ${f(buildS)} s)`,
      "",
      "| clip | audio s | face frames | HL-UTT prep ms | HL-UTT infer ms | face prep ms (decode, crop, resize) | MAE infer ms | VideoMAE infer ms | wall ms | merr's share |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...rows,
      `| all | | | | | | | | ${f(totals.wall)} | ${f((100 * (totals.wall - totals.infer)) / totals.wall, 0)}% |`,
      "",
    ].join("\n"),
  );
  await Promise.all([hubert.release(), mae.release(), videomae.release()]);
} finally {
  if (keep) process.stderr.write(`kept ${root}\n`);
  else await rm(root, { recursive: true, force: true });
}
