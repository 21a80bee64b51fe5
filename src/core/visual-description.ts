/**
 * MERR step 3 without a model: a plain-words description of what merr's face analyzer measured (face
 * size and position, head pose and movement, gaze, light, expression probabilities). It is honest about
 * what it cannot see: the analyzer looks at the face only, so scene, objects, clothing and hands are
 * never mentioned. Pure.
 *
 * Without the builtin analyzer's sidecar (OpenFace), only what the OpenFace CSV holds is described: head
 * pose and gaze at the peak frame ({@link poseGazeClues}). Nothing is said when nothing was measured.
 */
import { joinPhrases } from "./fine-caption.ts";
import type { AuTable } from "./openface-csv.ts";

/** The sidecar fields this module reads (the builtin face analyzer's `merr.face-sidecar/1`). */
export interface FaceMeasurements {
  frameSize: { width: number; height: number };
  framesWithFace: number;
  expressionMean: Record<string, number> | null;
  frames: Array<{
    frame: number;
    timestampS: number;
    brightness: number;
    face: {
      box: [number, number, number, number];
      brightness: number;
      headPose: { pitch: number; yaw: number; roll: number };
      gaze: { x: number; y: number } | null;
    } | null;
  }>;
}

export interface VisualClues {
  faceFrames: number;
  analysedFrames: number;
  /** Face box height / frame height at the peak. */
  faceHeightShare: number;
  framing: "close-up" | "medium close-up" | "medium shot" | "wide shot";
  position: "left" | "centre" | "right";
  /** Degrees at the peak frame. */
  headPose: { pitch: number; yaw: number; roll: number };
  gaze: "toward the camera" | "away from the camera" | "unknown";
  /** Degrees of head yaw and pitch range over the clip. */
  movement: { yawRange: number; pitchRange: number };
  /**
   * The frames' mean brightness (BT.601 luma of the picture inside any black bars, over the face frames): under 70 dim, over
   * 185 bright, else moderate. A level, not a judgement of how even or flattering the light is.
   */
  light: "dim" | "moderate" | "bright";
  /** Top expression classes (mean probability over the clip), highest first. */
  expressions: Array<{ name: string; p: number }>;
}

export interface VisualDescription {
  /** A phrase completing "This person in the video is ...". */
  objective: string;
  /** Two or three plain sentences for the record. */
  description: string;
  clues: VisualClues;
}

const deg = (rad: number): number => Math.round((rad * 180) / Math.PI);

/** Gaze is judged over this many seconds either side of the peak (a fixation lasts about 0.2 s or more). */
const GAZE_WINDOW_S = 0.25;
/** Gaze angle (radians, both axes combined) up to which the person looks at the camera. */
const GAZE_TOWARD = 0.2;
/**
 * Gaze angle from which the person looks away. Gaze from a face mesh (and OpenFace's own) errs by
 * 5-10 degrees per frame, and the built-in eyeball model reads 7-12 degrees on the sample clips, whose
 * actor looks into the camera. Between the two bounds the direction is not stated.
 */
const GAZE_AWAY = 0.35;

/**
 * "toward the camera", "away from the camera", or undefined when the gaze was not measured near the
 * peak or lies between the bounds: the median gaze angles of the measured frames within
 * {@link GAZE_WINDOW_S} of `peakTimeS` (the nearest measured frame when none is that close). Pure.
 */
export function gazeWords(frames: ReadonlyArray<{ t: number; x: number; y: number }>, peakTimeS: number): "toward the camera" | "away from the camera" | undefined {
  const measured = frames.filter((f) => Number.isFinite(f.x) && Number.isFinite(f.y));
  if (measured.length === 0) return undefined;
  let near = measured.filter((f) => Math.abs(f.t - peakTimeS) <= GAZE_WINDOW_S + 1e-9);
  if (near.length === 0) near = [measured.reduce((best, f) => (Math.abs(f.t - peakTimeS) < Math.abs(best.t - peakTimeS) ? f : best))];
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
  };
  const angle = Math.hypot(median(near.map((f) => f.x)), median(near.map((f) => f.y)));
  return angle <= GAZE_TOWARD ? "toward the camera" : angle >= GAZE_AWAY ? "away from the camera" : undefined;
}

function framingOf(share: number): VisualClues["framing"] {
  if (share >= 0.45) return "close-up";
  if (share >= 0.25) return "medium close-up";
  if (share >= 0.1) return "medium shot";
  return "wide shot";
}

/** Measurements at the face frame nearest `peakTimeS` (or the middle face frame) plus clip-wide ranges. */
export function visualClues(m: FaceMeasurements, peakTimeS?: number): VisualClues | undefined {
  const withFace = m.frames.filter((f) => f.face !== null);
  if (withFace.length === 0) return undefined;
  const target = peakTimeS ?? withFace[Math.floor(withFace.length / 2)]!.timestampS;
  const peak = withFace.reduce((best, f) => (Math.abs(f.timestampS - target) < Math.abs(best.timestampS - target) ? f : best));
  const face = peak.face!;
  const [x, , w, h] = face.box;
  const share = h / m.frameSize.height;
  const centre = (x + w / 2) / m.frameSize.width;
  const yaws = withFace.map((f) => deg(f.face!.headPose.yaw));
  const pitches = withFace.map((f) => deg(f.face!.headPose.pitch));
  const gaze = gazeWords(withFace.flatMap((f) => (f.face!.gaze ? [{ t: f.timestampS, ...f.face!.gaze }] : [])), peak.timestampS);
  const meanLuma = withFace.reduce((s, f) => s + f.brightness, 0) / withFace.length;
  const expressions = Object.entries(m.expressionMean ?? {})
    .map(([name, p]) => ({ name, p: Math.round(p * 100) / 100 }))
    .filter((e) => e.p >= 0.1)
    .sort((a, b) => b.p - a.p)
    .slice(0, 3);
  return {
    faceFrames: withFace.length,
    analysedFrames: m.frames.length,
    faceHeightShare: Math.round(share * 100) / 100,
    framing: framingOf(share),
    position: centre < 0.36 ? "left" : centre > 0.64 ? "right" : "centre",
    headPose: { pitch: deg(face.headPose.pitch), yaw: deg(face.headPose.yaw), roll: deg(face.headPose.roll) },
    gaze: gaze ?? "unknown",
    movement: { yawRange: Math.max(...yaws) - Math.min(...yaws), pitchRange: Math.max(...pitches) - Math.min(...pitches) },
    light: meanLuma < 70 ? "dim" : meanLuma > 185 ? "bright" : "moderate",
    expressions,
  };
}

/** Head yaw (degrees) from which the person no longer faces the camera. */
const YAW_AWAY = 35;

function headPhrase(c: Pick<VisualClues, "headPose">): string {
  const { yaw, pitch, roll } = c.headPose;
  const away = Math.abs(yaw) >= YAW_AWAY;
  // "the head turned to the side, lowered and tilted", "the head tilted, the chin raised": one subject each.
  const head: string[] = [];
  if (!away && Math.abs(yaw) >= 15) head.push("turned to the side");
  if (pitch <= -12) head.push("lowered");
  if (Math.abs(roll) >= 12) head.push("tilted");
  const parts = [...(head.length ? [`the head ${joinPhrases(head)}`] : []), ...(pitch >= 12 ? ["the chin raised"] : [])];
  const lead = away ? "turned well away from the camera" : "facing the camera";
  return parts.length ? `${lead} with ${parts.join(", ")}` : lead;
}

function movementPhrase(c: Pick<VisualClues, "movement">): string {
  const { yawRange, pitchRange } = c.movement;
  if (yawRange < 8 && pitchRange < 8) return "keeps the head almost still";
  if (pitchRange >= yawRange * 1.5) return "moves the head up and down";
  if (yawRange >= pitchRange * 1.5) return "turns the head from side to side";
  return "moves the head";
}

/** Builds the objective phrase and the description from the measurements. */
export function describeVisualClues(c: VisualClues): VisualDescription {
  const where = c.position === "centre" ? "in the centre of the frame" : `on the ${c.position} of the frame`;
  // Eyes toward the camera from a head turned well away: "but", not a second description of the same.
  const turnedAway = Math.abs(c.headPose.yaw) >= YAW_AWAY;
  const gaze = c.gaze === "unknown" ? "" : `, ${turnedAway && c.gaze === "toward the camera" ? "but " : ""}looking ${c.gaze}`;
  const objective = `shown in a ${c.framing} ${where}, ${headPhrase(c)}${gaze}, in ${c.light} light`;
  const expressions = c.expressions.length
    ? `The face analyzer's expression reading is ${c.expressions.map((e) => `${e.name} ${Math.round(e.p * 100)}%`).join(", ")}.`
    : "The face analyzer reads no clear expression.";
  const description =
    `One face is tracked in ${c.faceFrames} of ${c.analysedFrames} analysed frames; the person is ${objective} and ${movementPhrase(c)} during the clip. ` +
    `${expressions} Only the face is analysed: the scene, objects, clothing and hands are not described.`;
  return { objective, description, clues: c };
}

/** What an OpenFace CSV measured (`-pose`, `-gaze` columns) at the peak frame, in the words' conventions. */
export interface PoseGazeClues {
  /** Rows with a tracked face, and all rows of the followed face. */
  trackedFrames: number;
  analysedFrames: number;
  /** The CSV `frame` whose measurements are described (the peak frame, or the valid row nearest to it). */
  frame: number;
  /** Degrees at that frame, pitch > 0 = chin up (OpenFace's pose_Rx is the opposite: > 0 = head down). Absent without pose columns. */
  headPose?: { pitch: number; yaw: number; roll: number };
  /** Degrees of head yaw and pitch range over the valid rows. Absent without pose columns. */
  movement?: { yawRange: number; pitchRange: number };
  /** From gaze_angle_x/y at that frame. Absent without gaze columns. */
  gaze?: "toward the camera" | "away from the camera";
  /** Gaze was measured near the peak but is neither clearly toward nor away from the camera. */
  gazeUnclear?: true;
}

const finite = (...v: number[]): boolean => v.every(Number.isFinite);

/**
 * Head pose and gaze at the peak frame from an OpenFace-layout table: the row of CSV frame
 * `peakFrameIndex + 1` when it is valid, else the valid row nearest in time. `undefined` when the table
 * has no pose or gaze columns, or no valid row has a finite value in them.
 */
export function poseGazeClues(table: AuTable, peak: { frameIndex?: number; timeS: number }): PoseGazeClues | undefined {
  const { pose, gaze } = table;
  if (!pose && !gaze) return undefined;
  const measured = (i: number): boolean =>
    table.valid[i] === 1 &&
    ((pose !== undefined && finite(pose.rx[i]!, pose.ry[i]!, pose.rz[i]!)) || (gaze !== undefined && finite(gaze.angleX[i]!, gaze.angleY[i]!)));
  const rows: number[] = [];
  for (let i = 0; i < table.frame.length; i++) if (measured(i)) rows.push(i);
  if (rows.length === 0) return undefined;
  const exact = peak.frameIndex === undefined ? undefined : rows.find((i) => table.frame[i] === peak.frameIndex! + 1);
  const at = exact ?? rows.reduce((best, i) => (Math.abs(table.timestamp[i]! - peak.timeS) < Math.abs(table.timestamp[best]! - peak.timeS) ? i : best));
  let tracked = 0;
  for (let i = 0; i < table.success.length; i++) tracked += table.success[i]!;
  const clues: PoseGazeClues = { trackedFrames: tracked, analysedFrames: table.frame.length, frame: table.frame[at]! };
  if (pose && finite(pose.rx[at]!, pose.ry[at]!, pose.rz[at]!)) {
    clues.headPose = { pitch: -deg(pose.rx[at]!), yaw: deg(pose.ry[at]!), roll: deg(pose.rz[at]!) };
    const posed = rows.filter((i) => finite(pose.rx[i]!, pose.ry[i]!));
    const yaws = posed.map((i) => deg(pose.ry[i]!));
    const pitches = posed.map((i) => -deg(pose.rx[i]!));
    clues.movement = { yawRange: Math.max(...yaws) - Math.min(...yaws), pitchRange: Math.max(...pitches) - Math.min(...pitches) };
  }
  if (gaze && finite(gaze.angleX[at]!, gaze.angleY[at]!)) {
    const words = gazeWords(rows.map((i) => ({ t: table.timestamp[i]!, x: gaze.angleX[i]!, y: gaze.angleY[i]! })), table.timestamp[at]!);
    if (words) clues.gaze = words;
    else clues.gazeUnclear = true;
  }
  return clues.headPose || clues.gaze ? clues : undefined;
}

/** The objective phrase and description of what the tracker (`tracker`, e.g. "OpenFace") measured. */
export function describePoseGaze(c: PoseGazeClues, tracker: string): { objective: string; description: string } {
  const head = c.headPose ? headPhrase({ headPose: c.headPose }) : "";
  const turnedAway = c.headPose !== undefined && Math.abs(c.headPose.yaw) >= YAW_AWAY;
  const gaze = c.gaze ? `${turnedAway && c.gaze === "toward the camera" ? "but " : ""}looking ${c.gaze}` : "";
  const objective = [head, gaze].filter(Boolean).join(", ");
  const movement = c.movement ? ` and ${movementPhrase({ movement: c.movement })} during the clip` : "";
  const withGaze = c.gaze !== undefined || c.gazeUnclear === true;
  const measured = c.headPose && withGaze ? "head pose and gaze" : c.headPose ? "head pose" : "gaze";
  const unclear = c.gazeUnclear ? " Whether the eyes look at the camera is not clear from the measured gaze." : "";
  const description =
    `${tracker} tracks the face in ${c.trackedFrames} of ${c.analysedFrames} frames; at the most expressive frame the person is ${objective}${movement}.${unclear} ` +
    `Only ${measured} ${c.headPose && withGaze ? "were" : "was"} measured: framing, light, the scene, objects, clothing and hands are not described.`;
  return { objective, description };
}
