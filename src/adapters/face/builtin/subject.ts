/**
 * Follows one subject through a clip. Pure. Real footage has cuts, listeners in frame and faces that
 * come and go; OpenFace's FeatureExtraction tracks one face, and AU rules must not mix two people.
 *
 * 1. Faces are linked into tracks frame to frame by box overlap, and every track ends at a shot cut
 *    (shots.ts): after a cut to someone framed alike, overlap would otherwise continue the track.
 * 2. Tracks are grouped into identities by their faces' identity descriptors (taken on detection frames):
 *    a track joins the identity it matches best at `minSimilarity` or more, unless the two were seen in
 *    the same frame (then they are two people). Tracks without descriptors stay identities of their own.
 * 3. The main subject is the identity seen in the most frames (then the larger face, then the earlier
 *    one): in a shot, reverse shot, reverse shot clip, the speaker's two shots count together. Frames where
 *    it is not seen have no face.
 */

export type Box = readonly [number, number, number, number];

export interface SubjectOptions {
  /** Box overlap (intersection over union) that links a face to a track. @defaultValue {@link MIN_TRACK_IOU} */
  minIou?: number;
  /** A track not seen for more frames than this ends (the face left, or the shot changed). @defaultValue 15 */
  maxGap?: number;
  /**
   * Similarity of two identity descriptors, 0..1 (the extractor passes Human's `match.similarity`).
   * Without it, or without descriptors, tracks are not grouped.
   */
  similarity?: (a: readonly number[], b: readonly number[]) => number;
  /**
   * Mean similarity at which two tracks are the same person. Human documents 0.5 as its match level,
   * but the most similar strangers of Human's own face sheet reach 0.5 for a fifth of single descriptor
   * pairs, and merging two people mixes their faces in one clip's AUs. With three descriptors per track
   * (face-analyzer.ts), 0.65 gave the fewest splits and merges on half the data; on the other half the
   * same person splits in 5.9 % of track pairs, the error that loses frames but never mixes faces
   * (`npm run bench:identity`, docs/face-analyzer.md).
   * @defaultValue {@link MIN_SAME_PERSON_SIMILARITY}
   */
  minSimilarity?: number;
}

/** Box overlap (intersection over union) from which a face continues a track. */
export const MIN_TRACK_IOU = 0.3;

/** Mean descriptor similarity from which two tracks are one person (see {@link SubjectOptions.minSimilarity}). */
export const MIN_SAME_PERSON_SIMILARITY = 0.65;

/** What the selection needs of one face. */
export interface SubjectFace {
  box: Box;
  /** Identity descriptor, when the analyzer took one in this frame. */
  descriptor?: readonly number[];
}

export interface SubjectSelection {
  /** Per frame, the index of the subject's face in that frame's list, or undefined. */
  picks: Array<number | undefined>;
  /** Frames where the subject is seen. */
  subjectFrames: number;
  /** Tracks found in the clip (1 = one face throughout). */
  tracks: number;
  /** People the tracks were grouped into (tracks without a descriptor count as one each). */
  identities: number;
  /** Shot cuts in the clip. */
  cuts: number;
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
  frames: number[];
  area: number;
  descriptors: Array<readonly number[]>;
}

interface Identity {
  tracks: Track[];
  frames: Set<number>;
  area: number;
  descriptors: Array<readonly number[]>;
}

/** Descriptors compared per pair of tracks, at most (evenly spread): bounds the cost of long clips. */
const MAX_DESCRIPTORS = 12;

const spread = <T>(items: readonly T[], n: number): T[] =>
  items.length <= n ? [...items] : Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)] as T);

/**
 * Picks the main subject. `cuts[f]` is true when frame `f` starts a new shot (no track continues across
 * it). Deterministic: ties go to the older track, then the face's order in the frame.
 */
export function selectSubject(frames: ReadonlyArray<ReadonlyArray<SubjectFace>>, opts: SubjectOptions = {}, cuts: readonly boolean[] = []): SubjectSelection {
  const minIou = opts.minIou ?? MIN_TRACK_IOU;
  const maxGap = opts.maxGap ?? 15;
  const minSimilarity = opts.minSimilarity ?? MIN_SAME_PERSON_SIMILARITY;
  const tracks: Track[] = [];
  let shotStart = 0;
  // Per frame, the track id of each face.
  const ids: number[][] = frames.map((faces, f) => {
    if (cuts[f]) shotStart = f;
    const pairs: Array<{ t: Track; i: number; o: number }> = [];
    for (const t of tracks) {
      if (f - t.lastFrame > maxGap || t.lastFrame < shotStart) continue;
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
        t = { id: tracks.length, last: face.box, lastFrame: f, frames: [], area: 0, descriptors: [] };
        tracks.push(t);
      }
      t.last = face.box;
      t.lastFrame = f;
      t.frames.push(f);
      t.area += face.box[2] * face.box[3];
      if (face.descriptor?.length) t.descriptors.push(face.descriptor);
      return t.id;
    });
  });
  const identities = groupTracks(tracks, opts.similarity, minSimilarity);
  const main = [...identities].sort(
    (a, b) => b.frames.size - a.frames.size || b.area / b.frames.size - a.area / a.frames.size || firstTrack(a) - firstTrack(b),
  )[0];
  const mainTracks = new Set(main?.tracks.map((t) => t.id));
  let subjectFrames = 0;
  let otherOnlyFrames = 0;
  const picks = ids.map((row) => {
    const i = row.findIndex((id) => mainTracks.has(id));
    if (i >= 0) {
      subjectFrames++;
      return i;
    }
    if (row.length > 0) otherOnlyFrames++;
    return undefined;
  });
  return { picks, subjectFrames, tracks: tracks.length, identities: identities.length, cuts: cuts.filter(Boolean).length, otherOnlyFrames };
}

/** Groups tracks into people, longest tracks first (they have the most descriptors to compare). */
function groupTracks(tracks: readonly Track[], similarity: SubjectOptions["similarity"], minSimilarity: number): Identity[] {
  const identities: Identity[] = [];
  const meanSimilarity = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number => {
    let sum = 0;
    for (const x of a) for (const y of b) sum += (similarity as NonNullable<typeof similarity>)(x, y);
    return sum / (a.length * b.length);
  };
  for (const t of [...tracks].sort((a, b) => b.frames.length - a.frames.length || a.id - b.id)) {
    let best: { identity: Identity; s: number } | undefined;
    if (similarity && t.descriptors.length) {
      const mine = spread(t.descriptors, MAX_DESCRIPTORS);
      for (const identity of identities) {
        if (!identity.descriptors.length || t.frames.some((f) => identity.frames.has(f))) continue;
        const s = meanSimilarity(mine, spread(identity.descriptors, MAX_DESCRIPTORS));
        if (s >= minSimilarity && (!best || s > best.s)) best = { identity, s };
      }
    }
    const identity = best?.identity ?? { tracks: [], frames: new Set<number>(), area: 0, descriptors: [] };
    if (!best) identities.push(identity);
    identity.tracks.push(t);
    for (const f of t.frames) identity.frames.add(f);
    identity.area += t.area;
    identity.descriptors.push(...t.descriptors);
  }
  return identities;
}

const firstTrack = (identity: Identity): number => Math.min(...identity.tracks.map((t) => t.id));
