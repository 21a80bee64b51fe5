import type { AnyStage } from "./_stage.ts";
import { auAnalyze } from "./au-analyze.ts";
import { auExtract } from "./au-extract.ts";
import { audioTone } from "./audio-tone.ts";
import { coarse } from "./coarse.ts";
import { extractAudio } from "./extract-audio.ts";
import { features } from "./features.ts";
import { fine } from "./fine.ts";
import { peakFrame } from "./peak-frame.ts";
import { probe } from "./probe.ts";
import { sampleFrames } from "./sample-frames.ts";
import { transcript } from "./transcript.ts";
import { visualDescribe } from "./visual-describe.ts";

export { type AnyStage } from "./_stage.ts";
export { probe, extractAudio, sampleFrames, auExtract, auAnalyze, peakFrame, transcript, audioTone, visualDescribe, coarse, fine, features };

/** Every stage merr knows, by name. Workers look stages up here; pipelines reference the objects. */
export const STAGES: ReadonlyMap<string, AnyStage> = new Map<string, AnyStage>(
  [probe, extractAudio, sampleFrames, auExtract, auAnalyze, peakFrame, transcript, audioTone, visualDescribe, coarse, fine, features].map((s) => [s.name, s]),
);
