import type { AuTable } from "./openface-csv.ts";

/**
 * Do the followed face's lips move while the voice speaks? (pure)
 *
 * The tone clue describes the clip's voice and the captions give it to the person in view. In drama
 * footage the voice is often someone else's: a listener's reaction shot while the other character talks,
 * a voice-over. This check looks at each syllable the voice utters (its acoustic nucleus, found by the
 * prosody analysis) and asks whether the face's lips open for it: the lip opening (the larger of AU25 lips
 * part and AU26 jaw drop) in the frames just before and at the nucleus, against the smallest opening
 * around it. It is an observation, not speaker recognition:
 * - `still`: the face was seen for at least {@link LIP_SYNC}.minSyllables syllables, and for at least half of
 *   the voice's syllables, and its lips opened for none of them. The person in view is not visibly
 *   speaking: the voice is someone else's, or speech the face does not show. The captions say so and the
 *   reasoning leaves the voice's tone and words out.
 * - `moving`: the lips opened for at least half of the syllables seen. Lips that move with a voice do not
 *   prove it is theirs (two people talking in turn, or over each other, both read `moving`).
 * - `unclear`: the lips opened for some syllables but fewer than half, or for none of too few.
 * - `not-seen`: no syllable was seen. A syllable is seen when the face is in at least `minWindowFrames`
 *   frames of its opening window and `minFrames` frames within `spanS` of it.
 */

/** The check's constants. None was fitted to the clips the bench checks; the one chosen after looking at them says so. */
export const LIP_SYNC = {
  /**
   * Window of a syllable's lip opening: from 120 ms before its nucleus to 40 ms after. In running speech
   * the lips lead the sound by up to about 120 ms (Schwartz & Savariaux, PLoS Comput Biol 2014, report
   * asynchronies from a small audio lead to a visual lead of over 100 ms); one 40 ms video frame covers
   * the other side.
   */
  leadS: 0.12,
  lagS: 0.04,
  /** The reference: the smallest opening within 300 ms either side of the nucleus, about a syllable and a half at 4-5 syllables per second, so it reaches the closure between syllables. */
  spanS: 0.3,
  /**
   * How far the lips must open above that reference: 0.5 on OpenFace's 0-5 intensity scale, half the step
   * at which the AU rules call an AU active, and above the noise of a face that does not move: a frozen
   * picture of the sample actor (each clip's frame at 1 s, x264) reads at most 0.21 (bench:lip-sync).
   * Not a hold-out: the full step (1.0) was tried first and dropped after the neutral clip cut to its
   * speech opened by 1.0 for only 1 of 4 syllables (docs/audio.md, "Whose voice").
   */
  openStep: 0.5,
  /** Syllables the face must be seen for before `still` is said: about a second of speech. */
  minSyllables: 4,
  /** Valid frames a syllable's reference window needs for its opening to be measured. */
  minFrames: 3,
  /**
   * Valid frames its opening window (160 ms) needs: one frame could fall between two openings. At 25-30
   * frames a second the window holds 4-5; rows analysed sparsely (`au-extract.fps` under about 12, or 10 a
   * second at the adaptive rate away from the peaks) leave syllables unseen instead of reading lips that
   * move as still.
   */
  minWindowFrames: 2,
} as const;

export type LipSyncVerdict = "moving" | "still" | "unclear" | "not-seen";

export interface LipSync {
  verdict: LipSyncVerdict;
  /** Syllable nuclei of the voice. */
  syllables: number;
  /** Of those, the ones with the face in view (a measured opening). */
  seen: number;
  /** Of those, the ones the lips opened for. */
  opened: number;
}

/** The lip opening per row of the primary face: max(AU25, AU26) on valid rows, NaN elsewhere. */
export function lipOpening(table: AuTable): { timestampS: Float64Array; opening: Float64Array } {
  const n = table.timestamp.length;
  const a25 = table.intensity.AU25;
  const a26 = table.intensity.AU26;
  const opening = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    if (!table.valid[i]) continue;
    // A file without one of the two columns reads the other.
    const values = [a25?.[i], a26?.[i]].filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length) opening[i] = Math.max(...values);
  }
  return { timestampS: table.timestamp, opening };
}

/**
 * How far the lips open for each syllable nucleus (seconds), or undefined where the face was not seen.
 * `nucleiS` and `frames` must be in time order.
 */
export function syllableOpenings(
  nucleiS: readonly number[],
  frames: { timestampS: ArrayLike<number>; opening: ArrayLike<number> },
): (number | undefined)[] {
  const { timestampS: t, opening } = frames;
  // Times come with three decimals (CSV) and two (nuclei): a frame exactly at a window's edge is inside it.
  const eps = 1e-6;
  // The nuclei come in time order: each search starts where the one before began (linear in a long clip).
  let from = 0;
  return nucleiS.map((nucleus) => {
    let peak = -Infinity;
    let floor = Infinity;
    let around = 0;
    let inWindow = 0;
    while (from < t.length && t[from]! - nucleus < -LIP_SYNC.spanS - eps) from++;
    for (let i = from; i < t.length; i++) {
      const d = t[i]! - nucleus;
      if (d > LIP_SYNC.spanS + eps) break;
      const v = opening[i]!;
      if (Number.isNaN(v)) continue;
      around++;
      floor = Math.min(floor, v);
      if (d >= -LIP_SYNC.leadS - eps && d <= LIP_SYNC.lagS + eps) {
        peak = Math.max(peak, v);
        inWindow++;
      }
    }
    return around >= LIP_SYNC.minFrames && inWindow >= LIP_SYNC.minWindowFrames ? peak - floor : undefined;
  });
}

/** Whether the lips opened for a syllable: an opening of at least `openStep`. */
export function lipsOpened(opening: number): boolean {
  // A rounding margin: the CSV holds two decimals, so 0.5 may arrive as 0.49999.
  return opening >= LIP_SYNC.openStep - 1e-9;
}

/** The verdict from the openings of {@link syllableOpenings}. */
export function judgeLipSync(openings: readonly (number | undefined)[]): LipSync {
  const seen = openings.filter((o): o is number => o !== undefined);
  const opened = seen.filter(lipsOpened).length;
  const verdict: LipSyncVerdict =
    seen.length === 0
      ? "not-seen"
      : seen.length >= LIP_SYNC.minSyllables && seen.length * 2 >= openings.length && opened === 0
        ? "still"
        : opened * 2 >= seen.length
          ? "moving"
          : "unclear";
  return { verdict, syllables: openings.length, seen: seen.length, opened };
}
