/**
 * Shot cuts. Pure. TV drama cuts between speakers who are framed alike (shot, reverse shot): the second
 * person's face lands where the first one's was, so box overlap alone would link two people into one
 * face track, and the AU zero points and peaks would mix two faces. A cut ends every track
 * (subject.ts) and makes the analyzer run the face detector on the frame after it.
 *
 * The score is ffmpeg's `scdet` filter's: the mean absolute frame difference (MAFD, in percent of the
 * full scale) and the change of that difference from the previous frame pair, the smaller of the two; a
 * cut when it reaches 10, scdet's default threshold. The smaller of the two keeps a pan or a fast
 * movement (a high MAFD that lasts) from reading as a cut. merr computes it on luma sampled on a fixed
 * grid (cheap, and the same at any resolution); the threshold was not fitted on merr's data.
 */

/** Luma samples per frame: a GRID_W x GRID_H grid, independent of the frame size. */
const GRID_W = 64;
const GRID_H = 36;

/** ffmpeg scdet's default threshold (percent of the full scale). */
export const CUT_THRESHOLD = 10;

/** BT.601 luma (0..255) of a frame sampled on a fixed grid, for {@link ShotCuts}. Pure. */
export function lumaGrid(frame: { rgb: Uint8Array; width: number; height: number }): Uint8Array {
  const out = new Uint8Array(GRID_W * GRID_H);
  for (let gy = 0; gy < GRID_H; gy++) {
    const y = Math.min(frame.height - 1, Math.floor(((gy + 0.5) * frame.height) / GRID_H));
    for (let gx = 0; gx < GRID_W; gx++) {
      const x = Math.min(frame.width - 1, Math.floor(((gx + 0.5) * frame.width) / GRID_W));
      const i = (y * frame.width + x) * 3;
      out[gy * GRID_W + gx] = Math.round(0.299 * (frame.rgb[i] as number) + 0.587 * (frame.rgb[i + 1] as number) + 0.114 * (frame.rgb[i + 2] as number));
    }
  }
  return out;
}

/** Follows consecutive frames and tells which one starts a new shot. */
export class ShotCuts {
  private previous: Uint8Array | undefined;
  private previousMafd = 0;

  /** The scdet score of `grid` against the previous frame given (0 for the first), and whether it is a cut. */
  next(grid: Uint8Array): { score: number; cut: boolean } {
    const prev = this.previous;
    this.previous = grid;
    if (!prev || prev.length !== grid.length) {
      this.previousMafd = 0;
      return { score: 0, cut: false };
    }
    let sad = 0;
    for (let i = 0; i < grid.length; i++) sad += Math.abs((grid[i] as number) - (prev[i] as number));
    const mafd = (100 * sad) / (grid.length * 255);
    const score = Math.min(mafd, Math.abs(mafd - this.previousMafd));
    this.previousMafd = mafd;
    return { score, cut: score >= CUT_THRESHOLD };
  }

  /** Forget the previous frame (the next frame does not follow it, e.g. a new window of the adaptive rate). */
  reset(): void {
    this.previous = undefined;
    this.previousMafd = 0;
  }
}
