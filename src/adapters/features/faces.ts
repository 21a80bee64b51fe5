import type { FaceSidecar } from "../face/index.ts";
import { readRawFrames, type RawFrame } from "../face/frames.ts";
import type { Box } from "./preprocess.ts";

/** A decoded frame in which the analysis tracked the face, with the face's box in the frame's pixels. */
export interface FaceFrame {
  /** 0-based position among the clip's face frames. */
  k: number;
  frame: RawFrame;
  box: Box;
}

/** The face boxes the analysis tracked, by 1-based frame number (the CSV's `frame`). Pure. */
export function faceBoxes(sidecar: FaceSidecar): Map<number, Box> {
  const out = new Map<number, Box>();
  for (const f of sidecar.frames) if (f.face && f.face.box[2] > 1 && f.face.box[3] > 1) out.set(f.frame, f.face.box);
  return out;
}

/**
 * Decodes the frames the analysis looked at (its `analysedFps`, the same frame selection) and yields
 * those where it tracked the face, with that box scaled to the decoded size. Frames without a face
 * are left out, as OpenFace's aligned-face folders leave them out.
 */
export async function* faceFrames(video: string, sidecar: FaceSidecar, signal?: AbortSignal): AsyncGenerator<FaceFrame> {
  const boxes = faceBoxes(sidecar);
  if (boxes.size === 0) return;
  const maxFps = sidecar.analysedFps > 0 && sidecar.analysedFps < sidecar.fps ? sidecar.analysedFps : undefined;
  let k = 0;
  for await (const frame of readRawFrames(video, { maxFps, signal })) {
    const box = boxes.get(frame.index + 1);
    if (!box) continue;
    const sx = frame.width / sidecar.frameSize.width;
    const sy = frame.height / sidecar.frameSize.height;
    yield { k: k++, frame, box: [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy] };
  }
}
