/**
 * Pure face-mesh geometry: pose normalisation of the 478-point MediaPipe face mesh (as returned by
 * Human) and the scale-free measurements the AU estimator reads. No IO, no models.
 *
 * Conventions: image coordinates (x right, y down); "right"/"left" are the subject's sides (the
 * subject's right eye has the smaller image x). After {@link frontalise}, x runs from the subject's
 * right to left, y from forehead to chin, z towards the camera-facing surface, and one unit is the
 * 3-D distance between the two outer eye corners (the face size; ~90 mm on adults).
 */

export type Point3 = readonly [number, number, number];

/** MediaPipe face-mesh indices used by merr (468 mesh points + 10 iris points). */
export const LM = {
  eyeOuterR: 33, eyeInnerR: 133, eyeOuterL: 263, eyeInnerL: 362,
  upperLidR: [159, 158, 160], lowerLidR: [145, 144, 153],
  upperLidL: [386, 385, 387], lowerLidL: [374, 373, 380],
  browInnerR: [107, 55, 66, 65], browInnerL: [336, 285, 296, 295],
  browOuterR: [70, 46, 63, 53], browOuterL: [300, 276, 293, 283],
  cheekR: [117, 118, 50], cheekL: [346, 347, 280],
  noseWingR: [129, 98, 64], noseWingL: [358, 327, 294],
  forehead: [10, 151], noseBase: [2, 94],
  sideR: [234, 127], sideL: [454, 356],
  subnasale: 2, upperLipTop: 0, upperLipInner: 13, lowerLipInner: 14, lowerLipBottom: 17,
  mouthR: 61, mouthL: 291, chin: 152,
  irisR: 468, irisL: 473,
} as const;

/** Head rotation in radians (camera frame): pitch (x, up positive), yaw (y), roll (z). */
export interface HeadRotation {
  pitch: number;
  yaw: number;
  roll: number;
}

export interface Frontal {
  /** Pose-normalised points, 3 numbers per point (x, y, z), in face-size units. */
  pts: Float64Array;
  rotation: HeadRotation;
  /** Outer-eye-corner distance in image pixels (3-D, so it does not shrink with yaw). */
  facePx: number;
  /** Rotation matrix rows (face axes in image coordinates). */
  axes: [Point3, Point3, Point3];
}

const sub = (a: Point3, b: Point3): Point3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Point3, b: Point3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Point3, b: Point3): Point3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: Point3): number => Math.sqrt(dot(a, a));
const unit = (a: Point3): Point3 => {
  const n = norm(a) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

function mean3(mesh: readonly Point3[], idx: readonly number[]): Point3 {
  let x = 0;
  let y = 0;
  let z = 0;
  for (const i of idx) {
    const p = mesh[i];
    if (!p) throw new RangeError(`mesh point ${i} is missing`);
    x += p[0];
    y += p[1];
    z += p[2];
  }
  return [x / idx.length, y / idx.length, z / idx.length];
}

/**
 * Removes head rotation, translation and scale from a mesh. `zScale` converts the mesh's z (model
 * crop units) into image pixels. The face axes come from rigid points only (eye corners, face sides,
 * forehead, nose base): brows, lids, lips and jaw do not move them.
 */
export function frontalise(mesh: readonly Point3[], zScale: number): Frontal {
  const scaled = mesh.map((p) => [p[0], p[1], p[2] * zScale] as Point3);
  const right = mean3(scaled, [LM.eyeOuterR, LM.eyeInnerR, ...LM.sideR]);
  const left = mean3(scaled, [LM.eyeOuterL, LM.eyeInnerL, ...LM.sideL]);
  const top = mean3(scaled, LM.forehead);
  const bottom = mean3(scaled, LM.noseBase);
  const xAxis = unit(sub(left, right));
  const yRough = unit(sub(bottom, top));
  const zAxis = unit(cross(xAxis, yRough));
  const yAxis = cross(zAxis, xAxis);
  const origin = mean3(scaled, [LM.eyeOuterR, LM.eyeInnerR, LM.eyeOuterL, LM.eyeInnerL]);
  const outerR = scaled[LM.eyeOuterR] as Point3;
  const outerL = scaled[LM.eyeOuterL] as Point3;
  const facePx = norm(sub(outerL, outerR)) || 1;
  const pts = new Float64Array(scaled.length * 3);
  scaled.forEach((p, i) => {
    const d = sub(p, origin);
    pts[i * 3] = dot(d, xAxis) / facePx;
    pts[i * 3 + 1] = dot(d, yAxis) / facePx;
    pts[i * 3 + 2] = dot(d, zAxis) / facePx;
  });
  return { pts, rotation: eulerFromAxes(xAxis, yAxis, zAxis), facePx, axes: [xAxis, yAxis, zAxis] };
}

/**
 * Euler angles of the face axes (camera frame, x right, y down, z away from the camera, as OpenFace's
 * pose_Rx/Ry/Rz): pitch = rotation about x, yaw about y, roll about z.
 */
export function eulerFromAxes(x: Point3, y: Point3, z: Point3): HeadRotation {
  // The face axes in image coordinates (x right, y down, z into the scene); the face looks along -z.
  // yaw > 0: face turned towards the image's right; pitch > 0: chin up; roll > 0: clockwise in the image.
  const roll = Math.atan2(x[1], x[0]);
  const yaw = Math.atan2(-z[0], Math.hypot(z[1], z[2]));
  const pitch = Math.atan2(z[1], z[2]);
  return { pitch, yaw, roll };
}

/**
 * The rotation in OpenFace's CSV convention (pose_Rx, pose_Ry, pose_Rz: R = Rx * Ry * Rz in camera
 * coordinates, x right, y down, z away from the camera): pose_Rx > 0 is the head pitched down,
 * pose_Ry > 0 the face turned towards the image's left, pose_Rz > 0 clockwise in the image. Pure.
 */
export function openFacePose(r: HeadRotation): { rx: number; ry: number; rz: number } {
  return { rx: -r.pitch, ry: -r.yaw, rz: r.roll };
}

const px = (f: Float64Array, i: number): number => f[i * 3] as number;
const py = (f: Float64Array, i: number): number => f[i * 3 + 1] as number;
const meanY = (f: Float64Array, idx: readonly number[]): number => idx.reduce((s, i) => s + py(f, i), 0) / idx.length;
const meanX = (f: Float64Array, idx: readonly number[]): number => idx.reduce((s, i) => s + px(f, i), 0) / idx.length;

/** Scale-free measurements of a frontalised face (face-size units; y grows downwards). */
export interface FaceMeasures {
  /** Eye-corner line to inner brow (mean of both sides); grows when the inner brows rise. */
  browInnerHeight: number;
  /** Eye-corner line to outer brow; grows when the outer brows rise. */
  browOuterHeight: number;
  /** Horizontal gap between the inner brow heads; shrinks when the brows are drawn together. */
  browGap: number;
  /** Eye-corner line to the upper lid (above the line); grows when the upper lid rises. */
  upperLid: number;
  /** Eye-corner line to the lower lid (below the line); shrinks when the lower lid rises. */
  lowerLid: number;
  /** Lid opening divided by eye width (both eyes). */
  eyeAperture: number;
  /** Eye-corner line to the cheek (infraorbital) points; shrinks when the cheeks rise. */
  cheekDrop: number;
  /** Eye-corner line to the nose wings; shrinks when the nose wrinkles. */
  noseWingDrop: number;
  /** Subnasale to the top of the upper lip; shrinks when the upper lip rises. */
  upperLipDrop: number;
  /** Mouth corners below the inner-lip midline (negative = corners above it, a smile). */
  cornerDepth: number;
  /** Mouth corners below the nose base (a jaw-independent corner height). */
  cornerDrop: number;
  /** Corner-to-corner mouth width. */
  mouthWidth: number;
  /** Upper plus lower red-lip thickness. */
  lipThickness: number;
  /** Gap between the inner lips. */
  lipGap: number;
  /** Nose base to chin. */
  jawDrop: number;
  /** Lower lip to chin. */
  chinLip: number;
}

export const MEASURE_NAMES = [
  "browInnerHeight", "browOuterHeight", "browGap", "upperLid", "lowerLid", "eyeAperture", "cheekDrop",
  "noseWingDrop", "upperLipDrop", "cornerDepth", "cornerDrop", "mouthWidth", "lipThickness", "lipGap", "jawDrop", "chinLip",
] as const satisfies ReadonlyArray<keyof FaceMeasures>;

/** Reads the measurements of one frontalised face. */
export function measure(f: Float64Array): FaceMeasures {
  const eyeR = (py(f, LM.eyeOuterR) + py(f, LM.eyeInnerR)) / 2;
  const eyeL = (py(f, LM.eyeOuterL) + py(f, LM.eyeInnerL)) / 2;
  const side = (r: number, l: number): number => (r + l) / 2;
  const upR = meanY(f, LM.upperLidR);
  const upL = meanY(f, LM.upperLidL);
  const loR = meanY(f, LM.lowerLidR);
  const loL = meanY(f, LM.lowerLidL);
  const widthR = Math.abs(px(f, LM.eyeInnerR) - px(f, LM.eyeOuterR)) || 1e-6;
  const widthL = Math.abs(px(f, LM.eyeOuterL) - px(f, LM.eyeInnerL)) || 1e-6;
  const lipMid = (py(f, LM.upperLipInner) + py(f, LM.lowerLipInner)) / 2;
  const corners = (py(f, LM.mouthR) + py(f, LM.mouthL)) / 2;
  const nose = py(f, LM.subnasale);
  return {
    browInnerHeight: side(eyeR - meanY(f, LM.browInnerR), eyeL - meanY(f, LM.browInnerL)),
    browOuterHeight: side(eyeR - meanY(f, LM.browOuterR), eyeL - meanY(f, LM.browOuterL)),
    browGap: meanX(f, LM.browInnerL) - meanX(f, LM.browInnerR),
    upperLid: side(eyeR - upR, eyeL - upL),
    lowerLid: side(loR - eyeR, loL - eyeL),
    eyeAperture: side((loR - upR) / widthR, (loL - upL) / widthL),
    cheekDrop: side(meanY(f, LM.cheekR) - eyeR, meanY(f, LM.cheekL) - eyeL),
    noseWingDrop: side(meanY(f, LM.noseWingR) - eyeR, meanY(f, LM.noseWingL) - eyeL),
    upperLipDrop: py(f, LM.upperLipTop) - nose,
    cornerDepth: corners - lipMid,
    cornerDrop: corners - nose,
    mouthWidth: px(f, LM.mouthL) - px(f, LM.mouthR),
    lipThickness: (py(f, LM.upperLipInner) - py(f, LM.upperLipTop)) + (py(f, LM.lowerLipBottom) - py(f, LM.lowerLipInner)),
    lipGap: Math.max(0, py(f, LM.lowerLipInner) - py(f, LM.upperLipInner)),
    jawDrop: py(f, LM.chin) - nose,
    chinLip: py(f, LM.chin) - py(f, LM.lowerLipBottom),
  };
}

/**
 * Gaze from the iris centres: per eye, the iris offset from the eye centre (face-size units, in the
 * frontal frame) over an eyeball radius of ~0.12 face units, turned into angles and added to the
 * head rotation. Returns OpenFace-style angles in radians (x: left/right, y: up/down).
 */
export function gazeAngles(f: Float64Array, rotation: HeadRotation): { x: number; y: number } | undefined {
  if (f.length < 474 * 3) return undefined;
  const eye = (outer: number, inner: number, iris: number): [number, number] => {
    const cx = (px(f, outer) + px(f, inner)) / 2;
    const cy = (py(f, outer) + py(f, inner)) / 2;
    return [px(f, iris) - cx, py(f, iris) - cy];
  };
  const [rx, ry] = eye(LM.eyeOuterR, LM.eyeInnerR, LM.irisR);
  const [lx, ly] = eye(LM.eyeOuterL, LM.eyeInnerL, LM.irisL);
  const r = 0.12;
  const clampAsin = (v: number): number => Math.asin(Math.max(-1, Math.min(1, v)));
  // Frontal x runs towards the subject's left, which is the camera's right: same sign as OpenFace's gaze x.
  const eyeYaw = clampAsin((rx + lx) / 2 / r);
  const eyePitch = clampAsin((ry + ly) / 2 / r);
  // OpenFace's gaze angles: x > 0 towards the camera's right, y > 0 downwards. The iris offset is measured
  // in the frontalised face (y down); the head's pitch is "chin up" positive, so it subtracts.
  return { x: eyeYaw + rotation.yaw, y: eyePitch - rotation.pitch };
}
