/**
 * Writes three tiny ONNX models with the input and output ranks of the real trainer-feature encoders,
 * so the tests and bench:features run the features stage through onnxruntime-node without any weights:
 *
 *   hubert.onnx    input_values [1, S]              -> last_hidden_state [1, T, 1024]   (Conv1d k400 s320, like HuBERT's 20 ms frames)
 *   mae.onnx       pixel_values [N, 3, 224, 224]    -> last_hidden_state [N, 196, 1024] (16x16 patches, projected)
 *   videomae.onnx  pixel_values [1, 3, 16, 224, 224] -> last_hidden_state [1, 1568, 1024] (2x16x16 tubelets, projected)
 *
 * The protobuf is written by hand (a few ONNX message types, opset 17); no Python or onnx package is
 * needed. Weights are pseudo-random from `seed`, so another seed gives another model file (and hash).
 *
 *   node --import tsx scripts/make-test-onnx.ts <dir> [seed]
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

// ---- protobuf wire format (varint = 0, 64-bit = 1, length-delimited = 2, 32-bit = 5) ----
type Bytes = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

const concat = (parts: readonly Bytes[]): Bytes => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const int = (field: number, n: number): Bytes => new Uint8Array([...key(field, 0), ...varint(n)]);
const bytes = (field: number, data: Bytes): Bytes => concat([new Uint8Array([...key(field, 2), ...varint(data.length)]), data]);
const str = (field: number, s: string): Bytes => bytes(field, new TextEncoder().encode(s));
const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, concat(parts));
const f32 = (field: number, x: number): Bytes => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return concat([new Uint8Array(key(field, 5)), b]);
};

// ---- ONNX messages (onnx.proto field numbers) ----
const FLOAT = 1;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

type Attr = { name: string; i?: number; f?: number; ints?: number[] };
const attribute = (a: Attr): Bytes =>
  concat([
    str(1, a.name),
    a.f !== undefined ? f32(2, a.f) : new Uint8Array(),
    a.i !== undefined ? int(3, a.i) : new Uint8Array(),
    ...(a.ints ?? []).map((n) => int(8, n)),
    int(20, a.ints ? ATTR_INTS : a.f !== undefined ? ATTR_FLOAT : ATTR_INT),
  ]);
const node = (op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): Bytes =>
  concat([...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attrs.map((a) => msg(5, attribute(a)))]);
const tensorF32 = (name: string, dims: number[], values: Float32Array): Bytes =>
  concat([...dims.map((d) => int(1, d)), int(2, FLOAT), str(8, name), bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength))]);
const tensorI64 = (name: string, values: number[]): Bytes => {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return concat([int(1, values.length), int(2, INT64), str(8, name), bytes(9, new Uint8Array(data.buffer))]);
};
const valueInfo = (name: string, dims: Array<number | string>): Bytes =>
  concat([
    str(1, name),
    msg(2, msg(1, int(1, FLOAT), msg(2, ...dims.map((d) => msg(1, typeof d === "number" ? int(1, d) : str(2, d)))))),
  ]);

function model(graph: { nodes: Bytes[]; inits: Bytes[]; input: Bytes; output: Bytes; name: string }): Bytes {
  const g = concat([...graph.nodes.map((n) => msg(1, n)), str(2, graph.name), ...graph.inits.map((t) => msg(5, t)), msg(11, graph.input), msg(12, graph.output)]);
  return concat([int(1, 8), str(2, "merr scripts/make-test-onnx.ts"), msg(7, g), msg(8, str(1, ""), int(2, 17))]);
}

/** Deterministic pseudo-random weights in [-scale, scale] (mulberry32). */
function weights(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

const DIM = 1024;

/** HuBERT-like: waveform [1, S] -> Conv1d(1->1024, k400, s320) -> Tanh -> [1, T, 1024]. */
export function hubertModel(seed = 1): Bytes {
  return model({
    name: "tiny-hubert",
    nodes: [
      node("Unsqueeze", ["input_values", "axis1"], ["wave"]),
      node("Conv", ["wave", "conv_w", "conv_b"], ["conv"], [{ name: "kernel_shape", ints: [400] }, { name: "strides", ints: [320] }]),
      node("Tanh", ["conv"], ["act"]),
      node("Transpose", ["act"], ["last_hidden_state"], [{ name: "perm", ints: [0, 2, 1] }]),
    ],
    inits: [tensorI64("axis1", [1]), tensorF32("conv_w", [DIM, 1, 400], weights(DIM * 400, seed, 0.05)), tensorF32("conv_b", [DIM], weights(DIM, seed + 1, 0.1))],
    input: valueInfo("input_values", [1, "samples"]),
    output: valueInfo("last_hidden_state", [1, "frames", DIM]),
  });
}

/** Projects mean-pooled patches (`pool` kernel over `[.., H, W]`) of 3 channels to 1024: [B, 3, ...] -> [B, tokens, 1024]. */
function patchModel(name: string, input: Array<number | string>, kernel: number[], output: Array<number | string>, seed: number): Bytes {
  return model({
    name,
    nodes: [
      node("AveragePool", ["pixel_values"], ["pooled"], [{ name: "kernel_shape", ints: kernel }, { name: "strides", ints: kernel }]),
      node("Reshape", ["pooled", "flat_shape"], ["flat"]),
      node("Transpose", ["flat"], ["tokens"], [{ name: "perm", ints: [0, 2, 1] }]),
      node("MatMul", ["tokens", "proj_w"], ["proj"]),
      node("Add", ["proj", "proj_b"], ["last_hidden_state"]),
    ],
    inits: [tensorI64("flat_shape", [0, 3, -1]), tensorF32("proj_w", [3, DIM], weights(3 * DIM, seed, 1)), tensorF32("proj_b", [DIM], weights(DIM, seed + 1, 0.1))],
    input: valueInfo("pixel_values", input),
    output: valueInfo("last_hidden_state", output),
  });
}

/** MAE-like: face crops [N, 3, 224, 224] -> [N, 196, 1024]. */
export const maeModel = (seed = 1): Bytes => patchModel("tiny-mae", ["frames", 3, 224, 224], [16, 16], ["frames", 196, DIM], seed + 10);

/** VideoMAE-like: one 16-frame face clip [1, 3, 16, 224, 224] (B, C, T, H, W) -> [1, 1568, 1024]. */
export const videoMaeModel = (seed = 1): Bytes => patchModel("tiny-videomae", [1, 3, 16, 224, 224], [2, 16, 16], [1, 1568, DIM], seed + 20);

export interface TestModels {
  hubert: string;
  mae: string;
  videomae: string;
}

/** Writes `hubert.onnx`, `mae.onnx` and `videomae.onnx` into `dir`. */
export async function writeTestModels(dir: string, seed = 1): Promise<TestModels> {
  await mkdir(dir, { recursive: true });
  const out = { hubert: path.join(dir, "hubert.onnx"), mae: path.join(dir, "mae.onnx"), videomae: path.join(dir, "videomae.onnx") };
  await writeFile(out.hubert, hubertModel(seed));
  await writeFile(out.mae, maeModel(seed));
  await writeFile(out.videomae, videoMaeModel(seed));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: node --import tsx scripts/make-test-onnx.ts <dir> [seed]\n");
    process.exit(64);
  }
  const written = await writeTestModels(dir, Number(process.argv[3] ?? 1));
  process.stdout.write(`${Object.values(written).join("\n")}\n`);
}
