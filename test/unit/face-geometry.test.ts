import { describe, expect, it } from "vitest";
import { frontalise, gazeAngles, LM, measure, openFacePose, type Point3 } from "../../src/adapters/face/builtin/geometry.ts";

/** A synthetic 478-point face: the named landmarks at plausible frontal positions, the rest at the centre. */
function syntheticFace(): Point3[] {
  const pts: Point3[] = Array.from({ length: 478 }, () => [0, 0.3, 0] as Point3);
  const set = (idx: number | readonly number[], p: Point3) => {
    for (const i of Array.isArray(idx) ? idx : [idx]) pts[i as number] = p;
  };
  set(LM.eyeOuterR, [-0.5, 0, 0]); set(LM.eyeInnerR, [-0.15, 0, 0]);
  set(LM.eyeOuterL, [0.5, 0, 0]); set(LM.eyeInnerL, [0.15, 0, 0]);
  set(LM.upperLidR, [-0.32, -0.05, 0]); set(LM.lowerLidR, [-0.32, 0.04, 0]);
  set(LM.upperLidL, [0.32, -0.05, 0]); set(LM.lowerLidL, [0.32, 0.04, 0]);
  set(LM.browInnerR, [-0.26, -0.19, 0]); set(LM.browInnerL, [0.26, -0.19, 0]);
  set(LM.browOuterR, [-0.55, -0.17, 0]); set(LM.browOuterL, [0.55, -0.17, 0]);
  set(LM.cheekR, [-0.4, 0.27, 0]); set(LM.cheekL, [0.4, 0.27, 0]);
  set(LM.noseWingR, [-0.12, 0.47, 0]); set(LM.noseWingL, [0.12, 0.47, 0]);
  set(LM.forehead, [0, -0.6, 0]); set(LM.noseBase, [0, 0.5, 0]);
  set(LM.sideR, [-0.8, 0.1, 0.4]); set(LM.sideL, [0.8, 0.1, 0.4]);
  set(LM.upperLipTop, [0, 0.68, -0.05]); set(LM.upperLipInner, [0, 0.78, -0.04]);
  set(LM.lowerLipInner, [0, 0.8, -0.04]); set(LM.lowerLipBottom, [0, 0.9, -0.04]);
  set(LM.mouthR, [-0.32, 0.8, 0]); set(LM.mouthL, [0.32, 0.8, 0]);
  set(LM.chin, [0, 1.3, 0]);
  set(LM.irisR, [-0.325, 0, -0.02]); set(LM.irisL, [0.325, 0, -0.02]);
  return pts;
}

function transform(pts: Point3[], opts: { yaw?: number; pitch?: number; roll?: number; scale?: number; tx?: number; ty?: number }): Point3[] {
  const { yaw = 0, pitch = 0, roll = 0, scale = 1, tx = 0, ty = 0 } = opts;
  return pts.map(([x0, y0, z0]) => {
    // pitch about x, then yaw about y, then roll about z
    let [x, y, z] = [x0, y0 * Math.cos(pitch) - z0 * Math.sin(pitch), y0 * Math.sin(pitch) + z0 * Math.cos(pitch)];
    [x, z] = [x * Math.cos(yaw) + z * Math.sin(yaw), -x * Math.sin(yaw) + z * Math.cos(yaw)];
    [x, y] = [x * Math.cos(roll) - y * Math.sin(roll), x * Math.sin(roll) + y * Math.cos(roll)];
    return [x * scale + tx, y * scale + ty, z * scale] as Point3;
  });
}

describe("face geometry", () => {
  it("measures a frontal face in face-size units", () => {
    const m = measure(frontalise(syntheticFace(), 1).pts);
    expect(m.browInnerHeight).toBeCloseTo(0.19, 3);
    expect(m.mouthWidth).toBeCloseTo(0.64, 3);
    expect(m.eyeAperture).toBeCloseTo(0.09 / 0.35, 3);
    expect(m.lipGap).toBeCloseTo(0.02, 3);
  });

  it("is invariant to head rotation, scale and translation", () => {
    const base = measure(frontalise(syntheticFace(), 1).pts);
    const moved = frontalise(transform(syntheticFace(), { yaw: 0.45, pitch: -0.3, roll: 0.35, scale: 120, tx: 300, ty: 200 }), 1);
    const m = measure(moved.pts);
    for (const k of Object.keys(base) as Array<keyof typeof base>) expect(m[k]).toBeCloseTo(base[k], 6);
    expect(moved.facePx).toBeCloseTo(120, 6);
    expect(moved.rotation.roll).toBeCloseTo(0.35, 2);
  });

  it("reports yaw with its sign and magnitude", () => {
    const f = frontalise(transform(syntheticFace(), { yaw: 0.3 }), 1);
    expect(Math.abs(f.rotation.yaw)).toBeCloseTo(0.3, 2);
    const g = frontalise(transform(syntheticFace(), { yaw: -0.3 }), 1);
    expect(Math.sign(g.rotation.yaw)).toBe(-Math.sign(f.rotation.yaw));
  });

  it("sees a raised brow, a smile and an open jaw", () => {
    const face = syntheticFace();
    const neutral = measure(frontalise(face, 1).pts);
    const raised = face.map((p, i) => ((LM.browInnerR as readonly number[]).includes(i) || (LM.browInnerL as readonly number[]).includes(i) ? [p[0], p[1] - 0.05, p[2]] : p) as Point3);
    expect(measure(frontalise(raised, 1).pts).browInnerHeight - neutral.browInnerHeight).toBeCloseTo(0.05, 6);
    const smile = face.map((p, i) => (i === LM.mouthR ? [p[0] - 0.05, p[1] - 0.06, p[2]] : i === LM.mouthL ? [p[0] + 0.05, p[1] - 0.06, p[2]] : p) as Point3);
    const s = measure(frontalise(smile, 1).pts);
    expect(s.cornerDepth).toBeLessThan(neutral.cornerDepth - 0.05);
    expect(s.mouthWidth).toBeGreaterThan(neutral.mouthWidth + 0.09);
    const open = face.map((p, i) => (i === LM.chin || i === LM.lowerLipBottom || i === LM.lowerLipInner ? [p[0], p[1] + 0.2, p[2]] : p) as Point3);
    const o = measure(frontalise(open, 1).pts);
    expect(o.jawDrop - neutral.jawDrop).toBeCloseTo(0.2, 6);
    expect(o.lipGap).toBeCloseTo(0.22, 6);
  });

  it("writes head pose in OpenFace's convention: Rx > 0 head down, Ry > 0 turned to the image's left, Rz > 0 clockwise", () => {
    // transform() applies right-handed rotations in camera coordinates (x right, y down, z away), which is
    // how OpenFace defines pose_Rx/Ry/Rz: the same angles must come back.
    const down = frontalise(transform(syntheticFace(), { pitch: 0.3 }), 1);
    const nose = down.rotation; // a face pitched down moves its nose (z < 0) down in the image
    expect(openFacePose(nose).rx).toBeCloseTo(0.3, 2);
    expect(openFacePose(frontalise(transform(syntheticFace(), { yaw: 0.25 }), 1).rotation).ry).toBeCloseTo(0.25, 2);
    expect(openFacePose(frontalise(transform(syntheticFace(), { roll: 0.2 }), 1).rotation).rz).toBeCloseTo(0.2, 2);
  });

  it("adds the head's pitch to the eyes' for a downward-positive gaze angle", () => {
    const face = syntheticFace();
    // Eyes straight ahead in a head pitched down: the gaze points down (y > 0), as OpenFace writes it.
    const down = frontalise(transform(face, { pitch: 0.3 }), 1);
    expect(gazeAngles(down.pts, down.rotation)?.y).toBeCloseTo(0.3, 2);
  });

  it("turns iris offsets into gaze angles", () => {
    const face = syntheticFace();
    const ahead = gazeAngles(frontalise(face, 1).pts, { pitch: 0, yaw: 0, roll: 0 });
    expect(ahead?.x).toBeCloseTo(0, 6);
    const right = face.map((p, i) => (i === LM.irisR || i === LM.irisL ? [p[0] + 0.04, p[1], p[2]] : p) as Point3);
    expect(gazeAngles(frontalise(right, 1).pts, { pitch: 0, yaw: 0, roll: 0 })?.x).toBeGreaterThan(0.3);
  });
});
