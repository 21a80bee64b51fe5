import path from "node:path";
import { runTool } from "../../src/adapters/tools/run-tool.ts";
import { tempDir } from "./temp.ts";

/**
 * Generated test speech. flite's kal16 voice (16 kHz) is the one pocketsphinx recognises well; espeak-ng
 * gives exact control of pitch (-p 0..99), speed (-s words per minute) and amplitude (-a 0..200).
 */
export async function speechDir(): Promise<string> {
  return tempDir("merr-speech-");
}

export async function flite(
  dir: string,
  name: string,
  text: string,
  opts: { f0?: number; stretch?: number; voice?: "kal16" | "kal"; monotone?: boolean } = {},
): Promise<string> {
  const out = path.join(dir, `${name}.wav`);
  // kal is flite's 8 kHz voice: band-limited speech, as from a telephone.
  const args = ["-voice", opts.voice ?? "kal16", "-t", text, "-o", out];
  if (opts.f0 !== undefined) args.push("--setf", `int_f0_target_mean=${opts.f0}`);
  // kal and kal16 follow this (a pitch spread of about 0.15 semitones); flite's slt, awb and rms ignore it.
  if (opts.monotone) args.push("--setf", "int_f0_target_stddev=0");
  if (opts.stretch !== undefined) args.push("--setf", `duration_stretch=${opts.stretch}`);
  await runTool("flite", args);
  return out;
}

export async function espeak(
  dir: string,
  name: string,
  text: string,
  opts: { voice?: string; pitch?: number; speed?: number; amplitude?: number; monotone?: boolean } = {},
): Promise<string> {
  const out = path.join(dir, `${name}.wav`);
  const args = ["-w", out];
  // SSML's pitch range 0 %: a pitch spread of about 0.1 semitones, where espeak-ng's own intonation has 1.3-2.5.
  if (opts.monotone) text = `<speak><prosody range="0%">${text}</prosody></speak>`;
  if (opts.monotone) args.push("-m");
  if (opts.voice !== undefined) args.push("-v", opts.voice);
  if (opts.pitch !== undefined) args.push("-p", String(opts.pitch));
  if (opts.speed !== undefined) args.push("-s", String(opts.speed));
  if (opts.amplitude !== undefined) args.push("-a", String(opts.amplitude));
  // espeak-ng opens a PulseAudio client even when it writes a file, and libpulse leaves a pulse-* folder
  // in TMPDIR: keep it in this test's own folder.
  await runTool("espeak-ng", [...args, text], { env: { TMPDIR: dir } });
  return out;
}

/** Converts any audio file to the 16 kHz mono s16 WAV that extract-audio produces. */
export async function to16k(file: string, out = file.replace(/\.wav$/, ".16k.wav")): Promise<string> {
  await runTool("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", file, "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", out]);
  return out;
}

/**
 * Two seconds of a steady tone as extract-audio writes it (16 kHz mono WAV): `sine`, a 440 Hz sine passed
 * through AAC as in a video clip (ffmpeg's lavfi), or `buzz`, a 150 Hz sawtooth (sox).
 */
export async function steadyTone(dir: string, kind: "sine" | "buzz"): Promise<string> {
  const out = path.join(dir, `${kind}.wav`);
  if (kind === "buzz") {
    await runTool("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", out, "synth", "2", "sawtooth", "150", "vol", "0.3"]);
    return out;
  }
  const m4a = path.join(dir, "sine.m4a");
  await runTool("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", m4a]);
  return to16k(m4a, out);
}

/** Two seconds of digital silence, or of quiet pink noise, as 16 kHz WAV (sox). */
export async function nonSpeech(dir: string, kind: "silence" | "noise"): Promise<string> {
  const out = path.join(dir, `${kind}.wav`);
  const gen = kind === "silence" ? ["trim", "0", "2"] : ["synth", "2", "pinknoise", "vol", "0.05"];
  await runTool("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", out, ...gen]);
  return out;
}

/** Word error rate: word-level Levenshtein distance over the reference length (case and punctuation ignored). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const words = (s: string) => s.toLowerCase().replace(/[^a-z' ]/g, " ").split(/\s+/).filter(Boolean);
  const r = words(reference);
  const h = words(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return r.length ? prev[h.length]! / r.length : h.length ? 1 : 0;
}
