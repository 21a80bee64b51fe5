import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseNpyHeader } from "../../src/export/npy.ts";
import { projectPath } from "../../src/core/paths.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { maeModel, writeTestModels } from "../../scripts/make-test-onnx.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempDir } from "../helpers/temp.ts";

const executions = async (out: string): Promise<Array<{ sample: string; stage: string; status: string }>> =>
  (await readFile(executionLogPath(out), "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const readJson = async (file: string): Promise<any> => JSON.parse(await readFile(file, "utf8")); // eslint-disable-line @typescript-eslint/no-explicit-any

const ENCODERS = ["HL-UTT", "mae_340_UTT", "maeV_399_UTT"] as const;
// Every clip of the sample reaches features: NEU, which no AU rule labels, goes on without a pseudo-label
// because it is labelled; FEA and SAD are filtered only at fine, which runs before features.
const WITH_FEATURES = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"].map((e) => `1001_DFA_${e}_XX`);

// One build of the bundled sample serves both tests: the second reuses every record but features'.
let root: string;
let out: string;
let models: Awaited<ReturnType<typeof writeTestModels>>;
let build: string[];
let first: Awaited<ReturnType<typeof runMerr>>;
beforeAll(async () => {
  root = await tempDir("merr-features-");
  models = await writeTestModels(path.join(root, "models"));
  out = path.join(root, "run");
  const features = `HL-UTT=onnx:${models.hubert},mae_340_UTT=onnx:${models.mae},maeV_399_UTT=onnx:${models.videomae}`;
  build = ["build", "--source", "sample", "--out", out, "--log-level", "warn", "--no-progress", "--features", features];
  first = await runMerr(build);
}, 300_000);

describe("merr build --features (onnxruntime-node with the generated test models)", () => {
  it("builds all three features, exports them where the trainer reads them, reruns with no inference, and redoes only features for a changed model", async () => {
    const exp = path.join(root, "export");
    expect(first.code, first.stderr + first.stdout).toBe(0);
    for (const id of WITH_FEATURES) {
      const rec = await readJson(path.join(out, "samples", id, "stages", "features.json"));
      expect(rec.status).toBe("done");
      for (const enc of ENCODERS) {
        const r = rec.output.encoders[enc];
        expect(r, enc).toMatchObject({ status: "done", extractor: "onnx" });
        expect(r.norm).toBeGreaterThan(0);
        expect(r.file).toBe(path.join(out, "samples", id, "features", `${enc}.npy`));
        const bytes = await readFile(r.file);
        const header = parseNpyHeader(bytes);
        expect(header).toMatchObject({ descr: "<f4", shape: [1024] });
        const v = new Float32Array(new Uint8Array(bytes.subarray(header.dataOffset)).buffer);
        expect(v.length).toBe(1024);
        expect(v.every(Number.isFinite)).toBe(true);
        expect(rec.provenance.timings[enc].inferenceMs).toBeGreaterThan(0);
      }
      // HuBERT sees the whole 16 kHz waveform; VideoMAE one 16-frame clip; MAE every face frame.
      expect(rec.output.encoders["HL-UTT"].inputShape[1]).toBeGreaterThan(16000);
      expect(rec.output.encoders["maeV_399_UTT"].inputShape).toEqual([1, 3, 16, 224, 224]);
      expect(rec.output.encoders["mae_340_UTT"].frames).toBeGreaterThan(16);
    }

    const exported = await runMerr(["export", "--run", out, "--out", exp, "--format", "emotion-llama"]);
    expect(exported.code, exported.stderr).toBe(0);
    // five samples are listed: four in the coarse set (two of them filtered at fine), the neutral one in the fine
    // set; DIS is in neither (disgust is no MERR label, and no --map-label maps it)
    for (const enc of ENCODERS) expect(exported.stdout).toContain(`features ${enc}: 5 present, 0 zero-filled, 0 missing, 0 invalid`);
    const check = await runMerr(["export", "--check", exp]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^OK: .*0 violation\(s\), 0 warning\(s\)/m);

    // A rerun computes nothing: no stage runs, so no inference call.
    const lines = (await executions(out)).length;
    const again = await runMerr(build);
    expect(again.code).toBe(0);
    expect((await executions(out)).length).toBe(lines);

    // Another MAE model (same path, new content): only the features stage runs again, once per clip.
    await writeFile(models.mae, maeModel(2));
    const changed = await runMerr(build);
    expect(changed.code, changed.stderr).toBe(0);
    const redone = (await executions(out)).slice(lines);
    expect(redone.map((e) => e.stage)).toEqual(WITH_FEATURES.map(() => "features"));
    expect(redone.map((e) => e.sample).sort()).toEqual(WITH_FEATURES);
    const rec = await readJson(path.join(out, "samples", "1001_DFA_HAP_XX", "stages", "features.json"));
    expect(rec.output.encoders["mae_340_UTT"].sha256).not.toBe(rec.options.encoders["HL-UTT"].sha256);
  });

  it("a command extractor's bad outputs fail their samples with the file and what was expected; the others finish; unconfigured encoders are not requested", async () => {
    const script = projectPath("test", "fixtures", "features", "extractor.mjs");
    const lines = (await executions(out)).length;
    const r = await runMerr([
      "build", "--source", "sample", "--out", out, "--log-level", "warn", "--no-progress",
      "--features", `maeV_399_UTT=command:"${process.execPath}" ${script} {video} {faces} {out}`,
    ]);
    expect(r.code, r.stderr).toBe(2);
    const sample = (id: string): Promise<any> => readJson(path.join(out, "samples", `1001_DFA_${id}_XX`, "sample.json")); // eslint-disable-line @typescript-eslint/no-explicit-any
    const reason = async (id: string): Promise<string> => {
      const s = await sample(id);
      expect(s.status).toBe("failed");
      const found = s.reasons.find((x: { stage: string }) => x.stage === "features");
      expect(found?.code).toBe("E_MODEL_OUTPUT_INVALID");
      return found.message as string;
    };
    const outFile = (id: string): string => path.join(out, "samples", `1001_DFA_${id}_XX`, "features", "maeV_399_UTT.command-out.npy");
    expect(await reason("ANG")).toContain(`${outFile("ANG")} with shape (75, 1024), expected (1024,) (a per-frame array: average it over axis 0)`);
    expect(await reason("DIS")).toContain(`${outFile("DIS")} with dtype <f8, expected <f4 (float32, little-endian)`);
    expect(await reason("FEA")).toMatch(new RegExp(`${outFile("FEA")} holds NaN at index 7; expected one float32 vector of shape \\(1024,\\), finite`));
    expect(await reason("SAD")).toContain(`an empty file ${outFile("SAD")} (0 bytes); expected one float32 vector of shape (1024,)`);

    const hap = await sample("HAP");
    expect(hap.status).toBe("done");
    const rec = await readJson(path.join(out, "samples", "1001_DFA_HAP_XX", "stages", "features.json"));
    expect(rec.output.encoders).toMatchObject({
      "HL-UTT": { status: "not-requested" },
      "mae_340_UTT": { status: "not-requested" },
      "maeV_399_UTT": { status: "done", extractor: "command", source: process.execPath },
    });
    // Only features ran, once per clip: bad output is permanent, so no retry is spent on it.
    const runs = (await executions(out)).slice(lines);
    expect(runs.every((e) => e.stage === "features")).toBe(true);
    expect(runs.map((e) => e.sample).sort()).toEqual(WITH_FEATURES);
    // The sample that failed has no feature file left behind for an export to pick up.
    await expect(readFile(path.join(out, "samples", "1001_DFA_ANG_XX", "features", "maeV_399_UTT.npy"))).rejects.toThrow(/ENOENT/);
  });
});
