/**
 * The preprocessing the original feature extractors expect, as pure functions on arrays:
 * a normalised 16 kHz waveform for HuBERT, 224x224 ImageNet-normalised face crops for MAE, and
 * 16-frame clips sampled 8 segments x 2 for VideoMAE. See docs/features.md.
 */

/** Input side of the face models. */
export const FACE_SIZE = 224;
/** ImageNet mean and std (RGB), which MAE and VideoMAE were trained with. */
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

/**
 * Zero mean, unit variance, as Wav2Vec2FeatureExtractor(do_normalize=True) does for HuBERT.
 * A silent (constant) waveform stays all zeros.
 */
export function normaliseWaveform(samples: Float32Array): Float32Array {
  let mean = 0;
  for (const s of samples) mean += s;
  mean /= samples.length || 1;
  let v = 0;
  for (const s of samples) v += (s - mean) ** 2;
  const std = Math.sqrt(v / (samples.length || 1) + 1e-7);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i]! - mean) / std;
  return out;
}

export type Box = readonly [x: number, y: number, w: number, h: number];

/**
 * The square crop around a face box: the box's centre, side = longest box side x (1 + margin), kept
 * inside the frame where it fits (OpenFace's aligned faces also include some forehead and chin).
 */
export function squareCrop(box: Box, width: number, height: number, margin = 0.2): Box {
  const [x, y, w, h] = box;
  const side = Math.min(Math.max(w, h) * (1 + margin), width, height);
  const cx = x + w / 2;
  const cy = y + h / 2;
  const left = Math.min(Math.max(0, cx - side / 2), width - side);
  const top = Math.min(Math.max(0, cy - side / 2), height - side);
  return [left, top, side, side];
}

/**
 * Crops `crop` out of a packed RGB24 frame, resizes it bilinearly to size x size and writes it
 * ImageNet-normalised in planar CHW order into `out` at `offset`, with `planeStride` floats between
 * the channel planes (size*size for [N,3,H,W]; T*size*size for a [1,3,T,H,W] clip).
 */
export function writeFaceCrop(
  rgb: Uint8Array,
  width: number,
  height: number,
  crop: Box,
  out: Float32Array,
  offset: number,
  planeStride: number,
  size = FACE_SIZE,
): void {
  const [cx, cy, cw, ch] = crop;
  const sx = cw / size;
  const sy = ch / size;
  for (let j = 0; j < size; j++) {
    const fy = Math.min(Math.max(cy + (j + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let i = 0; i < size; i++) {
      const fx = Math.min(Math.max(cx + (i + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      const a = (y0 * width + x0) * 3;
      const b = (y0 * width + x1) * 3;
      const c = (y1 * width + x0) * 3;
      const d = (y1 * width + x1) * 3;
      for (let k = 0; k < 3; k++) {
        const top = rgb[a + k]! * (1 - wx) + rgb[b + k]! * wx;
        const bottom = rgb[c + k]! * (1 - wx) + rgb[d + k]! * wx;
        const value = (top * (1 - wy) + bottom * wy) / 255;
        out[offset + k * planeStride + j * size + i] = (value - MEAN[k]!) / STD[k]!;
      }
    }
  }
}

/**
 * VideoMAE's clip sampling: `segments` equal segments of the `n` face frames, `perSegment`
 * consecutive frames from the middle of each (8 x 2 = 16). A clip shorter than that repeats frames
 * in order (the original loader does the same). Pure; indices into the face frames.
 */
export function clipIndices(n: number, segments = 8, perSegment = 2): number[] {
  if (n <= 0) return [];
  const out: number[] = [];
  for (let s = 0; s < segments; s++) {
    const start = Math.floor((s * n) / segments);
    const end = Math.max(start + 1, Math.floor(((s + 1) * n) / segments));
    const first = Math.max(start, Math.min(end - perSegment, start + Math.floor((end - start - perSegment) / 2)));
    for (let k = 0; k < perSegment; k++) out.push(Math.min(first + k, n - 1));
  }
  return out;
}

/**
 * Mean over every axis but the last of a row-major tensor whose last axis is `dim` long: the
 * documented pooling ("mean over time", "mean over tokens and frames"). Pure.
 */
export function meanPool(data: Float32Array, dim: number): Float32Array {
  const rows = data.length / dim;
  const out = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) out[i]! += data[r * dim + i]!;
  return Float32Array.from(out, (v) => v / rows);
}
