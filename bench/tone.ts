/**
 * Tone benchmark: prosody features, tone descriptions and timings for the six CREMA-D sample clips
 * (one actor, one sentence, six acted emotions) in data/sample.
 *
 *   node --import tsx bench/tone.ts [--runs 5] [--json]
 *
 * Decoding (ffmpeg, 16 kHz mono) is timed apart from the analysis. The transcript is the sentence
 * of labels.csv (as a manifest would give it), so the speaking rate counts dictionary syllables.
 * The last lines say whether angry reads louder and more aroused than sad and neutral, then what
 * background music does to the description: each clip mixed with a synthetic melody (piano-like notes
 * with four harmonics, 0.25 s each) at 20, 12 and 6 dB under the clip's level. Drama mixes keep music
 * beds about 20 dB under the dialogue; the melody is tonal, like the music that confuses a pitch tracker.
 * Then the same for lossy audio as footage carries it: each clip's audio re-encoded to AAC at 96, 48 and
 * 24 kbit/s; for digital silence added before (and after) the clip, as an edited or re-muxed file has it;
 * and for a steady room-noise bed at 30 and 20 dB under. Pauses: each clip joined to the next one (its
 * digital silence at the start left out), so the two sentences are one recording with one pause between
 * them, of the clips' own room noise; the truth is one pause per pair. Last, what should count a Chinese clip's syllables when only an English translation is given
 * (MER2023 without its chinese column): eight Chinese sentences read by espeak-ng, with English translations
 * of the same content written for this check; the truth is one syllable per Han character. espeak-ng's
 * Cantonese voice reads them; its Mandarin voice reads the pinyin tone digits of many characters as English
 * words (its phonemes switch to "(en)"), so it is only checked for that, not measured.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { projectPath } from "../src/core/paths.ts";
import { runTool } from "../src/adapters/tools/run-tool.ts";
import {
  analyzeProsody,
  countSyllables,
  decodeToPcm,
  describeTone,
  loadSyllableDictionary,
  loadToneWording,
  type ProsodyFeatures,
} from "../src/adapters/audio/index.ts";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] ?? 5) || 5;
const asJson = args.includes("--json");

interface Row {
  file: string;
  emotion: string;
  sentence: string;
}
const rows = parse(await readFile(projectPath("data/sample/labels.csv"), "utf8"), { columns: true }) as Row[];
const wording = await loadToneWording(projectPath("data/tone/wording.yaml"));
const dict = await loadSyllableDictionary();

interface Result {
  emotion: string;
  audioS: number;
  decodeMs: number;
  analyzeMs: number;
  msPerAudioS: number;
  features: ProsodyFeatures;
  arousal: number;
  description: string;
}
/** The background-music condition: a deterministic melody of `n` samples at 16 kHz, unit peak per note. */
function melody(n: number): Float32Array {
  const notes = [262, 330, 392, 523, 440, 349, 294, 392];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    const f = notes[Math.floor(t / 0.25) % notes.length]!;
    let v = 0;
    for (let h = 1; h <= 4; h++) v += Math.sin(2 * Math.PI * f * h * t) / h;
    out[i] = v * Math.exp(-(t % 0.25) * 4);
  }
  return out;
}
/** The room-noise condition: deterministic noise, low-passed (one-pole, about 270 Hz), like a room's hum and air. */
function roomNoise(n: number): Float32Array {
  let seed = 12345;
  let y = 0;
  return Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    y = 0.9 * y + 0.1 * ((seed / 2147483648) * 2 - 1);
    return y;
  });
}
const rms = (x: Float32Array): number => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));
const mix = (x: Float32Array, bed: Float32Array, levelDb: number): Float32Array => {
  const gain = (rms(x) * 10 ** (levelDb / 20)) / rms(bed);
  return x.map((v, i) => v + gain * bed[i]!);
};
const silence = (x: Float32Array, beforeS: number, afterS: number): Float32Array => {
  const out = new Float32Array(x.length + Math.round((beforeS + afterS) * 16000));
  out.set(x, Math.round(beforeS * 16000));
  return out;
};
const AAC_RATES = ["96k", "48k", "24k"];
/** The description of each clip under each condition, by group (`variant` names the level or rate). */
const conditions: Array<{ group: string; variant: string; emotion: string; description: string }> = [];
const pcms: Array<{ emotion: string; samples: Float32Array; syllables: number }> = [];
const aacDir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-tone-aac-"));

const results: Result[] = [];
for (const row of rows) {
  let t = performance.now();
  const pcm = await decodeToPcm(projectPath("data/sample", row.file));
  const decodeMs = performance.now() - t;
  const syllables = countSyllables(row.sentence, dict);
  let analysis = analyzeProsody(pcm.samples, { transcriptSyllables: syllables });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    analysis = analyzeProsody(pcm.samples, { transcriptSyllables: syllables });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const analyzeMs = times[Math.floor(times.length / 2)]!;
  const audioS = pcm.samples.length / pcm.sampleRate;
  const tone = describeTone(analysis.features, wording);
  pcms.push({ emotion: row.emotion, samples: pcm.samples, syllables });
  const variants: Array<[string, string, Float32Array]> = [
    ["digital silence added", "0.02 s before", silence(pcm.samples, 0.02, 0)],
    ["digital silence added", "0.3 s before and after", silence(pcm.samples, 0.3, 0.3)],
    ["a room-noise bed under the speech", "-30 dB", mix(pcm.samples, roomNoise(pcm.samples.length), -30)],
    ["a room-noise bed under the speech", "-20 dB", mix(pcm.samples, roomNoise(pcm.samples.length), -20)],
    ...[-20, -12, -6].map((db): [string, string, Float32Array] => ["background music (a synthetic melody) under the speech", `${db} dB`, mix(pcm.samples, melody(pcm.samples.length), db)]),
  ];
  for (const bitrate of AAC_RATES) {
    const file = path.join(aacDir, `${row.emotion}-${bitrate}.m4a`);
    await runTool("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", projectPath("data/sample", row.file), "-vn", "-c:a", "aac", "-b:a", bitrate, file]);
    variants.push(["AAC re-encode of the audio", `${bitrate}bit/s`, (await decodeToPcm(file)).samples]);
  }
  for (const [group, variant, x] of variants) {
    const f = analyzeProsody(x, { transcriptSyllables: syllables }).features;
    conditions.push({ group, variant, emotion: row.emotion, description: describeTone(f, wording).description });
  }
  results.push({
    emotion: row.emotion,
    audioS,
    decodeMs,
    analyzeMs,
    msPerAudioS: analyzeMs / audioS,
    features: analysis.features,
    arousal: tone.arousal,
    description: tone.description,
  });
}

await rm(aacDir, { recursive: true, force: true });

// Pauses: each clip, then the next one without its digital silence at the start (10 ms frames of
// exact zeros), as one recording; the room noise at the end of one and the start of the other is the pause.
const joined = pcms.map((a, i) => {
  const b = pcms[(i + 1) % pcms.length]!;
  let start = 0;
  while (start < b.samples.length && b.samples[start] === 0) start++;
  const x = new Float32Array(a.samples.length + b.samples.length - start);
  x.set(a.samples);
  x.set(b.samples.subarray(start), a.samples.length);
  const f = analyzeProsody(x, { transcriptSyllables: a.syllables + b.syllables }).features;
  return { pair: `${a.emotion}+${b.emotion}`, pauses: f.pauseCount, meanPauseS: f.meanPauseS, description: describeTone(f, wording).description };
});

const by = (e: string) => results.find((r) => r.emotion === e);
const angry = by("anger");
const checks = ["sadness", "sad", "neutral"]
  .map((e) => by(e))
  .filter((r): r is Result => r !== undefined)
  .map((other) => ({
    versus: other.emotion,
    louder: (angry?.features.loudnessDbfs ?? -Infinity) > (other.features.loudnessDbfs ?? -Infinity),
    moreAroused: (angry?.arousal ?? -Infinity) > other.arousal,
  }));

/** Mandarin sentences and English translations of the same content. */
const MANDARIN: Array<[string, string]> = [
  ["我不知道你在说什么", "I don't know what you are talking about"],
  ["你怎么现在才回来", "Why are you only coming back now"],
  ["这件事情跟你没有关系", "This has nothing to do with you"],
  ["我们走吧", "Let's go"],
  ["你为什么不早点告诉我呢", "Why didn't you tell me earlier"],
  ["我真的很想念我的家人", "I really miss my family"],
  ["别担心一切都会好起来的", "Don't worry, everything will be fine"],
  ["他昨天晚上没有回家", "He didn't come home last night"],
];
const chinese: Array<{ han: number; translation: number; acoustic: number }> = [];
let mandarinVoiceSwitches = 0;
const speechDir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-tone-"));
try {
  for (const [i, [zh, en]] of MANDARIN.entries()) {
    const raw = path.join(speechDir, `zh${i}.wav`);
    // espeak-ng's pulse-* folder goes with the temporary folder.
    const env = { TMPDIR: speechDir };
    const phonemes = await runTool("espeak-ng", ["-v", "cmn", "-x", "-q", zh], { env });
    if (phonemes.stdout.includes("(en)")) mandarinVoiceSwitches++;
    await runTool("espeak-ng", ["-v", "yue", "-w", raw, zh], { env });
    const pcm = await decodeToPcm(raw);
    chinese.push({ han: [...zh].length, translation: countSyllables(en, dict), acoustic: analyzeProsody(pcm.samples).features.syllablesAcoustic });
  }
} finally {
  await rm(speechDir, { recursive: true, force: true });
}
const relError = (k: "translation" | "acoustic"): number => chinese.reduce((a, m) => a + Math.abs(m[k] - m.han) / m.han, 0) / chinese.length;

if (asJson) {
  console.log(JSON.stringify({ runs, results, checks, conditions, joined, chinese, mandarinVoiceSwitches }, null, 2));
} else {
  const fmt = (v: number | null, d = 1) => (v === null ? "-" : v.toFixed(d));
  console.log(`tone analysis, median of ${runs} runs per clip (one core)`);
  console.log("emotion  audio_s decode_ms analyze_ms ms/s  f0_med f0_sd_st loud_dbfs loud_sd voiced art_rate jitter% shimmer% hnr_db arousal  description");
  for (const r of results) {
    const f = r.features;
    console.log(
      [
        r.emotion.padEnd(8),
        r.audioS.toFixed(2).padStart(7),
        r.decodeMs.toFixed(0).padStart(9),
        r.analyzeMs.toFixed(1).padStart(10),
        r.msPerAudioS.toFixed(1).padStart(5),
        fmt(f.f0MedianHz, 0).padStart(7),
        fmt(f.f0SdSemitones, 2).padStart(8),
        fmt(f.loudnessDbfs).padStart(9),
        fmt(f.loudnessSdDb).padStart(7),
        f.voicedRatio.toFixed(2).padStart(6),
        fmt(f.articulationRateSylPerS).padStart(8),
        fmt(f.jitterPct, 2).padStart(7),
        fmt(f.shimmerPct).padStart(8),
        fmt(f.hnrDb).padStart(6),
        r.arousal.toFixed(2).padStart(7),
        ` ${r.description}`,
      ].join(" "),
    );
  }
  const total = results.reduce((a, r) => a + r.analyzeMs, 0) / results.reduce((a, r) => a + r.audioS, 0);
  console.log(`overall: ${total.toFixed(1)} ms of analysis per second of audio (target <= 100)`);
  for (const c of checks) console.log(`anger vs ${c.versus}: louder=${c.louder} more aroused=${c.moreAroused}`);
  const pauseWords = results.filter((r) => /pause/.test(r.description));
  console.log(`clips described with a pause: ${pauseWords.length}/${results.length} (each is one sentence; none has a gap of 0.2 s in its speech)`);
  for (const group of [...new Set(conditions.map((c) => c.group))]) {
    console.log(`${group}: descriptions that change`);
    for (const variant of [...new Set(conditions.filter((c) => c.group === group).map((c) => c.variant))]) {
      const at = conditions.filter((c) => c.group === group && c.variant === variant);
      const changed = at.filter((c) => c.description !== by(c.emotion)?.description);
      console.log(`  ${variant}: ${at.length - changed.length}/${at.length} unchanged`);
      for (const c of changed) console.log(`    ${c.emotion.padEnd(8)} ${c.description}`);
    }
  }
  console.log(`two clips joined into one recording (one pause between the sentences): pause count right ${joined.filter((j) => j.pauses === 1).length}/${joined.length}`);
  for (const j of joined) console.log(`  ${j.pair.padEnd(16)} pauses ${j.pauses}, mean ${j.meanPauseS.toFixed(2)} s  ${j.description}`);
  console.log("Chinese sentences read by espeak-ng (Cantonese) - syllables: Han characters / English translation / audio nuclei");
  console.log(`  ${chinese.map((m) => `${m.han}/${m.translation}/${m.acoustic}`).join("  ")}`);
  console.log(`  mean relative error: translation ${(relError("translation") * 100).toFixed(0)} %, audio nuclei ${(relError("acoustic") * 100).toFixed(0)} %`);
  console.log(`  (espeak-ng's Mandarin voice switches to English for ${mandarinVoiceSwitches} of ${MANDARIN.length} sentences: not measured)`);
}
