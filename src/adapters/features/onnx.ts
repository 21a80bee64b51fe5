import type { InferenceSession } from "onnxruntime-node";
import { MerrError } from "../../core/errors.ts";
import { FEATURE_DIM, type OnnxExtractor } from "./encoders.ts";
import { sha256File } from "./spec.ts";
import { badFeature } from "./validate.ts";

/** One loaded ONNX model: its first input and output, run on float32 tensors. */
export interface OnnxEncoder {
  readonly model: string;
  readonly inputName: string;
  /** The declared input shape (numbers, or names of dynamic axes). */
  readonly inputShape: ReadonlyArray<number | string>;
  run(data: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: number[] }>;
  release(): Promise<void>;
}

/**
 * Loads `spec.model` with onnxruntime-node (imported here, so commands that run no model never load
 * it). The file's SHA-256 must be the one the build planned with: a model replaced on a worker after
 * planning would otherwise write features that the record attributes to the old one.
 * `providers`: `cpu` (always available), `cuda` when the CUDA execution provider is installed.
 */
export async function loadOnnxEncoder(spec: OnnxExtractor, providers: readonly string[]): Promise<OnnxEncoder> {
  const actual = await sha256File(spec.model).catch((error: unknown) => {
    throw new MerrError("E_CONFIG_INVALID", `cannot read the ONNX model ${spec.model} on this worker: ${(error as Error).message}`, { cause: error });
  });
  if (actual !== spec.sha256) {
    throw new MerrError(
      "E_CONFIG_INVALID",
      `the ONNX model ${spec.model} on this worker has SHA-256 ${actual.slice(0, 12)}…, but the build was planned with ${spec.sha256.slice(0, 12)}…; ` +
        "give every worker the same file, or build again so the new model is planned",
    );
  }
  // ONNX Runtime 1.31's Linux build starts Microsoft 1DS telemetry unless this is set when it loads (it
  // also leaves a `.ses` file in TMPDIR). merr sends nothing anywhere it was not asked to; a user who
  // wants the telemetry sets ORT_DISABLE_TELEMETRY=0 in the worker's environment.
  // eslint-disable-next-line no-restricted-syntax -- the native library reads this variable, not merr
  process.env.ORT_DISABLE_TELEMETRY ??= "1";
  // A CommonJS package: node's ESM loader puts it on `default`, tsx (tests, benches) on the namespace.
  const mod = await import("onnxruntime-node");
  const ort: typeof mod.default = (mod.default as typeof mod.default | undefined) ?? mod;
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(spec.model, { executionProviders: [...providers] });
  } catch (error) {
    throw new MerrError("E_CONFIG_INVALID", `onnxruntime cannot load ${spec.model} with providers ${providers.join(",")}: ${(error as Error).message}`, { cause: error });
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (!inputName || !outputName) throw new MerrError("E_CONFIG_INVALID", `${spec.model} has no input or no output`);
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const inputShape = meta && meta.isTensor ? meta.shape : [];
  return {
    model: spec.model,
    inputName,
    inputShape,
    async run(data, dims) {
      const out = await session.run({ [inputName]: new ort.Tensor("float32", data, [...dims]) });
      const tensor = out[outputName];
      if (!tensor || tensor.type !== "float32") {
        throw badFeature(`${spec.model}: output ${outputName} is ${tensor?.type ?? "missing"}, expected float32 [..., ${FEATURE_DIM}]`);
      }
      const result = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
      tensor.dispose();
      return result;
    },
    release: () => session.release(),
  };
}

/**
 * Checks an encoder output's shape: `ranks` allowed, the last axis FEATURE_DIM, the first `batch`.
 * Throws E_MODEL_OUTPUT_INVALID naming the model, the shape and what was expected.
 */
export function checkOutputShape(model: string, dims: readonly number[], ranks: readonly number[], batch: number, expected: string): void {
  const ok = ranks.includes(dims.length) && dims[dims.length - 1] === FEATURE_DIM && dims[0] === batch && dims.every((d) => d > 0);
  if (!ok) throw badFeature(`${model}: output shape [${dims.join(", ")}], expected ${expected}`);
}
