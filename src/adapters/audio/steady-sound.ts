import type { ProsodyFeatures } from "./prosody.ts";

/**
 * Whether the sound is measurably not a voice: a steady tone (a sine, a beep, a hum, a buzzer) or a series
 * of notes held at one level. A tone is periodic, so the pitch tracker calls it voiced, but speech rises
 * and falls in level from syllable to syllable and a steady sound does not: the levels of the speech frames
 * (`loudnessSdDb`) vary by under `STEADY_LEVEL_SD_DB`. Measured (docs/audio.md, "Not a voice"): speech
 * 4.3 dB or more, monotone synthetic speech included (4.0 or more with a tone, a melody or noise 10 dB under
 * it, 1.9 or more with one as loud as itself); tones 0.0-0.7 dB, 0.9 or less with white noise 10 dB under
 * them. Music whose notes swell and decay (a piano, most real music) is not caught: its level varies as
 * speech's does. Pure: features in, the reason (what was measured) out, or undefined.
 */
export function steadySound(f: Pick<ProsodyFeatures, "loudnessSdDb" | "f0SdSemitones" | "hnrDb">): string | undefined {
  if (f.loudnessSdDb === null || f.loudnessSdDb >= STEADY_LEVEL_SD_DB) return undefined;
  const notes = f.f0SdSemitones !== null && f.f0SdSemitones >= 1;
  const measured = [
    `its level varies by ${f.loudnessSdDb.toFixed(2)} dB (SD; speech varies by 4 dB or more)`,
    ...(f.f0SdSemitones === null ? [] : [`pitch spread ${f.f0SdSemitones.toFixed(2)} semitones`]),
    ...(f.hnrDb === null ? [] : [`HNR ${f.hnrDb.toFixed(0)} dB`]),
  ];
  return `the voiced sound is ${notes ? "a series of notes at one level" : "a steady tone"}, not a voice: ${measured.join(", ")}`;
}

/**
 * Largest level SD (dB) of a steady sound. Set on the tuning half: a third of the least-varied speech
 * (4.5 dB), 75 times the most-varied tone (0.02 dB); the held-out half's extremes were 4.3 and 0.7 dB.
 */
export const STEADY_LEVEL_SD_DB = 1.5;
