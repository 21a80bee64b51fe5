/**
 * Follows one subject through a clip. Pure. Real footage has cuts, listeners in frame and faces that
 * come and go; OpenFace's FeatureExtraction tracks one face, and AU rules must not mix two people.
 * Faces are linked into tracks frame to frame by box overlap; the main subject is the track seen in the
 * most frames (then the larger face, then the earlier one). Frames where it is not seen have no face.
 */

export type Box = readonly [number, number, number, number];

export interface SubjectOptions {
  /** Box overlap (intersection over union) that links a face to a track. @defaultValue 0.3 */
  minIou?: number;
  /** A track not seen for more frames than this ends (the face left, or the shot changed). @defaultValue 15 */
  maxGap?: number;
}

export interface SubjectSelection {
  /** Per frame, the index of the subject's face in that frame's list, or undefined. */
  picks: Array<number | undefined>;
  /** Frames where the subject is seen. */
  subjectFrames: number;
  /** Tracks found in the clip (1 = one face throughout). */
  tracks: number;
  /** Frames where some other face is seen and the subject is not. */
  otherOnlyFrames: number;
}

/** Intersection over union of two [x, y, w, h] boxes. Pure. */
export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a[0], b[0]);
  const y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

interface Track {
  id: number;
  last: Box;
  lastFrame: number;
  frames: number;
  area: number;
}

export function selectSubject(frames: ReadonlyArray<ReadonlyArray<{ box: Box }>>, opts: SubjectOptions = {}): SubjectSelection {
  const minIou = opts.minIou ?? 0.3;
  const maxGap = opts.maxGap ?? 15;
  const tracks: Track[] = [];
  // Per frame, the track id of each face.
  const ids: number[][] = frames.map((faces, f) => {
    const pairs: Array<{ t: Track; i: number; o: number }> = [];
    for (const t of tracks) {
      if (f - t.lastFrame > maxGap) continue;
      faces.forEach((face, i) => {
        const o = iou(t.last, face.box);
        if (o >= minIou) pairs.push({ t, i, o });
      });
    }
    // Best overlaps first; ties by the older track, then the face's order: deterministic.
    pairs.sort((a, b) => b.o - a.o || a.t.id - b.t.id || a.i - b.i);
    const assigned = new Array<number>(faces.length).fill(-1);
    const used = new Set<number>();
    for (const p of pairs) {
      if (assigned[p.i] !== -1 || used.has(p.t.id)) continue;
      assigned[p.i] = p.t.id;
      used.add(p.t.id);
    }
    return faces.map((face, i) => {
      let t = assigned[i] !== -1 ? tracks[assigned[i] as number] : undefined;
      if (!t) {
        t = { id: tracks.length, last: face.box, lastFrame: f, frames: 0, area: 0 };
        tracks.push(t);
      }
      t.last = face.box;
      t.lastFrame = f;
      t.frames++;
      t.area += face.box[2] * face.box[3];
      return t.id;
    });
  });
  const main = [...tracks].sort((a, b) => b.frames - a.frames || b.area / b.frames - a.area / a.frames || a.id - b.id)[0];
  let subjectFrames = 0;
  let otherOnlyFrames = 0;
  const picks = ids.map((row) => {
    const i = main ? row.indexOf(main.id) : -1;
    if (i >= 0) {
      subjectFrames++;
      return i;
    }
    if (row.length > 0) otherOnlyFrames++;
    return undefined;
  });
  return { picks, subjectFrames, tracks: tracks.length, otherOnlyFrames };
}
