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
 * Octave errors: 24 synthetic voices (a pulse train through two formants, 130 Hz +- 3 semitones of
 * intonation) clean, with seven 60 ms stretches led an octave down (alternating pulses), up (weak odd
 * harmonics) or both, an octave's rise in 0.2 s and a rise and fall, at HNR 20, 10 and 5 dB, two noise seeds:
 * the voiced frames more than a quarter octave from the true F0, and the frames left unvoiced.
 * Then the steady-sound guard (steadySound, audio-tone's no-speech for a sound that is not a voice) on both
 * halves of its inputs: English sentences read by espeak-ng and flite at their own intonation and monotone,
 * three sample clips each, and tones and melodies (the tuning half chose its threshold; the held-out half
 * tests it), then the held-out speech under a 440 Hz sine, the melody and white noise at 20, 10 and 0 dB
 * under its level, and the held-out tones under white noise at 30, 20 and 10 dB under theirs.
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
  steadySound,
  type ProsodyFeatures,
} from "../src/adapters/audio/index.ts";
import { syntheticVoice } from "../test/helpers/synthetic-voice.ts";

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
/** The builtin backend's description, or its no-speech skip when the sound is steady (as audio-tone does). */
const describe = (f: ProsodyFeatures): string => {
  const steady = steadySound(f);
  return steady ? `(no-speech: ${steady})` : describeTone(f, wording).description;
};
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
    conditions.push({ group, variant, emotion: row.emotion, description: describe(f) });
  }
  results.push({
    emotion: row.emotion,
    audioS,
    decodeMs,
    analyzeMs,
    msPerAudioS: analyzeMs / audioS,
    features: analysis.features,
    arousal: tone.arousal,
    description: describe(analysis.features),
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
  return { pair: `${a.emotion}+${b.emotion}`, pauses: f.pauseCount, meanPauseS: f.meanPauseS, description: describe(f) };
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

const SR = 16000;
const octave = { voiced: 0, wrong: 0, unvoiced: 0, byCase: new Map<string, number>() };
{
  const intonation = (t: number): number => 130 * 2 ** ((3 * Math.sin((2 * Math.PI * t) / 1.2)) / 12);
  const starts = [0.3, 0.55, 0.8, 1.05, 1.3, 1.55];
  const down = (t: number): boolean => starts.some((s) => t >= s && t < s + 0.06);
  const up = (t: number): boolean => starts.some((s) => t >= s + 0.12 && t < s + 0.18);
  const rise = (t: number): number => (t < 1 ? 140 : 140 * 2 ** Math.min(1, (t - 1) / 0.2));
  const peak = (t: number): number => 180 * 2 ** Math.max(0, 1 - Math.abs(t - 0.9) / 0.2);
  for (const hnr of [20, 10, 5]) {
    for (const seed of [1, 2]) {
      const cases: Array<[string, (t: number) => number, Float32Array]> = [
        ["clean", intonation, syntheticVoice({ f0: intonation, hnr, seed })],
        ["octave down", intonation, syntheticVoice({ f0: intonation, hnr, seed, octaveDown: down })],
        ["octave up", intonation, syntheticVoice({ f0: intonation, hnr, seed, octaveUp: up, weakOdd: 0 })],
        ["both", intonation, syntheticVoice({ f0: intonation, hnr, seed, octaveDown: down, octaveUp: up, weakOdd: 0 })],
        ["rise", rise, syntheticVoice({ f0: rise, seconds: 1.6, hnr, seed })],
        ["rise and fall", peak, syntheticVoice({ f0: peak, seconds: 1.6, hnr, seed })],
      ];
      for (const [name, truth, x] of cases) {
        const track = analyzeProsody(x).tracks.f0Hz;
        let wrong = 0;
        track.forEach((f, i) => {
          const t = i / 100;
          if (t < 0.22 || t > x.length / SR - 0.22) return;
          if (f === null) octave.unvoiced++;
          else {
            octave.voiced++;
            if (Math.abs(Math.log2(f / truth(t))) > 0.25) wrong++;
          }
        });
        octave.wrong += wrong;
        octave.byCase.set(`${name} HNR ${hnr}`, (octave.byCase.get(`${name} HNR ${hnr}`) ?? 0) + wrong);
      }
    }
  }
}

/** The steady-sound guard's inputs, 16 kHz: `half` is where they served (tuning chose the threshold). */
interface GuardInput {
  half: "tuning" | "held-out";
  kind: "speech" | "monotone speech" | "real speech" | "tone" | "melody";
  name: string;
  samples: Float32Array;
}
const SENTENCES = [
  "The quick brown fox jumps over the lazy dog near the river bank",
  "Don't forget a jacket, it is cold outside tonight",
  "I can't believe you did that without asking me first",
  "We will meet at the station at half past seven",
  "Please put the books back on the shelf when you are done",
  "It is easy to tell the depth of a well",
  "She sells sea shells by the sea shore every summer",
  "Why did nobody tell me that the meeting was cancelled",
];
const synth = (seconds: number, f: (t: number) => number): Float32Array => Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => f(i / SR));
const harmonics = (phase: number, count: number, amp: (h: number) => number): number => {
  let v = 0;
  for (let h = 1; h <= count; h++) v += amp(h) * Math.sin(h * phase);
  return v;
};
let vibratoPhase = 0;
const guardInputs: GuardInput[] = [];
const guardDir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-tone-guard-"));
try {
  const env = { TMPDIR: guardDir };
  const wav = async (name: string, make: (file: string) => Promise<unknown>): Promise<Float32Array> => {
    const file = path.join(guardDir, `${name}.wav`);
    await make(file);
    return (await decodeToPcm(file)).samples;
  };
  const halves: Array<["tuning" | "held-out", string[], string[], string[]]> = [
    ["tuning", SENTENCES.slice(0, 4), ["en", "en-us", "en+f3"], ["kal16", "slt"]],
    ["held-out", SENTENCES.slice(4), ["en-gb-scotland", "en-029", "en+m3", "en-gb-x-rp+f2"], ["kal", "awb", "rms"]],
  ];
  for (const [half, sentences, espeakVoices, fliteVoices] of halves) {
    for (const [i, text] of sentences.entries()) {
      for (const voice of espeakVoices) {
        for (const monotone of [false, true]) {
          const name = `espeak-${voice}-${i}${monotone ? "-mono" : ""}`;
          // SSML's pitch range 0 %: espeak-ng's monotone.
          const args = monotone ? ["-m", "-v", voice, `<speak><prosody range="0%">${text}</prosody></speak>`] : ["-v", voice, text];
          guardInputs.push({ half, kind: monotone ? "monotone speech" : "speech", name, samples: await wav(name, (f) => runTool("espeak-ng", ["-w", f, ...args], { env })) });
        }
      }
      for (const voice of fliteVoices) {
        for (const monotone of [false, true]) {
          const name = `flite-${voice}-${i}${monotone ? "-mono" : ""}`;
          // kal and kal16 follow int_f0_target_stddev=0; slt, awb and rms ignore it.
          const args = ["-voice", voice, "-t", text, ...(monotone ? ["--setf", "int_f0_target_stddev=0"] : [])];
          guardInputs.push({ half, kind: monotone ? "monotone speech" : "speech", name, samples: await wav(name, (f) => runTool("flite", [...args, "-o", f])) });
        }
      }
    }
  }
  for (const p of pcms) guardInputs.push({ half: ["anger", "neutral", "sadness", "sad"].includes(p.emotion) ? "tuning" : "held-out", kind: "real speech", name: p.emotion, samples: p.samples });
  const lavfi = (name: string, source: string, codec: string[] = []) =>
    wav(name, async (f) => {
      const coded = path.join(guardDir, `${name}${codec.length ? ".m4a" : ".src.wav"}`);
      await runTool("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source, ...codec, coded]);
      await runTool("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", coded, "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", f]);
    });
  const sox = (name: string, gen: string[]) => wav(name, (f) => runTool("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", f, "synth", ...gen]));
  let seed = 99;
  const white = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  const notesA = [262, 330, 392, 523, 440, 349, 294, 392];
  const notesB = [110, 147, 131, 165, 196, 175, 220, 123];
  const notesC = [523, 587, 659, 698, 784, 698, 659, 587, 523, 494, 440, 494, 523];
  const tones: Array<[GuardInput["half"], GuardInput["kind"], string, Float32Array]> = [
    ["tuning", "tone", "sine 440 Hz", await lavfi("sine440", "sine=frequency=440:duration=2")],
    ["tuning", "tone", "sine 150 Hz", await lavfi("sine150", "sine=frequency=150:duration=2")],
    ["tuning", "tone", "square 300 Hz", await sox("square300", ["2", "square", "300", "vol", "0.3"])],
    ["tuning", "tone", "buzz 120 Hz (20 harmonics)", synth(2, (t) => 0.1 * harmonics(2 * Math.PI * 120 * t, 20, (h) => 1 / h))],
    ["tuning", "tone", "480/620 Hz alternating every 0.5 s", synth(2, (t) => 0.25 * Math.sin(2 * Math.PI * (Math.floor(t / 0.5) % 2 ? 480 : 620) * t))],
    ["tuning", "melody", "melody A (bench's, decaying notes)", synth(2, (t) => 0.2 * Math.exp(-(t % 0.25) * 4) * harmonics(2 * Math.PI * notesA[Math.floor(t / 0.25) % 8]! * t, 4, (h) => 1 / h))],
    ["held-out", "tone", "sine 440 Hz through AAC", await lavfi("sine440aac", "sine=frequency=440:duration=2", ["-c:a", "aac"])],
    ["held-out", "tone", "sine 1000 Hz", await lavfi("sine1000", "sine=frequency=1000:duration=2")],
    ["held-out", "tone", "sawtooth 180 Hz", await sox("saw180", ["2", "sawtooth", "180", "vol", "0.3"])],
    ["held-out", "tone", "triangle 250 Hz", await sox("tri250", ["2", "triangle", "250", "vol", "0.3"])],
    ["held-out", "tone", "chord 440 + 554 Hz", await sox("chord", ["2", "sine", "440", "sine", "554", "vol", "0.3"])],
    ["held-out", "tone", "sine 220 Hz, white noise 20 dB under", synth(2, (t) => 0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.052 * white())],
    ["held-out", "tone", "buzz 200 Hz, 5 Hz vibrato of 0.3 semitone", synth(2, (t) => 0.1 * harmonics((vibratoPhase += (2 * Math.PI * 200 * 2 ** ((0.3 * Math.sin(2 * Math.PI * 5 * t)) / 12)) / SR), 15, (h) => 1 / h))],
    ["held-out", "melody", "melody B (110-220 Hz, 0.4 s notes with attack)", synth(3.2, (t) => { const k = Math.floor(t / 0.4); const u = t - k * 0.4; return 0.15 * Math.min(1, u / 0.02) * (u > 0.36 ? (0.4 - u) / 0.04 : 1) * harmonics(2 * Math.PI * notesB[k % 8]! * t, 6, (h) => 1 / (h * h)); })],
    ["held-out", "melody", "melody C (0.15 s notes at one level)", synth(2, (t) => { const f = notesC[Math.floor(t / 0.15) % notesC.length]!; return 0.2 * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t)); })],
  ];
  for (const [half, kind, name, samples] of tones) guardInputs.push({ half, kind, name, samples });
} finally {
  await rm(guardDir, { recursive: true, force: true });
}
interface GuardRow {
  half: GuardInput["half"];
  kind: GuardInput["kind"];
  name: string;
  levelSdDb: number | null;
  notVoice: boolean;
}
const guard = (x: Float32Array): { levelSdDb: number | null; notVoice: boolean } => {
  const f = analyzeProsody(x).features;
  return { levelSdDb: f.loudnessSdDb, notVoice: f.voicedRatio * f.speechS >= 0.2 && steadySound(f) !== undefined };
};
const guardRows: GuardRow[] = guardInputs.map((g) => ({ half: g.half, kind: g.kind, name: g.name, ...guard(g.samples) }));
const guardMix: Array<{ group: string; level: number; count: number; notVoice: number; levelSdMin: number; levelSdMax: number }> = [];
{
  let seed = 5;
  const noise = Float32Array.from({ length: 5 * SR }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
  const sine = synth(5, (t) => Math.sin(2 * Math.PI * 440 * t));
  const tune = melody(5 * SR);
  const heldSpeech = guardInputs.filter((g) => g.half === "held-out" && g.kind.endsWith("speech"));
  const heldTones = guardInputs.filter((g) => g.half === "held-out" && (g.kind === "tone" || g.kind === "melody"));
  const loop = (x: Float32Array, bed: Float32Array, db: number) => mix(x, Float32Array.from(x, (_, i) => bed[i % bed.length]!), db);
  const groups: Array<[string, GuardInput[], Float32Array, number[]]> = [
    ["held-out speech + a 440 Hz sine", heldSpeech, sine, [-20, -10, 0]],
    ["held-out speech + the melody", heldSpeech, tune, [-20, -10, 0]],
    ["held-out speech + white noise", heldSpeech, noise, [-20, -10, 0]],
    ["held-out tones and melodies + white noise", heldTones, noise, [-30, -20, -10]],
  ];
  for (const [group, inputs, bed, levels] of groups) {
    for (const level of levels) {
      const judged = inputs.map((g) => guard(loop(g.samples, bed, level)));
      const sds = judged.map((j) => j.levelSdDb ?? NaN).filter(Number.isFinite);
      guardMix.push({ group, level, count: judged.length, notVoice: judged.filter((j) => j.notVoice).length, levelSdMin: Math.min(...sds), levelSdMax: Math.max(...sds) });
    }
  }
}

const relError = (k: "translation" | "acoustic"): number => chinese.reduce((a, m) => a + Math.abs(m[k] - m.han) / m.han, 0) / chinese.length;

if (asJson) {
  console.log(JSON.stringify({ runs, results, checks, conditions, joined, chinese, mandarinVoiceSwitches, guardRows, guardMix, octave: { ...octave, byCase: Object.fromEntries(octave.byCase) } }, null, 2));
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
  console.log(`octave errors on 24 synthetic voices: ${octave.wrong} of ${octave.voiced} voiced frames more than a quarter octave from the true F0; ${octave.unvoiced} frames left unvoiced`);
  const wrongCases = [...octave.byCase].filter(([, n]) => n > 0);
  if (wrongCases.length) console.log(`  wrong frames by case: ${wrongCases.map(([c, n]) => `${c}: ${n}`).join(", ")}`);
  console.log("steady-sound guard (no-speech when the level of the speech frames varies by under 1.5 dB, SD): inputs called not a voice");
  for (const half of ["tuning", "held-out"] as const) {
    for (const kind of ["speech", "monotone speech", "real speech", "tone", "melody"] as const) {
      const rows = guardRows.filter((r) => r.half === half && r.kind === kind);
      if (rows.length === 0) continue;
      const sds = rows.map((r) => r.levelSdDb ?? NaN).filter(Number.isFinite);
      console.log(`  ${half.padEnd(8)} ${kind.padEnd(15)} ${rows.filter((r) => r.notVoice).length}/${rows.length} not a voice; level SD ${Math.min(...sds).toFixed(2)}-${Math.max(...sds).toFixed(2)} dB`);
    }
  }
  for (const r of guardRows.filter((g) => g.kind === "tone" || g.kind === "melody")) console.log(`    ${r.half.padEnd(8)} ${r.name.padEnd(48)} level SD ${fmt(r.levelSdDb, 2)} dB  ${r.notVoice ? "not a voice" : "a voice"}`);
  for (const m of guardMix) console.log(`  ${m.group} at ${m.level} dB: ${m.notVoice}/${m.count} not a voice; level SD ${m.levelSdMin.toFixed(2)}-${m.levelSdMax.toFixed(2)} dB`);
}
