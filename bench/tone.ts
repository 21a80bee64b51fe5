/**
 * Tone benchmark: prosody features, tone descriptions and timings for the six CREMA-D sample clips
 * (one actor, one sentence, six acted emotions) in data/sample.
 *
 *   node --import tsx bench/tone.ts [--runs 5] [--json]
 *
 * Decoding (ffmpeg, 16 kHz mono) is timed apart from the analysis. The transcript is the sentence
 * of labels.csv (as a manifest would give it), so the speaking rate counts dictionary syllables.
 * The last lines say whether angry reads louder and more aroused than sad and neutral.
 */
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { projectPath } from "../src/core/paths.ts";
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

if (asJson) {
  console.log(JSON.stringify({ runs, results, checks }, null, 2));
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
}
