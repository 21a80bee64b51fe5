import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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

/** Debian's pocketsphinx-en-us: the acoustic model's feature parameters (`-cmninit` among them). */
const FEAT_PARAMS = "/usr/share/pocketsphinx/model/en-us/en-us/feat.params";

/**
 * The first pass: a word search with narrow beams (about 0.04 x real time of CPU, plus loading the
 * model and dictionary: 0.15 x on 3-4 s clips), run only for the cepstral mean its log ends with.
 * The flat-lexicon pass (`-fwdflat`, on by default) stays on: it makes pocketsphinx keep every frame,
 * and only then is the final mean always logged. A phone loop (`-allphone ... -allphone_ci yes`) is as
 * cheap but logged no mean for 43 of the benchmark's 166 inputs.
 */
const MEAN_PASS = ["-bestpath", "no", "-beam", "1e-20", "-pbeam", "1e-20", "-wbeam", "1e-10", "-maxhmmpf", "1000", "-fwdflatbeam", "1e-20", "-fwdflatwbeam", "1e-10"];

/** The `cmn_live.c` log line written at the end of an utterance: `Update to   < 46.84  7.55 ... >`. */
const CMN_UPDATE = /Update to\s+<([^>]*)>/g;

/**
 * The cepstral mean pocketsphinx arrived at over the whole input: the last `Update to < ... >` of its
 * log (one per utterance; the last covers all of them). undefined when it logged none (no speech
 * frames). Pure.
 */
export function parseCepstralMean(log: string): number[] | undefined {
  const last = [...log.matchAll(CMN_UPDATE)].pop();
  const values = last?.[1]?.trim().split(/\s+/).map(Number);
  return values && values.length > 0 && values.every(Number.isFinite) ? values : undefined;
}

/** The model's feat.params with `-cmninit` set to the given mean (added when the file has none). Pure. */
export function withCepstralMean(featParams: string, mean: readonly number[]): string {
  const cmninit = `-cmninit ${mean.map((v) => v.toFixed(2)).join(",")}`;
  const lines = featParams.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("-cmninit "));
  return [...lines, cmninit, ""].join("\n");
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

/**
 * English speech to text, offline, with Debian's pocketsphinx 0.8 and its en-us model.
 * pocketsphinx reads a 16 kHz mono 16-bit WAV from a file (it cannot open a socket as its input,
 * and Node's child-process pipes are sockets): other inputs are converted to a temp file first.
 * Silence gives "". The words come with pocketsphinx's posteriors, which the transcript stage's gate
 * (core/transcript-gate.ts) judges.
 *
 * Two passes. pocketsphinx_continuous normalises the cepstra with a running mean that starts from the
 * model's `-cmninit` and is only updated after 8 s of speech or at the end of an utterance, so a short
 * clip is decoded entirely against the mean of the model's training data: far off for synthetic voices,
 * band-limited or emotional speech. The first pass (MEAN_PASS) only estimates the clip's mean; the
 * second decodes the words starting from it. On the tuning half of `npm run bench:asr-guard` this cut
 * the mean word error rate of English from 0.43 to 0.31 (docs/audio.md). The command line's `-cmninit`
 * is overridden by the model's feat.params, so the mean goes in through a copy of that file
 * (`-featparams`). Without feat.params where Debian puts it, or without a logged mean, the clip is
 * decoded in one pass.
 */
export async function transcribeWithPocketsphinx(
  file: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ text: string; words: RecognisedWord[]; version: string }> {
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), "merr-asr-"));
  try {
    let wav = file;
    if (!(await isPocketsphinxReady(file))) {
      wav = path.join(tmpDir, "speech.wav");
      await convertToWav(file, wav, { signal: opts.signal });
    }
    const run = { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 300_000 };
    // -time yes adds one line per word with its times and posterior probability (the confidence gate).
    const args = ["-infile", wav, "-time", "yes", "-logfn", "/dev/null"];
    if (await exists(FEAT_PARAMS)) {
      const log = path.join(tmpDir, "mean.log");
      await runTool(POCKETSPHINX_BIN, ["-infile", wav, "-logfn", log, ...MEAN_PASS], run);
      const mean = parseCepstralMean(await readFile(log, "utf8"));
      if (mean) {
        const params = path.join(tmpDir, "feat.params");
        await writeFile(params, withCepstralMean(await readFile(FEAT_PARAMS, "utf8"), mean));
        args.push("-featparams", params);
      }
    }
    const r = await runTool(POCKETSPHINX_BIN, args, run);
    return { ...parsePocketsphinxTimed(r.stdout), version: await pocketsphinxVersion() };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
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
