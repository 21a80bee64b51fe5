import { readFile } from "node:fs/promises";
import { MerrError } from "../../core/errors.ts";
// The .npy codec lives with the exporter, which checks the same files; merr has one.
import { encodeNpyFloat32, parseNpyHeader } from "../../export/npy.ts";
import { FEATURE_DIM } from "./encoders.ts";

/** A bad feature: permanent (the same extractor gives the same output), so no retry is wasted on it. */
export const badFeature = (message: string, file?: string): MerrError =>
  new MerrError("E_MODEL_OUTPUT_INVALID", message, { retryable: false, ...(file ? { details: { file } } : {}) });

/** The index and value of the first NaN or ±Inf, if any. Pure. */
export function firstNonFinite(values: ArrayLike<number>): { index: number; value: number } | undefined {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return { index: i, value: values[i]! };
  return undefined;
}

const EXPECTED = `one float32 vector of shape (${FEATURE_DIM},), finite`;

/**
 * Reads an extractor's `.npy` and checks it is one little-endian float32 (1024,) vector of finite
 * values. Anything else (empty file, not .npy, another shape or dtype, truncated, NaN/Inf) throws
 * E_MODEL_OUTPUT_INVALID naming the file, what it holds and what was expected. Never pads or casts.
 */
export async function readFeatureNpy(file: string, what: string): Promise<Float32Array> {
  let buf: Uint8Array;
  try {
    buf = await readFile(file);
  } catch (error) {
    throw badFeature(`${what} wrote no ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); expected ${EXPECTED}`, file);
  }
  if (buf.length === 0) throw badFeature(`${what} wrote an empty file ${file} (0 bytes); expected ${EXPECTED}`, file);
  let header;
  try {
    header = parseNpyHeader(buf);
  } catch (error) {
    throw badFeature(`${what} wrote ${file}, which is ${(error as Error).message}; expected ${EXPECTED}`, file);
  }
  const shape = `(${header.shape.join(", ")}${header.shape.length === 1 ? "," : ""})`;
  if (header.shape.length !== 1 || header.shape[0] !== FEATURE_DIM) {
    const hint = header.shape.length === 2 && header.shape[1] === FEATURE_DIM ? " (a per-frame array: average it over axis 0)" : "";
    throw badFeature(`${what} wrote ${file} with shape ${shape}, expected (${FEATURE_DIM},)${hint}`, file);
  }
  if (!["<f4", "=f4", "|f4"].includes(header.descr)) {
    throw badFeature(`${what} wrote ${file} with dtype ${header.descr}, expected <f4 (float32, little-endian)`, file);
  }
  if (header.fortranOrder) throw badFeature(`${what} wrote ${file} in Fortran order, expected C order`, file);
  const bytes = FEATURE_DIM * 4;
  if (buf.length < header.dataOffset + bytes) {
    throw badFeature(`${what} wrote ${file} truncated: ${buf.length} bytes, expected ${header.dataOffset + bytes} for shape (${FEATURE_DIM},) float32`, file);
  }
  // A copy: readFile's Buffer may be a view into a larger pool, so its .buffer is not the data.
  const values = new Float32Array(new Uint8Array(buf.subarray(header.dataOffset, header.dataOffset + bytes)).buffer);
  checkFinite(values, `${what}'s ${file}`, file);
  return values;
}

/** Throws E_MODEL_OUTPUT_INVALID when a value is NaN or ±Inf. */
export function checkFinite(values: Float32Array, where: string, file?: string): void {
  const bad = firstNonFinite(values);
  if (bad) throw badFeature(`${where} holds ${bad.value} at index ${bad.index}; expected ${EXPECTED}`, file);
}

export const encodeFeature = (values: Float32Array): Uint8Array => encodeNpyFloat32(values);
