import { MerrError } from "../../core/errors.ts";
import { readWav } from "../audio/index.ts";
import type { FaceSidecar } from "../face/index.ts";
import { FEATURE_DIM } from "./encoders.ts";
import { faceBoxes, faceFrames } from "./faces.ts";
import { checkOutputShape, type OnnxEncoder } from "./onnx.ts";
import { clipIndices, FACE_SIZE, meanPool, normaliseWaveform, squareCrop, writeFaceCrop } from "./preprocess.ts";
import { checkFinite } from "./validate.ts";

/** What one encoder computed for a clip, and where the time went. */
export interface Computed {
  vector: Float32Array;
  inputShape: number[];
  outputShape: number[];
  /** Face frames fed to the model (face encoders). */
  frames?: number;
  /** Decoding, cropping, resizing, normalising (ms). */
  preprocessMs: number;
  /** onnxruntime's session.run calls (ms). */
  inferenceMs: number;
}

const HUBERT_RATE = 16000;
const CLIP_FRAMES = 16;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function finish(enc: OnnxEncoder, vector: Float32Array): Float32Array {
  checkFinite(vector, `the output of ${enc.model}`);
  return vector;
}

/** HL-UTT: the 16 kHz mono WAV, normalised, as [1, samples]; the output [1, frames, 1024] averaged over frames. */
export async function hubertFeature(enc: OnnxEncoder, wavPath: string): Promise<Computed> {
  const t0 = performance.now();
  const pcm = await readWav(wavPath);
  if (pcm.sampleRate !== HUBERT_RATE) {
    throw new MerrError("E_INPUT_INVALID", `${wavPath} is ${pcm.sampleRate} Hz; HuBERT needs 16000 Hz (leave extract-audio.sampleRate at 16000)`);
  }
  const wave = normaliseWaveform(pcm.samples);
  const dims = [1, wave.length];
  const { value: out, ms } = await timed(() => enc.run(wave, dims));
  checkOutputShape(enc.model, out.dims, [2, 3], 1, `[1, frames, ${FEATURE_DIM}] (or [1, ${FEATURE_DIM}])`);
  const vector = finish(enc, meanPool(out.data, FEATURE_DIM));
  return { vector, inputShape: dims, outputShape: out.dims, preprocessMs: performance.now() - t0 - ms, inferenceMs: ms };
}

export interface FaceEncoders {
  mae?: OnnxEncoder;
  videomae?: OnnxEncoder;
}

/** [1, 3, 16, H, W] (the original VideoMAE) unless the model declares [1, 16, 3, H, W] (Hugging Face's VideoMAEModel). */
const timeFirst = (enc: OnnxEncoder): boolean => enc.inputShape.length === 5 && enc.inputShape[2] === 3 && enc.inputShape[1] !== 3;

/**
 * mae_340_UTT and maeV_399_UTT from one decoding pass over the frames the face analysis tracked:
 * each face is cropped square (with `margin`), resized to 224x224 and ImageNet-normalised.
 * MAE sees every face frame in batches of `batchSize` ([n, 3, 224, 224]); its output is averaged over
 * tokens, then frames. VideoMAE sees one 16-frame clip (8 segments x 2 of the face frames); its output
 * is averaged over tokens.
 */
export async function faceFeatures(
  encoders: FaceEncoders,
  video: string,
  sidecar: FaceSidecar,
  opts: { batchSize: number; margin: number; signal?: AbortSignal },
): Promise<{ mae?: Computed; videomae?: Computed }> {
  const t0 = performance.now();
  const n = faceBoxes(sidecar).size;
  const plane = FACE_SIZE * FACE_SIZE;
  const frameFloats = 3 * plane;
  // Positions of each face frame in the VideoMAE clip (a short clip repeats frames).
  const slots = new Map<number, number[]>();
  clipIndices(n, CLIP_FRAMES / 2, 2).forEach((k, t) => slots.set(k, [...(slots.get(k) ?? []), t]));
  const clip = encoders.videomae ? new Float32Array(CLIP_FRAMES * frameFloats) : undefined;
  const clipTimeFirst = encoders.videomae ? timeFirst(encoders.videomae) : false;

  const mae = encoders.mae;
  const batch = mae ? new Float32Array(opts.batchSize * frameFloats) : undefined;
  const maeSum = new Float64Array(FEATURE_DIM);
  let inBatch = 0;
  let maeFrames = 0;
  let maeMs = 0;
  let maeOut: number[] = [];
  const flush = async (): Promise<void> => {
    if (!mae || !batch || inBatch === 0) return;
    const dims = [inBatch, 3, FACE_SIZE, FACE_SIZE];
    const { value: out, ms } = await timed(() => mae.run(batch.subarray(0, inBatch * frameFloats), dims));
    maeMs += ms;
    checkOutputShape(mae.model, out.dims, [2, 3], inBatch, `[frames, ${FEATURE_DIM}] or [frames, tokens, ${FEATURE_DIM}]`);
    maeOut = out.dims;
    const pooled = meanPool(out.data, FEATURE_DIM);
    for (let i = 0; i < FEATURE_DIM; i++) maeSum[i]! += pooled[i]! * inBatch;
    maeFrames += inBatch;
    inBatch = 0;
  };

  let seen = 0;
  for await (const { k, frame, box } of faceFrames(video, sidecar, opts.signal)) {
    seen++;
    const crop = squareCrop(box, frame.width, frame.height, opts.margin);
    if (batch) {
      writeFaceCrop(frame.rgb, frame.width, frame.height, crop, batch, inBatch * frameFloats, plane);
      if (++inBatch === opts.batchSize) await flush();
    }
    for (const t of (clip && slots.get(k)) || []) {
      if (clipTimeFirst) writeFaceCrop(frame.rgb, frame.width, frame.height, crop, clip!, t * frameFloats, plane);
      else writeFaceCrop(frame.rgb, frame.width, frame.height, crop, clip!, t * plane, CLIP_FRAMES * plane);
    }
  }
  await flush();
  if (seen !== n) {
    throw new MerrError("E_INPUT_INVALID", `${video}: the face analysis tracked a face in ${n} frames, but decoding found ${seen} of them; redo au-extract (delete its record)`);
  }
  const result: { mae?: Computed; videomae?: Computed } = {};
  let clipMs = 0;
  if (encoders.videomae && clip) {
    const enc = encoders.videomae;
    const dims = clipTimeFirst ? [1, CLIP_FRAMES, 3, FACE_SIZE, FACE_SIZE] : [1, 3, CLIP_FRAMES, FACE_SIZE, FACE_SIZE];
    const { value: out, ms } = await timed(() => enc.run(clip, dims));
    clipMs = ms;
    checkOutputShape(enc.model, out.dims, [2, 3], 1, `[1, tokens, ${FEATURE_DIM}] (or [1, ${FEATURE_DIM}])`);
    result.videomae = { vector: finish(enc, meanPool(out.data, FEATURE_DIM)), inputShape: dims, outputShape: out.dims, frames: CLIP_FRAMES, preprocessMs: 0, inferenceMs: ms };
  }
  if (mae) {
    const vector = finish(mae, Float32Array.from(maeSum, (v) => v / maeFrames));
    result.mae = { vector, inputShape: [maeFrames, 3, FACE_SIZE, FACE_SIZE], outputShape: maeOut, frames: maeFrames, preprocessMs: 0, inferenceMs: maeMs };
  }
  // One decoding pass serves both: its time is split evenly between the encoders that used it.
  const preprocessMs = (performance.now() - t0 - maeMs - clipMs) / ((result.mae ? 1 : 0) + (result.videomae ? 1 : 0) || 1);
  if (result.mae) result.mae.preprocessMs = preprocessMs;
  if (result.videomae) result.videomae.preprocessMs = preprocessMs;
  return result;
}
