import MeydaImport from "meyda";
import { analyzePitch, type PitchOptions } from "./pitch.ts";
import { bandpass, frameDb, lowpass, mean, quantile, round, stdev } from "./stats.ts";
import { measureVoiceQuality } from "./voice-quality.ts";

// meyda ships ESM typings ("export default") on a CommonJS main: under NodeNext the default import
// is typed as the module namespace although at run time it is the Meyda object itself.
const Meyda = ((MeydaImport as unknown as { default?: typeof MeydaImport }).default ?? MeydaImport) as unknown as {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  extract(features: string[], signal: Float32Array): Record<string, number> | null;
};

/** Analysis frame step: 10 ms at 16 kHz. */
export const HOP = 160;

/**
 * Summary numbers of one clip's prosody and voice quality. `null` means "not measurable" (no voiced
 * speech, too few cycles). Units are in the names.
 */
export interface ProsodyFeatures {
  durationS: number;
  /** From the first to the last speech frame. */
  speechS: number;
  /** Speech region minus pauses. */
  phonationS: number;
  voicedRatio: number;
  f0MedianHz: number | null;
  f0P5Hz: number | null;
  f0P95Hz: number | null;
  /** Pitch variability: robust standard deviation (IQR / 1.349) of F0 in semitones. */
  f0SdSemitones: number | null;
  f0RangeSemitones: number | null;
  /** Mean level of speech frames (10 ms hop, 25 ms windows). */
  loudnessDbfs: number | null;
  loudnessP95Dbfs: number | null;
  /** Dynamics: standard deviation of speech-frame levels. */
  loudnessSdDb: number | null;
  pauseCount: number;
  pauseRatio: number;
  meanPauseS: number;
  syllables: number;
  syllableSource: "transcript" | "acoustic";
  syllablesAcoustic: number;
  speechRateSylPerS: number | null;
  articulationRateSylPerS: number | null;
  jitterPct: number | null;
  shimmerPct: number | null;
  hnrDb: number | null;
  spectralCentroidHz: number | null;
}

/** Per-frame tracks kept with the features file (10 ms steps). */
export interface ProsodyTracks {
  hopS: number;
  f0Hz: (number | null)[];
  levelDb: (number | null)[];
  /** Times in seconds of the acoustic syllable nuclei (`findSyllableNuclei`). */
  nucleiS: number[];
}

export interface ProsodyAnalysis {
  features: ProsodyFeatures;
  tracks: ProsodyTracks;
}

export interface AnalyzeOptions {
  sampleRate?: number;
  /** Syllable count from the transcript (more robust than acoustic nuclei when the words are known). */
  transcriptSyllables?: number;
  minF0Hz?: number;
  maxF0Hz?: number;
  /** YIN aperiodicity limit for a voiced frame (see trackPitch). */
  voicing?: number;
  /** Low-pass cutoff applied before pitch tracking; 0 = none. @defaultValue 0 */
  pitchLowpassHz?: number;
  /** Octave-correction settings of the pitch track (analyzePitch); the defaults are documented there. */
  pitch?: Pick<PitchOptions, "octaveJumpCost" | "subharmonicCost" | "foldWindow" | "foldTolerance">;
}

/** Minimum pause between speech stretches (frames of 10 ms). */
const MIN_PAUSE_FRAMES = 20;
/**
 * Frames quieter than this hold no recorded sound (digital silence: a padded start, a fade's end; 16-bit
 * audio's own noise sits near -100 dBFS). Such frames before the first and after the last sound are left
 * out of the levels the speech threshold is set from, so silence added around a clip does not move it.
 * Silence between sounds (gated or denoised audio) still counts, as it did before: without it, the only
 * sound of gated audio is speech, and its softer phrases fell under a threshold set from speech alone.
 */
const SILENT_DBFS = -90;
/**
 * Praat's "To TextGrid (silences)" defaults (0.1 s each), not fitted here: a sounding stretch shorter
 * than this is a click or a noise burst, not speech; a silent stretch shorter than this is a dip
 * inside speech.
 */
const MIN_SOUNDING_FRAMES = 10;
const MIN_SILENT_FRAMES = 10;

/**
 * Which 10 ms frames are speech, from their levels (dBFS). A frame is sounding when it is within 30 dB
 * of the loud frames, clearly above the noise floor (10th percentile), and above -60 dBFS; with no
 * silence in the clip the floor is speech itself, so the margin over it is capped at 15 dB below the
 * loud frames. Both levels are taken from the first to the last frame that holds sound. Then, with Praat's durations,
 * silent stretches under 0.1 s inside the sound are filled and sounding stretches still under 0.1 s are
 * dropped (Praat drops first, which also drops a word-final stop's burst after its closure: docs/audio.md);
 * a frame is speech when it is sounding and inside a kept stretch (a filled dip stays out of the levels).
 */
function findSpeech(db: ArrayLike<number>): boolean[] {
  const levels = Array.from(db);
  const start = levels.findIndex((v) => v > SILENT_DBFS);
  const end = levels.findLastIndex((v) => v > SILENT_DBFS);
  const audible = start < 0 ? [] : levels.slice(start, end + 1);
  const loud = quantile(audible, 0.95);
  const floor = Math.max(-60, loud - 30, Math.min(quantile(audible, 0.1) + 6, loud - 15));
  const sounding = Array.from(db, (v) => v > floor);
  const kept = sounding.slice();
  setShortRuns(kept, false, MIN_SILENT_FRAMES, true, true);
  setShortRuns(kept, true, MIN_SOUNDING_FRAMES, false);
  return kept.map((k, i) => k && sounding[i]!);
}

/** Sets runs of `value` shorter than `min` frames to `to`; `inner` leaves runs at either end alone. */
function setShortRuns(a: boolean[], value: boolean, min: number, to: boolean, inner = false): void {
  for (let i = 0; i < a.length; ) {
    if (a[i] !== value) {
      i++;
      continue;
    }
    let j = i;
    while (j < a.length && a[j] === value) j++;
    if (j - i < min && !(inner && (i === 0 || j === a.length))) a.fill(to, i, j);
    i = j;
  }
}

/**
 * Measures one clip of 16 kHz mono speech. Pure: samples in, numbers out.
 */
export function analyzeProsody(x: Float32Array, opts: AnalyzeOptions = {}): ProsodyAnalysis {
  const sr = opts.sampleRate ?? 16000;
  const db = frameDb(x, HOP, 400);
  const speech = findSpeech(db);

  // Optional low-pass before pitch tracking: it finds more voiced frames in noisy recordings, but
  // on the CREMA-D sample those extra frames were mostly noise (wider F0 spread, higher jitter).
  const lp = opts.pitchLowpassHz ?? 0;
  const pitch = analyzePitch(lp > 0 ? lowpass(x, sr, lp) : x, speech, {
    sampleRate: sr,
    hop: HOP,
    minHz: opts.minF0Hz ?? 60,
    maxHz: opts.maxF0Hz ?? 500,
    ...(opts.voicing !== undefined ? { voicing: opts.voicing } : {}),
    ...opts.pitch,
  });
  const f0 = pitch.f0;
  const voiced = f0.filter((f): f is number => f !== null);
  const semis = voiced.map((f) => 12 * Math.log2(f / 100));

  // Pauses: non-speech runs of >= 200 ms between the first and last speech frame.
  const first = speech.indexOf(true);
  const last = speech.lastIndexOf(true);
  const pauses: number[] = [];
  let run = 0;
  for (let i = Math.max(0, first); first >= 0 && i <= last; i++) {
    if (!speech[i]) run++;
    else {
      if (run >= MIN_PAUSE_FRAMES) pauses.push((run * HOP) / sr);
      run = 0;
    }
  }
  const speechS = first >= 0 ? ((last - first + 1) * HOP) / sr : 0;
  const pauseS = pauses.reduce((a, b) => a + b, 0);
  const phonationS = speechS - pauseS;

  const nuclei = findSyllableNuclei(x, sr, f0);
  const acoustic = nuclei.length;
  const syllables = opts.transcriptSyllables ?? acoustic;
  const vq = measureVoiceQuality(x, f0, HOP, sr, pitch.octaveUnsure);
  const speechDb = Array.from(db).filter((_, i) => speech[i]);
  const speechFrames = speechDb.length;

  const features: ProsodyFeatures = {
    durationS: round(x.length / sr) ?? 0,
    speechS: round(speechS) ?? 0,
    phonationS: round(phonationS) ?? 0,
    voicedRatio: round(speechFrames ? voiced.length / speechFrames : 0) ?? 0,
    f0MedianHz: round(quantile(voiced, 0.5), 1),
    f0P5Hz: round(quantile(voiced, 0.05), 1),
    f0P95Hz: round(quantile(voiced, 0.95), 1),
    // Robust spread (interquartile range / 1.349, the SD of a normal distribution with that IQR):
    // a few octave errors or noise frames must not turn a flat voice into a "lively" one.
    f0SdSemitones: round((quantile(semis, 0.75) - quantile(semis, 0.25)) / 1.349, 2),
    f0RangeSemitones: round(quantile(semis, 0.95) - quantile(semis, 0.05), 2),
    loudnessDbfs: round(mean(speechDb), 1),
    loudnessP95Dbfs: round(quantile(speechDb, 0.95), 1),
    loudnessSdDb: round(stdev(speechDb), 2),
    pauseCount: pauses.length,
    pauseRatio: round(speechS > 0 ? pauseS / speechS : 0) ?? 0,
    meanPauseS: round(pauses.length ? pauseS / pauses.length : 0) ?? 0,
    syllables,
    syllableSource: opts.transcriptSyllables !== undefined ? "transcript" : "acoustic",
    syllablesAcoustic: acoustic,
    speechRateSylPerS: voiced.length && speechS > 0 ? round(syllables / speechS, 2) : null,
    articulationRateSylPerS: voiced.length && phonationS > 0 ? round(syllables / phonationS, 2) : null,
    jitterPct: vq.cycles >= 20 ? round(vq.jitterPct, 2) : null,
    shimmerPct: vq.cycles >= 20 ? round(vq.shimmerPct, 2) : null,
    hnrDb: round(vq.hnrDb, 1),
    spectralCentroidHz: round(spectralCentroid(x, sr, speech), 0),
  };
  const tracks: ProsodyTracks = {
    hopS: HOP / sr,
    f0Hz: f0.map((f) => (f === null ? null : round(f, 1))),
    levelDb: Array.from(db, (v) => round(v, 1)),
    nucleiS: nuclei.map((i) => round((i * HOP) / sr, 2) ?? 0),
  };
  return { features, tracks };
}

/**
 * Syllable nuclei: peaks of the smoothed 1 kHz band level that stand out by >= 1.5 dB from the dip
 * before them, are within 20 dB of the loudest peaks and lie near voiced frames (De Jong & Wempe's
 * idea, on a band-passed intensity). Indices of 10 ms frames (`HOP` samples), in time order.
 */
function findSyllableNuclei(x: Float32Array, sampleRate: number, f0: readonly (number | null)[]): number[] {
  const band = frameDb(bandpass(x, sampleRate, 1000, 0.7), HOP, 400);
  const n = band.length;
  const sm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    let w = 0;
    for (let k = -1; k <= 1; k++) {
      const j = i + k;
      if (j < 0 || j >= n) continue;
      const c = 1 - Math.abs(k) / 2;
      acc += band[j]! * c;
      w += c;
    }
    sm[i] = acc / w;
  }
  const threshold = quantile(sm, 0.99) - 20;
  const voicedNear = (i: number) => {
    for (let k = -12; k <= 12; k++) if (f0[i + k] != null) return true;
    return false;
  };
  const kept: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    const v = sm[i]!;
    if (!(v >= sm[i - 1]! && v > sm[i + 1]! && v > threshold && voicedNear(i))) continue;
    const lp = kept[kept.length - 1];
    if (lp === undefined) {
      kept.push(i);
      continue;
    }
    let dip = Infinity;
    for (let k = lp; k <= i; k++) dip = Math.min(dip, sm[k]!);
    if (sm[lp]! - dip >= 1.5 && v - dip >= 1.5) kept.push(i);
    else if (v > sm[lp]!) kept[kept.length - 1] = i;
  }
  return kept;
}

/** Median spectral centroid (Hz) of speech frames, every 20 ms over 512-sample Hann windows. */
function spectralCentroid(x: Float32Array, sampleRate: number, speech: readonly boolean[]): number {
  Meyda.bufferSize = 512;
  Meyda.sampleRate = sampleRate;
  Meyda.windowingFunction = "hanning";
  const buf = new Float32Array(512);
  const values: number[] = [];
  for (let i = 0; i < speech.length; i += 2) {
    if (!speech[i]) continue;
    buf.fill(0);
    const start = i * HOP - 256;
    for (let q = 0; q < 512; q++) {
      const j = start + q;
      if (j >= 0 && j < x.length) buf[q] = x[j]!;
    }
    const r = Meyda.extract(["spectralCentroid"], buf);
    // meyda returns the centroid as a bin index of the 512-point spectrum.
    const c = r?.spectralCentroid;
    if (c !== undefined && Number.isFinite(c)) values.push((c * sampleRate) / 512);
  }
  return quantile(values, 0.5);
}
