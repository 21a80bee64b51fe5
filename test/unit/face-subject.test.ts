import { describe, expect, it } from "vitest";
import { faceRegion, faceUpscaleFactor, nextTurn, turnFrame, turnPoint, upscaleFactor, uprightTurn } from "../../src/adapters/face/builtin/face-analyzer.ts";
import { meanLuma, pictureBox } from "../../src/adapters/face/builtin/extractor.ts";
import { CUT_THRESHOLD, FaceCuts, lumaGrid, ShotCuts } from "../../src/adapters/face/builtin/shots.ts";
import { iou, MIN_SAME_PERSON_SIMILARITY, selectSubject, type Box, type SubjectFace } from "../../src/adapters/face/builtin/subject.ts";

const face = (x: number, y: number, size = 100): { box: Box } => ({ box: [x, y, size, size] });

describe("following one subject through a clip", () => {
  it("computes box overlap", () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 0, 10, 10])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150);
  });

  it("one face throughout is the subject in every frame", () => {
    const frames = Array.from({ length: 10 }, (_, i) => [face(100 + i * 2, 50)]);
    const s = selectSubject(frames);
    expect(s.picks).toEqual(Array(10).fill(0));
    expect(s).toMatchObject({ subjectFrames: 10, tracks: 1, otherOnlyFrames: 0 });
  });

  it("two people in frame: follows the one seen longest even when the detector lists the other first", () => {
    // Speaker on the left in all 12 frames; a listener on the right in frames 0-5, listed first there.
    const frames = Array.from({ length: 12 }, (_, i) => (i < 6 ? [face(500, 60, 120), face(100, 50)] : [face(100 + i, 50)]));
    const s = selectSubject(frames);
    expect(s.picks).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(s.tracks).toBe(2);
    expect(s.subjectFrames).toBe(12);
  });

  it("a cut to someone else: the other shot's frames get no face", () => {
    const frames = [...Array.from({ length: 8 }, () => [face(100, 50)]), ...Array.from({ length: 4 }, () => [face(400, 200, 60)]), [], [face(102, 50)]];
    const s = selectSubject(frames);
    expect(s.picks).toEqual([0, 0, 0, 0, 0, 0, 0, 0, undefined, undefined, undefined, undefined, undefined, 0]);
    expect(s).toMatchObject({ subjectFrames: 9, tracks: 2, otherOnlyFrames: 4 });
  });

  it("equal presence: the larger face wins; no faces at all: no subject", () => {
    const frames = [[face(0, 0, 50), face(300, 0, 150)], [face(0, 0, 50), face(300, 0, 150)]];
    expect(selectSubject(frames).picks).toEqual([1, 1]);
    expect(selectSubject([[], []])).toMatchObject({ picks: [undefined, undefined], subjectFrames: 0, tracks: 0 });
  });
});

describe("shot cuts and identities", () => {
  // Two people, as identity descriptors: similarity 1 for the same person, 0 otherwise.
  const person = (id: number): number[] => [id];
  const similarity = (a: readonly number[], b: readonly number[]) => (a[0] === b[0] ? 1 : 0);
  const seen = (x: number, who: number, described = true): SubjectFace => ({ box: [x, 50, 100, 100], ...(described ? { descriptor: person(who) } : {}) });
  const shot = (n: number, x: number, who: number) => Array.from({ length: n }, (_, i) => [seen(x, who, i === 0)]);

  it("a cut ends the track even where the next person's face overlaps the last one's", () => {
    // Speaker 1 for 6 frames, a cut to speaker 2 at the same place for 4 frames.
    const frames = [...shot(6, 100, 1), ...shot(4, 100, 2)];
    const cuts = frames.map((_, f) => f === 6);
    const withCut = selectSubject(frames, { similarity }, cuts);
    expect(withCut.picks).toEqual([0, 0, 0, 0, 0, 0, undefined, undefined, undefined, undefined]);
    expect(withCut).toMatchObject({ tracks: 2, identities: 2, cuts: 1, subjectFrames: 6, otherOnlyFrames: 4 });
    // Without the cut, overlap links them: one track of two people (what the cut prevents).
    expect(selectSubject(frames, { similarity })).toMatchObject({ tracks: 1, subjectFrames: 10 });
  });

  it("groups a person's shots on either side of someone else's into one subject", () => {
    // Speaker 1 (4 frames), speaker 2 (5 frames), speaker 1 elsewhere in the frame (3 frames): 7 frames of 1.
    const frames = [...shot(4, 100, 1), ...shot(5, 100, 2), ...shot(3, 400, 1)];
    const cuts = frames.map((_, f) => f === 4 || f === 9);
    const s = selectSubject(frames, { similarity }, cuts);
    expect(s.picks.map((p) => (p === undefined ? "-" : "1")).join("")).toBe("1111-----111");
    expect(s).toMatchObject({ tracks: 3, identities: 2, cuts: 2, subjectFrames: 7 });
    // Without descriptors the tracks stay apart and the longest single shot wins.
    const blind = selectSubject(frames, {}, cuts);
    expect(blind.picks.map((p) => (p === undefined ? "-" : "1")).join("")).toBe("----11111---");
    expect(blind.identities).toBe(3);
  });

  it("groups two tracks from a mean similarity of 0.65, not at Human's 0.5 (strangers reach it)", () => {
    // Speaker (3 descriptors in his first shot), another person (3), the speaker again (3). Descriptors are
    // [person, noise]: the same person scores 0.75 +- noise, the other person 0.55.
    const sim = (a: readonly number[], b: readonly number[]) => (a[0] === b[0] ? 0.75 + (a[1]! + b[1]!) / 2 : 0.55);
    const face = (x: number, who: number, noise?: number): SubjectFace => ({ box: [x, 50, 100, 100], ...(noise === undefined ? {} : { descriptor: [who, noise] }) });
    const shotOf = (n: number, x: number, who: number, noises: number[]) => Array.from({ length: n }, (_, i) => [face(x, who, noises[i])]);
    // One of his later descriptors is poor (0.75 - 0.3): the mean over 3 x 3 still links his shots.
    const frames = [...shotOf(6, 100, 1, [0, 0, 0]), ...shotOf(5, 100, 2, [0, 0, 0]), ...shotOf(4, 400, 1, [0, -0.3, 0])];
    const cuts = frames.map((_, f) => f === 6 || f === 11);
    expect(MIN_SAME_PERSON_SIMILARITY).toBe(0.65);
    const s = selectSubject(frames, { similarity: sim }, cuts);
    expect(s).toMatchObject({ tracks: 3, identities: 2, subjectFrames: 10 });
    expect(s.picks.map((p) => (p === undefined ? "-" : "1")).join("")).toBe("111111-----1111");
    // At 0.5 the other person joins him: all 15 frames would be one "subject" of two faces.
    expect(selectSubject(frames, { similarity: sim, minSimilarity: 0.5 }, cuts)).toMatchObject({ identities: 1, subjectFrames: 15 });
  });

  it("never groups two faces seen in the same frame, however alike", () => {
    const twins = Array.from({ length: 5 }, () => [seen(0, 1), seen(300, 1)]);
    const s = selectSubject(twins, { similarity });
    expect(s).toMatchObject({ tracks: 2, identities: 2, subjectFrames: 5 });
    expect(new Set(s.picks).size).toBe(1);
  });

  it("finds a cut between two faces framed alike before the same background, which the frame's score misses", () => {
    // A 480x360 grey frame with a 180 px "face" (a texture) at the same place in every shot.
    const withFace = (pattern: (x: number, y: number) => number, dx = 0) => {
      const width = 480;
      const height = 360;
      const rgb = new Uint8Array(width * height * 3).fill(128);
      for (let y = 90; y < 270; y++) for (let x = 150 + dx; x < 330 + dx; x++) rgb.fill(pattern(x - 150 - dx, y - 90), (y * width + x) * 3, (y * width + x) * 3 + 3);
      return { rgb, width, height };
    };
    const faceA = (x: number, y: number) => Math.round(128 + 90 * Math.sin(x / 9) * Math.cos(y / 13));
    const faceB = (x: number, y: number) => Math.round(128 + 90 * Math.cos(x / 17 + 1) * Math.sin(y / 7));
    const box = (dx: number) => [150 + dx, 90, 180, 180] as const;
    // The face pans 30 px a frame (its box follows it), then another face takes its place.
    const shifts = [0, 2, 32, 62, 62, 63];
    const frames = shifts.map((dx, i) => withFace(i < 4 ? faceA : faceB, dx));
    const face = new FaceCuts();
    const whole = new ShotCuts();
    const found = frames.map((f, i) => ({ face: face.next(f, [box(shifts[i]!)]).cut, frame: whole.next(lumaGrid(f)).cut }));
    // A moving face reads as itself; the other face in its place is a cut, in the face's box only.
    expect(found.map((r) => r.face)).toEqual([false, false, false, false, true, false]);
    expect(found.every((r) => !r.frame)).toBe(true);
    // A face elsewhere (no box overlap) is not compared with the one before: no cut from it.
    const fresh = new FaceCuts();
    fresh.next(frames[0]!, [box(0)]);
    expect(fresh.next(withFace(faceB, -150), [box(-150)])).toEqual({ score: 0, cut: false });
    // Without a face in the previous frame there is nothing to compare.
    const empty = new FaceCuts();
    empty.next(frames[0]!, []);
    expect(empty.next(frames[4]!, [box(62)]).cut).toBe(false);
    // The same face whose box a detection corrects (26 px of it, then the whole 180 px box with its
    // centre kept): the boxes sample different parts of it, so they are not compared.
    const resized = new FaceCuts();
    resized.next(frames[0]!, [[240 - 65, 180 - 65, 130, 130]]);
    expect(resized.next(frames[0]!, [box(0)])).toEqual({ score: 0, cut: false });
  });

  it("scores cuts as ffmpeg's scdet does: a change of picture, not steady motion", () => {
    const frame = (f: (x: number, y: number) => number, width = 320, height = 180) => {
      const rgb = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.fill(f(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
      return { rgb, width, height };
    };
    const cuts = new ShotCuts();
    const texture = (shift: number) => frame((x) => Math.round(127 + 100 * Math.sin((x + shift) / 15)));
    expect(cuts.next(lumaGrid(texture(0))).cut).toBe(false); // the first frame has nothing to compare with
    // A pan over a texture that speeds up to a steady 10 px per frame: every frame then differs by much
    // (MAFD about 13 %), but by the same amount, so the score (the smaller of MAFD and its change) is low.
    const pan = [2, 6, 12, 20, 30, 40, 50, 60].map((shift) => cuts.next(lumaGrid(texture(shift))));
    expect(pan.every((p) => !p.cut)).toBe(true);
    expect(pan.slice(5).every((p) => p.score < 1)).toBe(true);
    const bars = frame((x, y) => (x < 160 ? 230 : 20) - (y > 90 ? 10 : 0));
    const c = cuts.next(lumaGrid(bars));
    expect(c.score).toBeGreaterThanOrEqual(CUT_THRESHOLD);
    expect(c.cut).toBe(true);
    cuts.reset();
    expect(cuts.next(lumaGrid(texture(0))).cut).toBe(false); // after a reset: nothing to compare with
  });
});

describe("enlargement for face precision", () => {
  const opts = { targetFaceWidth: 256, maxPixels: 2_100_000 };

  it("brings a face box to about the target width, in quarter steps", () => {
    // The calibration clip: a 171 px face in 480x360 is analysed at 1.5x, as the width rule did.
    expect(faceUpscaleFactor({ width: 480, height: 360 }, 171, opts)).toBe(1.5);
    expect(faceUpscaleFactor({ width: 480, height: 360 }, 175.3, opts)).toBe(1.5);
    expect(faceUpscaleFactor({ width: 640, height: 360 }, 100, opts)).toBe(2.5);
  });

  it("never shrinks, and stays within the pixel budget and 3x", () => {
    expect(faceUpscaleFactor({ width: 960, height: 540 }, 400, opts)).toBe(1);
    expect(faceUpscaleFactor({ width: 960, height: 540 }, 60, opts)).toBe(2);
    expect(faceUpscaleFactor({ width: 320, height: 180 }, 20, opts)).toBe(3);
    expect(faceUpscaleFactor({ width: 1920, height: 1080 }, 50, opts)).toBe(1);
  });

  it("the region around small faces: a face width of margin on every side, within the frame", () => {
    expect(faceRegion({ width: 960, height: 540 }, [[400, 200, 80, 90]])).toEqual({ x: 310, y: 110, w: 260, h: 270 });
    // Two faces: their union with the larger one's margin; clipped at the frame's edges.
    expect(faceRegion({ width: 960, height: 540 }, [[20, 30, 50, 50], [300, 400, 100, 100]])).toEqual({ x: 0, y: 0, w: 500, h: 540 });
  });

  it("before any face is known, enlarges narrow frames only (up to 2x)", () => {
    expect(upscaleFactor(480, 720)).toBe(1.5);
    expect(upscaleFactor(960, 720)).toBe(1);
    expect(upscaleFactor(240, 720)).toBe(2);
  });
});

describe("turning a tilted face upright", () => {
  // A face box at (100, 50), 40 px wide: the midline from the forehead (point 10) to the chin (152).
  const face = (top: [number, number], chin: [number, number]) => {
    const mesh = Array.from({ length: 478 }, () => [0, 0, 0] as [number, number, number]);
    mesh[10] = [...top, 0];
    mesh[152] = [...chin, 0];
    return { mesh, box: [100, 50, 40, 40] as [number, number, number, number] };
  };

  it("takes the angle from the face's midline and the centre from its box", () => {
    expect(uprightTurn(face([120, 50], [120, 90]))).toMatchObject({ cx: 120, cy: 70 });
    expect(uprightTurn(face([120, 50], [120, 90])).angle).toBeCloseTo(0, 12);
    // The chin 10 px to the frame's right of the forehead over 40 px down: the picture's downward axis
    // is turned towards the frame's right, a negative angle.
    const t = uprightTurn(face([120, 50], [130, 90]));
    expect(t.angle).toBeCloseTo(-Math.atan2(10, 40), 10);
    // The turned picture shows the face upright: the midline's two points are straight above each other.
    const top = turnPoint({ ...t, angle: -t.angle }, 120, 50);
    const chin = turnPoint({ ...t, angle: -t.angle }, 130, 90);
    expect(top[0]).toBeCloseTo(chin[0], 9);
  });

  it("maps the picture's points onto the frame's, the centre fixed", () => {
    const t = { angle: Math.PI / 2, cx: 10, cy: 20 };
    expect(turnPoint(t, 10, 20)).toEqual([10, 20]);
    const [x, y] = turnPoint(t, 10, 30);
    // Ten pixels down in the picture is ten pixels towards the frame's left after a quarter turn.
    expect(x).toBeCloseTo(0, 9);
    expect(y).toBeCloseTo(20, 9);
  });

  it("keeps one angle while the head stays within a degree of it, and does not turn a face within a degree of upright", () => {
    const deg = Math.PI / 180;
    const at = (a: number, cx = 100) => ({ angle: a * deg, cx, cy: 50 });
    expect(nextTurn(undefined, at(0.6))).toBeUndefined();
    expect(nextTurn(undefined, at(-3))).toEqual(at(-3));
    // Within a degree of the angle in use: that angle, about the face's new centre.
    expect(nextTurn(at(-3), at(-3.8, 110))).toEqual(at(-3, 110));
    expect(nextTurn(at(-3), at(-4.5))).toEqual(at(-4.5));
    // Back near upright: no turn. No face (or several): no turn.
    expect(nextTurn(at(-1.5), at(0.2))).toBeUndefined();
    expect(nextTurn(at(-3), undefined)).toBeUndefined();
  });

  it("samples the frame through the turn: the picture's pixel shows the frame's pixel it maps to", () => {
    const w = 9;
    const h = 7;
    const rgb = new Uint8Array(w * h * 3);
    rgb.fill(200, (3 * w + 6) * 3, (3 * w + 6) * 3 + 3); // one bright pixel at (6, 3)
    const t = { angle: Math.PI / 2, cx: 4, cy: 3 };
    // turnPoint(t, 4, 1) = (6, 3): the picture's (4, 1) shows the bright pixel, and nothing else does.
    expect(turnPoint(t, 4, 1).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([6, 3]);
    const out = turnFrame({ rgb, width: w, height: h }, t);
    const bright = [...out].flatMap((v, i) => (i % 3 === 0 && v > 100 ? [[(i / 3) % w, Math.floor(i / 3 / w)]] : []));
    expect(bright).toEqual([[4, 1]]);
    expect(out[(1 * w + 4) * 3]).toBeCloseTo(200, 6);
    // Half-way between pixels: the mean of the two; beyond the edge: the edge pixel.
    const ramp = new Uint8Array(w * h * 3).map((_, i) => Math.floor(i / 3) % w * 10);
    // Half a turn about (2.25, 3): the picture's (0, 3) is the frame's (4.5, 3); about (5, 3), the frame's (10, 3).
    const half = turnFrame({ rgb: ramp, width: w, height: h }, { angle: Math.PI, cx: 2.25, cy: 3 });
    expect(half[3 * (3 * w)]).toBeCloseTo(45, 6);
    const beyond = turnFrame({ rgb: ramp, width: w, height: h }, { angle: Math.PI, cx: 5, cy: 3 });
    expect(beyond[3 * (3 * w)]).toBeCloseTo(80, 6);
    // No turn: the same pixels.
    expect([...turnFrame({ rgb, width: w, height: h }, { angle: 0, cx: 4, cy: 3 })]).toEqual([...rgb]);
  });
});

describe("the picture inside black bars", () => {
  // A frame of `w` x `h` black pixels with a grey picture (luma 120) at [x, y, pw, ph].
  const frame = (w: number, h: number, x: number, y: number, pw: number, ph: number) => {
    const rgb = new Uint8Array(w * h * 3);
    for (let yy = y; yy < y + ph; yy++) for (let xx = x; xx < x + pw; xx++) rgb.fill(120, (yy * w + xx) * 3, (yy * w + xx) * 3 + 3);
    return { rgb, width: w, height: h };
  };
  it("takes letterbox and pillarbox off, in pairs, to the 4-pixel sampling grid", () => {
    const near = (box: number[], want: number[]) => box.forEach((v, i) => expect(Math.abs(v - want[i]!), `${i}`).toBeLessThanOrEqual(4));
    near(pictureBox(frame(960, 540, 0, 68, 960, 404)), [0, 68, 960, 404]);
    near(pictureBox(frame(640, 360, 80, 0, 480, 360)), [80, 0, 480, 360]);
    // A 2.39:1 picture in a 4:3 frame: bars of 22 % each.
    near(pictureBox(frame(640, 480, 0, 106, 640, 268)), [0, 106, 640, 268]);
    // A subtitle line in the bottom bar stops that side; both sides are cut as far as it.
    const subtitled = frame(960, 540, 0, 68, 960, 404);
    subtitled.rgb.fill(200, (500 * 960 + 300) * 3, (500 * 960 + 660) * 3);
    near(pictureBox(subtitled), [0, 39, 960, 462]);
    // The light of a letterboxed picture is the picture's, not the bars'.
    const boxed = frame(960, 540, 0, 68, 960, 404);
    expect(meanLuma(boxed)).toBeLessThan(100);
    expect(meanLuma(boxed, pictureBox(boxed))).toBeCloseTo(120, 0);
  });
  it("keeps the whole frame without bars, for a black frame, and for a lit face on a black scene", () => {
    expect(pictureBox(frame(320, 240, 0, 0, 320, 240))).toEqual([0, 0, 320, 240]);
    expect(pictureBox(frame(320, 240, 0, 0, 0, 0))).toEqual([0, 0, 320, 240]);
    expect(pictureBox(frame(192, 108, 77, 35, 39, 39))).toEqual([0, 0, 192, 108]);
    // A small picture in a corner of a large black frame: bars come in pairs, so only as much black as the
    // near sides have is cut, never the picture.
    expect(pictureBox(frame(1920, 1080, 1500, 800, 240, 180))).toEqual([180, 100, 1560, 880]);
    // A dark scene is not a bar: its dark lines have texture (luma 5-35 here), a bar is flat.
    const night = frame(320, 240, 100, 0, 8, 240);
    for (let i = 0; i < night.rgb.length; i += 3) if (night.rgb[i] === 0) night.rgb.fill(5 + ((i * 7919) % 31), i, i + 3);
    expect(pictureBox(night)).toEqual([0, 0, 320, 240]);
  });
});
