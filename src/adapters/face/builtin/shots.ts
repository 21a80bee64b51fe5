import { iou, MIN_TRACK_IOU } from "./subject.ts";

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

/** BT.601 luma (0..255) of the RGB24 pixel at (x, y). Pure. */
export function lumaAt(frame: { rgb: Uint8Array; width: number }, x: number, y: number): number {
  const i = (y * frame.width + x) * 3;
  return 0.299 * (frame.rgb[i] as number) + 0.587 * (frame.rgb[i + 1] as number) + 0.114 * (frame.rgb[i + 2] as number);
}

/** BT.601 luma (0..255) of the pixels inside `box` ([x, y, w, h]), sampled on a `cols` x `rows` grid. Pure. */
function sampleLuma(frame: { rgb: Uint8Array; width: number; height: number }, box: readonly [number, number, number, number], cols: number, rows: number): Uint8Array {
  const out = new Uint8Array(cols * rows);
  const [bx, by, bw, bh] = box;
  for (let gy = 0; gy < rows; gy++) {
    const y = Math.max(0, Math.min(frame.height - 1, Math.floor(by + ((gy + 0.5) * bh) / rows)));
    for (let gx = 0; gx < cols; gx++) {
      const x = Math.max(0, Math.min(frame.width - 1, Math.floor(bx + ((gx + 0.5) * bw) / cols)));
      out[gy * cols + gx] = Math.round(lumaAt(frame, x, y));
    }
  }
  return out;
}

/** BT.601 luma (0..255) of a frame sampled on a fixed grid, for {@link ShotCuts}. Pure. */
export function lumaGrid(frame: { rgb: Uint8Array; width: number; height: number }): Uint8Array {
  return sampleLuma(frame, [0, 0, frame.width, frame.height], GRID_W, GRID_H);
}

/** Mean absolute difference of two luma grids, in percent of the full scale. Pure. */
function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sad = 0;
  for (let i = 0; i < a.length; i++) sad += Math.abs((a[i] as number) - (b[i] as number));
  return (100 * sad) / (a.length * 255);
}

/** scdet's score from consecutive frame differences: the smaller of the difference and its change. */
class ScdetScore {
  private previousMafd = 0;

  /** The score of a frame whose mean absolute difference from the previous one is `mafd` (percent). */
  next(mafd: number): { score: number; cut: boolean } {
    const score = Math.min(mafd, Math.abs(mafd - this.previousMafd));
    this.previousMafd = mafd;
    return { score, cut: score >= CUT_THRESHOLD };
  }

  /** No previous difference: the next frame starts afresh. */
  reset(): { score: number; cut: boolean } {
    this.previousMafd = 0;
    return { score: 0, cut: false };
  }
}

/** Follows consecutive frames and tells which one starts a new shot. */
export class ShotCuts {
  private previous: Uint8Array | undefined;
  private readonly scdet = new ScdetScore();

  /** The scdet score of `grid` against the previous frame given (0 for the first), and whether it is a cut. */
  next(grid: Uint8Array): { score: number; cut: boolean } {
    const prev = this.previous;
    this.previous = grid;
    if (!prev || prev.length !== grid.length) return this.scdet.reset();
    return this.scdet.next(meanAbsDiff(grid, prev));
  }

  /** Forget the previous frame (the next frame does not follow it, e.g. a new window of the adaptive rate). */
  reset(): void {
    this.previous = undefined;
    this.scdet.reset();
  }
}

/** Luma samples inside a face box: a FACE_GRID x FACE_GRID grid. */
const FACE_GRID = 24;

/** BT.601 luma of the pixels inside `box` ([x, y, w, h], frame pixels), sampled on a fixed grid. Pure. */
function boxLumaGrid(frame: { rgb: Uint8Array; width: number; height: number }, box: readonly [number, number, number, number]): Uint8Array {
  return sampleLuma(frame, box, FACE_GRID, FACE_GRID);
}

/** Largest change of box width between two frames whose faces the cut cue compares (not fitted). */
const MAX_BOX_SIZE_RATIO = 1.25;

/**
 * The same scdet rule on the face: a cut between two people framed alike in front of the same background
 * changes the face's pixels, not the frame's (faces of Human's face sheet, 200 px on one grey background:
 * the frame's score finds 1 cut of 120, the face's 109; `npm run bench:identity`). After a frame is
 * analysed, the face that continues the previous frame's (box overlap >= 0.3) is compared with it, each
 * sampled in its own box: a face that moves or pans reads as itself, another face in its place as a
 * change. On the sample clips without a cut, neighbouring frames score at most 9.1 (a pan of 600 px/s).
 */
export class FaceCuts {
  private ref: { grid: Uint8Array; box: readonly [number, number, number, number] } | undefined;
  private readonly scdet = new ScdetScore();

  /** Scores this frame's faces (boxes in its pixels) against the previous frame's followed face, and follows one. */
  next(frame: { rgb: Uint8Array; width: number; height: number }, boxes: ReadonlyArray<readonly [number, number, number, number]>): { score: number; cut: boolean } {
    const ref = this.ref;
    const continuing = ref ? boxes.map((b) => ({ b, o: iou(ref.box, b) })).filter((x) => x.o >= MIN_TRACK_IOU).sort((x, y) => y.o - x.o)[0]?.b : undefined;
    const box = continuing ?? [...boxes].sort((a, b) => b[2] * b[3] - a[2] * a[3])[0];
    const grid = box ? boxLumaGrid(frame, box) : undefined;
    this.ref = box && grid ? { grid, box } : undefined;
    if (!ref || !continuing || !grid) return this.scdet.reset();
    // Boxes of different sizes sample different parts of the face: a detection that corrects a tracked
    // box (a small face's box grew from 26 to 36 px) read as a cut and split one person in two. Such a
    // frame is not compared; the next one compares with it, and scdet keeps its last difference.
    const ratio = continuing[2] / ref.box[2];
    if (ratio > MAX_BOX_SIZE_RATIO || ratio < 1 / MAX_BOX_SIZE_RATIO) return { score: 0, cut: false };
    return this.scdet.next(meanAbsDiff(grid, ref.grid));
  }

  /** Forget the previous frame (the next frame does not follow it). */
  reset(): void {
    this.ref = undefined;
    this.scdet.reset();
  }
}
