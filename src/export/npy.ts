import { open, readFile } from "node:fs/promises";

/** What an `.npy` header says (format versions 1.0, 2.0 and 3.0). */
export interface NpyHeader {
  version: string;
  /** numpy dtype string, e.g. `<f4` (little-endian float32). */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses the header of an `.npy` file's first bytes; throws an Error saying what is wrong. */
export function parseNpyHeader(buf: Uint8Array): NpyHeader {
  if (buf.length < 10 || !MAGIC.every((b, i) => buf[i] === b)) throw new Error("not an .npy file (magic \\x93NUMPY missing)");
  const major = buf[6]!;
  const minor = buf[7]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error("truncated .npy header");
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new Error(`unsupported .npy format version ${major}.${minor}`);
  }
  if (buf.length < start + headerLen) throw new Error("truncated .npy header");
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`malformed .npy header: ${text.trim()}`);
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => Number(s.replace(/L$/, "")));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`malformed .npy shape (${shapeText})`);
  return { version: `${major}.${minor}`, descr, fortranOrder: fortran === "True", shape, dataOffset: start + headerLen };
}

/** Reads just the header of an `.npy` file (the first 4 KiB are enough for any real header) and its size. */
export async function readNpyHeader(file: string): Promise<{ header: NpyHeader; size: number }> {
  const fh = await open(file, "r");
  try {
    const size = (await fh.stat()).size;
    const buf = new Uint8Array(Math.min(size, 4096));
    await fh.read(buf, 0, buf.length, 0);
    return { header: parseNpyHeader(buf), size };
  } finally {
    await fh.close();
  }
}

/**
 * Whether a valid float32 feature file holds only zeros: a placeholder (what `--zero-face-features`
 * writes, and what Emotion-LLaMA's demo feeds) from which the trainer learns nothing.
 */
export async function isZeroNpy(file: string, header: NpyHeader): Promise<boolean> {
  const buf = await readFile(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = header.dataOffset; at + 4 <= buf.length; at += 4) {
    if (view.getFloat32(at, true) !== 0) return false;
  }
  return true;
}

const ITEM_SIZE: Readonly<Record<string, number>> = { f4: 4, f8: 8, f2: 2, i4: 4, i8: 8, i2: 2, i1: 1, u1: 1, b1: 1 };

/**
 * What is wrong with `header` (+ file size) for a trainer utterance feature: it must be ONE float32
 * vector of `dim` values. `undefined` when it is right.
 */
export function npyFeatureProblem(header: NpyHeader, size: number, dim = 1024): string | undefined {
  const isF4 = header.descr === "<f4" || header.descr === "=f4" || header.descr === "|f4";
  if (header.shape.length !== 1 || header.shape[0] !== dim) {
    const got = `(${header.shape.join(", ")}${header.shape.length === 1 ? "," : ""})`;
    const hint = header.shape.length === 2 && header.shape[1] === dim ? " (a per-frame array: average over axis 0)" : "";
    return `shape ${got}, expected (${dim},)${hint}`;
  }
  if (!isF4) return `dtype ${header.descr}, expected <f4 (float32)`;
  const item = ITEM_SIZE[header.descr.slice(1)] ?? 4;
  const expected = header.dataOffset + dim * item;
  if (size < expected) return `file is truncated: ${size} bytes, expected ${expected}`;
  return undefined;
}

/** Encodes a float32 vector as an `.npy` (version 1.0) file, header padded to a multiple of 64 bytes. */
export function encodeNpyFloat32(values: ArrayLike<number>, shape: readonly number[] = [values.length]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + dict.length + 1;
  dict += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + dict.length + values.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  const data = new Float32Array(values.length);
  data.set(Array.from(values));
  out.set(new Uint8Array(data.buffer), 10 + dict.length);
  return out;
}
