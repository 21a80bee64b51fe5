import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runTool } from "../tools/run-tool.ts";
import { convertToWav, parseWavFormat, PCM_RATE } from "./pcm.ts";

export const POCKETSPHINX_BIN = "pocketsphinx_continuous";

/** Tokens pocketsphinx prints for non-speech (fillers, noise), never words. */
const FILLER = /^(?:<s>|<\/s>|<sil>|\[[a-z_]+\]|\+\+[a-z]+\+\+)$/i;

/** One recognised word: times in seconds, and pocketsphinx's posterior probability (0..1). */
export interface RecognisedWord {
  word: string;
  startS: number;
  endS: number;
  posterior: number;
}

/** A `-time yes` segment line: `<token> <start> <end> <posterior>`. */
const SEGMENT = /^(\S+) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i;

const cleanWord = (w: string): string => w.replace(/\(\d+\)$/, "");

/**
 * Turns pocketsphinx_continuous stdout into one transcript and, when it was run with `-time yes`, the
 * words with their times and posteriors (fillers and silences dropped). Hypothesis lines (one per
 * utterance) give the text; segment lines give the words. Pure.
 */
export function parsePocketsphinxTimed(stdout: string): { text: string; words: RecognisedWord[] } {
  const hypothesis: string[] = [];
  const words: RecognisedWord[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const seg = SEGMENT.exec(line);
    if (seg) {
      if (!FILLER.test(seg[1]!)) words.push({ word: cleanWord(seg[1]!), startS: Number(seg[2]), endS: Number(seg[3]), posterior: Number(seg[4]) });
      continue;
    }
    hypothesis.push(...line.split(/\s+/).filter((w) => !FILLER.test(w)).map(cleanWord));
  }
  return { text: hypothesis.join(" "), words };
}

/** Turns pocketsphinx_continuous stdout (one hypothesis line per utterance) into one transcript. Pure. */
export function parsePocketsphinxOutput(stdout: string): string {
  return parsePocketsphinxTimed(stdout).text;
}

/**
 * English speech to text, offline, with Debian's pocketsphinx 0.8 and its en-us model.
 * pocketsphinx reads a 16 kHz mono 16-bit WAV from a file (it cannot open a socket as its input,
 * and Node's child-process pipes are sockets): other inputs are converted to a temp file first.
 * Silence gives "". Slow: about real time on one core. The words come with pocketsphinx's posteriors,
 * which the transcript stage's gate (core/transcript-gate.ts) judges.
 */
export async function transcribeWithPocketsphinx(
  file: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ text: string; words: RecognisedWord[]; version: string }> {
  let wav = file;
  let tmpDir: string | undefined;
  try {
    if (!(await isPocketsphinxReady(file))) {
      tmpDir = await mkdtemp(path.join(os.tmpdir(), "merr-asr-"));
      wav = path.join(tmpDir, "speech.wav");
      await convertToWav(file, wav, { signal: opts.signal });
    }
    // -time yes adds one line per word with its times and posterior probability (the confidence gate).
    const r = await runTool(POCKETSPHINX_BIN, ["-infile", wav, "-time", "yes", "-logfn", "/dev/null"], {
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? 300_000,
    });
    return { ...parsePocketsphinxTimed(r.stdout), version: await pocketsphinxVersion() };
  } finally {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  }
}

/** True for a 16 kHz mono 16-bit PCM WAV (what pocketsphinx's default model reads as is). */
async function isPocketsphinxReady(file: string): Promise<boolean> {
  if (!file.toLowerCase().endsWith(".wav")) return false;
  try {
    const f = parseWavFormat(await readFile(file), file);
    return f.format === 1 && f.channels === 1 && f.rate === PCM_RATE && f.bits === 16;
  } catch {
    // Not a WAV merr can read: let ffmpeg convert it.
    return false;
  }
}

let versionMemo: Promise<string> | undefined;

/** pocketsphinx has no version flag: ask the package manager (Debian), else "unknown". */
export function pocketsphinxVersion(): Promise<string> {
  versionMemo ??= runTool("dpkg-query", ["-W", "-f", "${Package} ${Version}\\n", "pocketsphinx", "pocketsphinx-en-us"]).then(
    (r) => r.stdout.trim().split("\n").join(", "),
    () => "pocketsphinx (version unknown)",
  );
  return versionMemo;
}
