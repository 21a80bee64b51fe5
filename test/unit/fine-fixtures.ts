import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { AuAnalyzeOutput } from "../../src/stages/au-analyze.ts";

/** A valid au-analyze output for stage tests (only the MERR fields vary). */
export function auOutput(label: NonNullable<AuAnalyzeOutput["pseu_emotion"]>, aus: string[], phrases: string[]): AuAnalyzeOutput {
  return {
    pseu_emotion: label,
    AU_list: aus,
    visual_prior_list: phrases,
    peak_index: "3",
    peak_AU_list: aus,
    frame_count: 30,
    peak_frame: 3,
    peak_row: 3,
    peak_time_s: 0.1,
    peak_method: "paper",
    rules: { id: "merr", version: 1, hash: "x" },
    rows: { total: 30, primary: 30, valid: 30, failed: 0, lowConfidence: 0, malformed: 0, otherFaces: 0 },
    candidates: [],
    label_aus: { [label]: { aus, phrases } },
    decision: { status: "labelled", reason: "test" },
    coverage: 1,
    analysisPath: "/nonexistent/au-analysis.json",
  };
}

/** Writes a builtin-analyzer sidecar with `n` face frames and the given expression mean. */
export async function writeSidecar(dir: string, expressionMean: Record<string, number>, opts: { yaw?: number; brightness?: number } = {}): Promise<string> {
  const frames = Array.from({ length: 10 }, (_, i) => ({
    frame: i + 1,
    timestampS: i / 10,
    brightness: opts.brightness ?? 120,
    face: {
      confidence: 0.95,
      box: [170, 90, 140, 180],
      brightness: 130,
      headPose: { pitch: -0.01 * i, yaw: opts.yaw ?? 0.02, roll: 0 },
      gaze: { x: 0.05, y: -0.02 },
      expression: expressionMean,
      detected: true,
    },
  }));
  const sidecar = {
    schema: "merr.face-sidecar/1",
    extractor: "builtin",
    video: "/clip.flv",
    frameSize: { width: 480, height: 360 },
    analysedSize: { width: 480, height: 360 },
    fps: 30,
    analysedFps: 10,
    framesWithFace: frames.length,
    coverage: 1,
    expressionMean,
    frames,
  };
  const file = path.join(dir, `sidecar-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(sidecar));
  return file;
}

export const EXPR = {
  sad: { angry: 0.05, disgust: 0.02, fear: 0.05, happy: 0.02, neutral: 0.16, sad: 0.68, surprise: 0.02 },
  happy: { angry: 0.02, disgust: 0.01, fear: 0.02, happy: 0.8, neutral: 0.1, sad: 0.03, surprise: 0.02 },
  neutral: { angry: 0.05, disgust: 0.02, fear: 0.03, happy: 0.05, neutral: 0.75, sad: 0.08, surprise: 0.02 },
};
