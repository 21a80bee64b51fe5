import { readFile } from "node:fs/promises";
import { MerrError } from "../../core/errors.ts";
import { convertAudioToWav, decodeAudioF32 } from "../tools/ffmpeg.ts";

/** Sample rate of every PCM buffer merr analyses (extract-audio writes 16 kHz mono). */
export const PCM_RATE = 16000;

/** Mono PCM in [-1, 1] with its sample rate. */
export interface Pcm {
  samples: Float32Array;
  sampleRate: number;
}

/** What a WAV header says, and where its samples are. */
export interface WavFormat {
  /** 1 = integer PCM, 3 = IEEE float. */
  format: number;
  channels: number;
  rate: number;
  bits: number;
  dataOffset: number;
  dataBytes: number;
}

/** Reads the RIFF/WAVE chunk list. Pure. Throws E_MEDIA_INVALID when it is not a WAV file. */
export function parseWavFormat(bytes: Uint8Array, source = "wav"): WavFormat {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    throw new MerrError("E_MEDIA_INVALID", `${source}: not a RIFF/WAVE file`);
  }
  let fmt: Omit<WavFormat, "dataOffset" | "dataBytes"> | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    let size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format === 0xfffe && size >= 40) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === "data") {
      if (!fmt) throw new MerrError("E_MEDIA_INVALID", `${source}: data chunk before fmt chunk`);
      // ffmpeg writing to a pipe leaves the size at 0xffffffff: read to the end of the file.
      if (size === 0xffffffff || body + size > bytes.length) size = bytes.length - body;
      return { ...fmt, dataOffset: body, dataBytes: size };
    }
    at = body + size + (size & 1);
  }
  throw new MerrError("E_MEDIA_INVALID", `${source}: no data chunk`);
}

/** Parses a 16-bit integer or 32-bit float PCM WAV and mixes it down to mono. Pure. */
export function parseWav(bytes: Uint8Array, source = "wav"): Pcm {
  const f = parseWavFormat(bytes, source);
  return { samples: decodeFrames(bytes.subarray(f.dataOffset, f.dataOffset + f.dataBytes), f, source), sampleRate: f.rate };
}

function decodeFrames(data: Uint8Array, fmt: { format: number; channels: number; bits: number }, source: string): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ch = Math.max(1, fmt.channels);
  const bytesPer = fmt.bits / 8;
  const frames = Math.floor(data.byteLength / (bytesPer * ch));
  const out = new Float32Array(frames);
  const read =
    fmt.format === 1 && fmt.bits === 16
      ? (o: number) => view.getInt16(o, true) / 32768
      : fmt.format === 3 && fmt.bits === 32
        ? (o: number) => view.getFloat32(o, true)
        : undefined;
  if (!read) throw new MerrError("E_MEDIA_INVALID", `${source}: unsupported WAV encoding (format ${fmt.format}, ${fmt.bits} bits)`);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < ch; c++) sum += read((i * ch + c) * bytesPer);
    out[i] = sum / ch;
  }
  return out;
}

/** Reads a WAV file (extract-audio's 16 kHz mono s16) without spawning a decoder. */
export async function readWav(file: string): Promise<Pcm> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new MerrError("E_INPUT_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseWav(bytes, file);
}

/** Decodes any media file's first audio stream to 16 kHz mono float PCM with ffmpeg. */
export async function decodeToPcm(file: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Pcm> {
  const b = await decodeAudioF32(file, PCM_RATE, opts);
  // Copy into an aligned buffer: the tool's bytes may start at an odd offset.
  const samples = new Float32Array(b.byteLength >> 2);
  new Uint8Array(samples.buffer).set(b.subarray(0, samples.length * 4));
  if (samples.length === 0) throw new MerrError("E_MEDIA_INVALID", `${file}: no decodable audio`);
  return { samples, sampleRate: PCM_RATE };
}

/** Converts any media file's first audio stream to a 16 kHz mono s16 WAV file (for tools that need a file). */
export async function convertToWav(file: string, outWav: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  await convertAudioToWav(file, outWav, PCM_RATE, opts);
}

/**
 * Loads a file as 16 kHz mono PCM: a 16 kHz WAV is parsed directly (the extract-audio case, no
 * subprocess); anything else (other rates, other containers) goes through ffmpeg, whose resampler
 * filters properly before decimating.
 */
export async function loadPcm16k(file: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Pcm> {
  if (file.toLowerCase().endsWith(".wav")) {
    try {
      const pcm = await readWav(file);
      if (pcm.sampleRate === PCM_RATE) return pcm;
    } catch (error) {
      // A .wav merr cannot parse itself (e.g. an unusual encoding) may still decode with ffmpeg.
      if (!(error instanceof MerrError) || error.code !== "E_MEDIA_INVALID") throw error;
    }
  }
  return decodeToPcm(file, opts);
}
