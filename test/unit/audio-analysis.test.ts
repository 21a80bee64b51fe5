import { readFile, rm } from "node:fs/promises";
import { YIN } from "pitchfinder";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analyzeProsody,
  countSyllables,
  describeTone,
  loadPcm16k,
  loadSyllableDictionary,
  loadToneWording,
  parseCmuDict,
  parseWav,
  steadySound,
  trackPitch,
  type ProsodyFeatures,
  type SyllableDictionary,
  type ToneWording,
} from "../../src/adapters/audio/index.ts";
import { measureVoiceQuality } from "../../src/adapters/audio/voice-quality.ts";
import { MerrError } from "../../src/core/errors.ts";
import { projectPath } from "../../src/core/paths.ts";
import { makeWav } from "../conformance/protocol-server.ts";
import { espeak, flite, nonSpeech, speechDir } from "../helpers/audio-speech.ts";
import { syntheticVoice } from "../helpers/synthetic-voice.ts";

const SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank";

function tone(freq: number, seconds: number, amp = 0.3, rate = 16000): Float32Array {
  const x = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate) + 0.5 * amp * Math.sin((4 * Math.PI * freq * i) / rate);
  return x;
}

describe("WAV parsing", () => {
  it("reads 16-bit mono PCM at its rate", () => {
    const pcm = parseWav(makeWav(0.5, 440));
    expect(pcm.sampleRate).toBe(16000);
    expect(pcm.samples.length).toBe(8000);
    expect(Math.max(...pcm.samples)).toBeCloseTo(8000 / 32768, 3);
  });
  it("reads to the end when ffmpeg left the data size unset (streamed WAV)", () => {
    const wav = makeWav(0.25);
    wav.writeUInt32LE(0xffffffff, 40);
    expect(parseWav(wav).samples.length).toBe(4000);
  });
  it("rejects non-WAV bytes with E_MEDIA_INVALID", () => {
    const error = (() => {
      try {
        parseWav(Buffer.from("not a wav file at all"), "x.wav");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).code).toBe("E_MEDIA_INVALID");
    expect((error as MerrError).message).toContain("x.wav");
  });
});

describe("pitch", () => {
  it("finds the F0 of a harmonic tone within 1% (100, 150, 220 Hz)", () => {
    for (const f of [100, 150, 220]) {
      const x = tone(f, 1);
      const track = trackPitch(x, new Array(100).fill(true), { sampleRate: 16000, hop: 160, minHz: 60, maxHz: 500 });
      const voiced = track.filter((v): v is number => v !== null);
      expect(voiced.length).toBeGreaterThan(80);
      const med = voiced.sort((a, b) => a - b)[voiced.length >> 1]!;
      expect(Math.abs(med - f) / f).toBeLessThan(0.01);
    }
  });
  it("measures a synthetic voice's known HNR within 1.5 dB and its period jitter within 0.3 points", () => {
    // A 120 Hz pulse train (20 harmonics, 1/h) whose periods vary by `jitter` (sd), plus white noise at `hnr` dB.
    let seed = 7;
    const gauss = (): number => {
      const u = (): number => ((seed = (seed * 1664525 + 1013904223) % 4294967296) + 0.5) / 4294967296;
      return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    };
    const voice = (hnr: number, jitter: number): Float32Array => {
      const n = 32000;
      const periodic = new Float32Array(n);
      for (let start = 0; start < n; ) {
        const p = (16000 / 120) * (1 + jitter * gauss());
        for (let i = Math.floor(start); i < Math.min(n, Math.floor(start + p)); i++) {
          for (let h = 1; h <= 20; h++) periodic[i]! += Math.sin((2 * Math.PI * h * (i - start)) / p) / h;
        }
        start += p;
      }
      const power = periodic.reduce((s, v) => s + v * v, 0) / n;
      const noise = Math.sqrt(power / 10 ** (hnr / 10));
      return periodic.map((v, i) => (i < 3200 || i > 28800 ? 0 : 0.1 * (v + noise * gauss())) + 0.0005 * gauss());
    };
    for (const hnr of [5, 10, 20]) expect(Math.abs((analyzeProsody(voice(hnr, 0)).features.hnrDb ?? NaN) - hnr)).toBeLessThan(1.5);
    expect(Math.abs((analyzeProsody(voice(20, 0.01)).features.jitterPct ?? NaN) - 1)).toBeLessThan(0.3);
    expect(analyzeProsody(voice(20, 0)).features.jitterPct).toBeLessThan(0.3);
  });

  it("calls digital silence and white noise unvoiced", () => {
    const a = analyzeProsody(new Float32Array(32000));
    expect(a.features.voicedRatio).toBe(0);
    expect(a.features.f0MedianHz).toBeNull();
    let seed = 1;
    const noise = Float32Array.from({ length: 32000 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2);
    expect(analyzeProsody(noise).features.voicedRatio).toBeLessThan(0.05);
  });
});

describe("octave errors (analyzePitch)", () => {
  // Intonation of 130 Hz +- 3 semitones over 1.2 s; seven stretches of 60 ms where the track is led an
  // octave down (pulses alternate) and, 120 ms later, an octave up (weak odd harmonics).
  const intonation = (t: number): number => 130 * 2 ** ((3 * Math.sin((2 * Math.PI * t) / 1.2)) / 12);
  const starts = [0.3, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5];
  const within = (t: number, offset: number): boolean => starts.some((s) => t >= s + offset && t < s + offset + 0.06);

  it("a voice with injected octave errors keeps the clean voice's pitch spread, range and jitter", () => {
    const clean = analyzeProsody(syntheticVoice({ f0: intonation })).features;
    const broken = analyzeProsody(syntheticVoice({ f0: intonation, octaveDown: (t) => within(t, 0), octaveUp: (t) => within(t, 0.12) })).features;
    // Before octave correction the range read 20 semitones against the clean voice's 5.9.
    expect(Math.abs(broken.f0RangeSemitones! - clean.f0RangeSemitones!)).toBeLessThan(1);
    expect(Math.abs(broken.f0SdSemitones! - clean.f0SdSemitones!)).toBeLessThan(0.3);
    expect(Math.abs(broken.f0MedianHz! - clean.f0MedianHz!)).toBeLessThan(5);
    expect(Math.abs(broken.jitterPct! - clean.jitterPct!)).toBeLessThan(0.3);
  });

  it("does not fold genuine pitch movement: an octave's rise in 0.2 s, a rise and fall", () => {
    const rise = analyzeProsody(syntheticVoice({ f0: (t) => (t < 1 ? 140 : 140 * 2 ** Math.min(1, (t - 1) / 0.2)), seconds: 1.6 })).features;
    expect(rise.f0P95Hz!).toBeGreaterThan(265);
    expect(rise.f0RangeSemitones!).toBeGreaterThan(11);
    const peak = analyzeProsody(syntheticVoice({ f0: (t) => 180 * 2 ** Math.max(0, 1 - Math.abs(t - 0.9) / 0.2), seconds: 1.6 })).features;
    expect(peak.f0P95Hz!).toBeGreaterThan(300);
    expect(peak.f0RangeSemitones!).toBeGreaterThan(9);
  });

  it("jitter and shimmer skip the cycles of frames marked octave-unsure", () => {
    // Diplophonic stretches (every other period 10 % longer, the next 10 % shorter) marked as such.
    const irregular = (t: number): boolean => within(t, 0);
    const x = syntheticVoice({ f0: () => 120, hnr: 25, jitter: 0.005, alternate: (t) => (irregular(t) ? 0.1 : 0) });
    const f0 = Array.from({ length: 200 }, (_, i) => (i >= 21 && i < 179 ? 120 : null));
    const marked = f0.map((_, i) => irregular(i / 100));
    const all = measureVoiceQuality(x, f0, 160, 16000);
    const skipped = measureVoiceQuality(x, f0, 160, 16000, marked);
    const clean = measureVoiceQuality(syntheticVoice({ f0: () => 120, hnr: 25, jitter: 0.005 }), f0, 160, 16000);
    expect(all.jitterPct).toBeGreaterThan(clean.jitterPct + 2);
    expect(Math.abs(skipped.jitterPct - clean.jitterPct)).toBeLessThan(0.3);
    expect(skipped.cycles).toBeLessThan(all.cycles);
  });
});

describe("steady sounds (steadySound)", () => {
  it("calls a sine and a chord steady tones, and notes held at one level a series of notes", () => {
    const sine = analyzeProsody(tone(440, 2)).features;
    expect(steadySound(sine)).toMatch(/^the voiced sound is a steady tone, not a voice: its level varies by 0\.0\d dB/);
    const chord = analyzeProsody(tone(220, 2).map((v, i) => v + 0.3 * Math.sin((2 * Math.PI * 277 * i) / 16000))).features;
    expect(steadySound(chord)).toMatch(/steady tone/);
    const notes = [523, 587, 659, 698, 784, 698, 659, 587, 523, 494, 440, 494, 523];
    const melody = Float32Array.from({ length: 32000 }, (_, i) => 0.2 * Math.sin((2 * Math.PI * notes[Math.floor(i / 2400)]! * i) / 16000));
    expect(steadySound(analyzeProsody(melody).features)).toMatch(/^the voiced sound is a series of notes at one level, not a voice: .* pitch spread [1-9]/);
  });
  it("leaves a tone whose level swells and fades alone (not measurably steady)", () => {
    const swell = tone(220, 2).map((v, i) => v * (0.55 + 0.45 * Math.sin((2 * Math.PI * 2 * i) / 16000)));
    expect(steadySound(analyzeProsody(swell).features)).toBeUndefined();
  });
});

describe("speech and pauses", () => {
  // A clip as a list of parts: a voiced vowel (150 Hz, about -12.5 dBFS), room noise, a click (30-40 ms
  // of loud noise) or digital silence. Room noise sits 25 dB under the voice, between the floor and the
  // loud frames, where a threshold taken over digital silence too would count it as speech.
  type Part = ["voice" | "room" | "click" | "zero", number];
  const clip = (...parts: Part[]): Float32Array => {
    let seed = 3;
    const noise = (a: number): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2 * a;
    const out: number[] = [];
    for (const [kind, seconds] of parts) {
      const v = tone(150, seconds);
      for (let i = 0; i < v.length; i++) {
        if (kind === "zero") out.push(0);
        else if (kind === "voice") out.push(v[i]! + noise(0.023));
        else out.push(noise(kind === "click" ? 0.3 : 0.023));
      }
    }
    return Float32Array.from(out);
  };
  const features = (x: Float32Array): ProsodyFeatures => analyzeProsody(x).features;

  it("does not count a click apart from the speech as speech, so it makes no pause", () => {
    const f = features(clip(["room", 0.3], ["voice", 0.6], ["room", 0.5], ["click", 0.04], ["room", 0.3]));
    expect(f.pauseCount).toBe(0);
    expect(Math.abs(f.speechS - 0.6)).toBeLessThan(0.05);
  });
  it("finds a pause once when a click falls inside it", () => {
    const f = features(clip(["room", 0.3], ["voice", 0.6], ["room", 0.3], ["click", 0.04], ["room", 0.3], ["voice", 0.6], ["room", 0.3]));
    expect(f.pauseCount).toBe(1);
    expect(Math.abs(f.meanPauseS - 0.64)).toBeLessThan(0.05);
  });
  it("keeps a stop's burst after a closure under 0.1 s with its word", () => {
    const f = features(clip(["room", 0.3], ["voice", 0.6], ["room", 0.06], ["click", 0.03], ["room", 0.5]));
    expect(f.pauseCount).toBe(0);
    // The vowel alone spans about 0.62 s (25 ms windows); with its burst 0.69 s and a frame or two.
    expect(f.speechS).toBeGreaterThan(0.67);
    expect(f.speechS).toBeLessThan(0.75);
  });
  it("on gated audio (exact zeros between phrases) a softer phrase is speech, not a pause", () => {
    // Loud, 22 dB softer, loud, 0.3 s of zeros, loud: one pause. Leaving the zeros inside the clip out of
    // the threshold's levels set it from speech alone, and the soft phrase read as a second pause.
    const soft = tone(150, 0.5).map((v) => v * 0.08);
    const x = Float32Array.from([...tone(150, 0.5), ...soft, ...tone(150, 0.5), ...new Float32Array(4800), ...tone(150, 0.5)]);
    expect(features(x).pauseCount).toBe(1);
  });
  it("measures the same with digital silence before and after the clip", () => {
    const x = clip(["room", 0.3], ["voice", 0.5], ["room", 0.4], ["voice", 0.5], ["room", 0.3]);
    const padded = Float32Array.from([...new Float32Array(8000), ...x, ...new Float32Array(8000)]);
    const { durationS: _a, ...plain } = features(x);
    const { durationS: _b, ...around } = features(padded);
    expect(plain.pauseCount).toBe(1);
    expect(around).toEqual(plain);
  });
});

describe("prosody of generated speech (espeak-ng, flite)", () => {
  let dir: string;
  let low: ProsodyFeatures;
  let high: ProsodyFeatures;
  let quiet: ProsodyFeatures;
  let loud: ProsodyFeatures;
  let wording: ToneWording;
  let dict: SyllableDictionary;

  beforeAll(async () => {
    dir = await speechDir();
    wording = await loadToneWording(projectPath("data/tone/wording.yaml"));
    dict = await loadSyllableDictionary();
    const syl = countSyllables(SENTENCE, dict);
    const files = await Promise.all([
      espeak(dir, "low-slow", SENTENCE, { pitch: 10, speed: 110 }),
      espeak(dir, "high-fast", SENTENCE, { voice: "en+f3", pitch: 90, speed: 300 }),
      espeak(dir, "quiet", SENTENCE, { amplitude: 15 }),
      espeak(dir, "loud", SENTENCE, { amplitude: 180 }),
    ]);
    const measured = await Promise.all(
      files.map(async (f) => analyzeProsody((await loadPcm16k(f)).samples, { transcriptSyllables: syl }).features),
    );
    [low, high, quiet, loud] = measured as [ProsodyFeatures, ProsodyFeatures, ProsodyFeatures, ProsodyFeatures];
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("orders pitch and rate: low/slow below high/fast", () => {
    expect(low.f0MedianHz!).toBeLessThan(high.f0MedianHz! * 0.75);
    expect(low.articulationRateSylPerS!).toBeLessThan(high.articulationRateSylPerS! * 0.7);
    expect(low.speechS).toBeGreaterThan(high.speechS * 1.5);
  });
  it("orders loudness: quiet below loud by the amplitude ratio (about 21 dB)", () => {
    const diff = loud.loudnessDbfs! - quiet.loudnessDbfs!;
    expect(diff).toBeGreaterThan(15);
    expect(diff).toBeLessThan(27);
    // Same voice, same words: pitch and rate do not change with the volume.
    expect(Math.abs(loud.f0MedianHz! - quiet.f0MedianHz!)).toBeLessThan(3);
  });
  it("describes them differently, and only with measured words", () => {
    const d = (f: ProsodyFeatures) => describeTone(f, wording);
    expect(d(low).description).not.toBe(d(high).description);
    expect(d(quiet).description).not.toBe(d(loud).description);
    expect(d(low).description).toMatch(/low-pitched/);
    expect(d(low).description).toMatch(/slow|unhurried/);
    expect(d(high).description).toMatch(/high-pitched/);
    expect(d(high).description).toMatch(/fast/);
    expect(d(quiet).description).toMatch(/quiet/);
    expect(d(loud).description).toMatch(/loud/);
    expect(d(loud).arousal).toBeGreaterThan(d(quiet).arousal);
    expect(d(high).arousal).toBeGreaterThan(d(low).arousal);
  });
  it("calls none of them a steady sound", () => {
    for (const f of [low, high, quiet, loud]) expect(steadySound(f)).toBeUndefined();
  });
  it("uses transcript syllables when given, acoustic nuclei otherwise (close on clean speech)", async () => {
    const f = analyzeProsody((await loadPcm16k(`${dir}/loud.wav`)).samples).features;
    expect(f.syllableSource).toBe("acoustic");
    expect(loud.syllableSource).toBe("transcript");
    expect(Math.abs(f.syllablesAcoustic - loud.syllables)).toBeLessThanOrEqual(4);
  });
  it("agrees with pitchfinder's YIN on clean synthetic speech (median F0 within 3%)", async () => {
    const x = (await loadPcm16k(await flite(dir, "flite", SENTENCE))).samples;
    const ours = analyzeProsody(x).features.f0MedianHz!;
    const detect = YIN({ sampleRate: 16000, threshold: 0.25 });
    const theirs: number[] = [];
    for (let i = 0; i + 600 < x.length; i += 160) {
      // A loud window of 600 samples: pitchfinder analyses the 512 below its length (lags down to 62 Hz).
      const frame = x.slice(i, i + 600);
      let e = 0;
      for (const v of frame) e += v * v;
      if (e / frame.length < 1e-3) continue;
      // Its normalisation starts the running sum at 1, so frames are scaled to RMS 10 first (see pitch.ts).
      const gain = 10 / Math.sqrt(e / frame.length);
      for (let k = 0; k < frame.length; k++) frame[k]! *= gain;
      const f = detect(frame);
      if (f !== null && f > 60 && f < 400) theirs.push(f);
    }
    theirs.sort((a, b) => a - b);
    expect(theirs.length).toBeGreaterThan(50);
    expect(Math.abs(ours - theirs[theirs.length >> 1]!) / ours).toBeLessThan(0.03);
  });
  it("stays fast: under 100 ms of analysis per second of audio", async () => {
    const x = (await loadPcm16k(`${dir}/low-slow.wav`)).samples;
    const t = performance.now();
    analyzeProsody(x);
    const msPerS = (performance.now() - t) / (x.length / 16000);
    expect(msPerS).toBeLessThan(100);
  });
  it("produces nothing for silence but an explicit null for unmeasurable features", async () => {
    const f = analyzeProsody((await loadPcm16k(await nonSpeech(dir, "silence"))).samples).features;
    expect(f.f0MedianHz).toBeNull();
    expect(f.jitterPct).toBeNull();
    expect(f.speechRateSylPerS).toBeNull();
  });
});

describe("syllables", () => {
  it("parses the CMU dictionary (vowel phones, first pronunciation)", () => {
    const d = parseCmuDict("jacket JH AE K AH T\nforget F ER G EH T\nforget(2) F AO R G EH T\ndon't D OW N T\n");
    expect(d.get("jacket")).toBe(2);
    expect(countSyllables("Don't forget a jacket!", d)).toBe(1 + 2 + 1 + 2);
  });
  it("counts real sentences with the dictionary shipped with pocketsphinx-en-us", async () => {
    const dict = await loadSyllableDictionary();
    expect(countSyllables("Don't forget a jacket", dict)).toBe(6);
    expect(countSyllables(SENTENCE, dict)).toBe(16);
    expect(countSyllables("Zorblaxian", dict)).toBeGreaterThanOrEqual(3); // not in the dictionary: vowel groups
  });
  it("names the package when the dictionary is missing", async () => {
    await expect(loadSyllableDictionary("/nonexistent/cmudict.dict")).rejects.toThrow(/pocketsphinx-en-us/);
  });
});

it("the real wording file parses", async () => {
  const text = await readFile(projectPath("data/tone/wording.yaml"), "utf8");
  expect(text).toContain("descriptors:");
  const w = await loadToneWording(projectPath("data/tone/wording.yaml"));
  expect(w.descriptors.length).toBeGreaterThan(3);
});
