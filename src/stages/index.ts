import type { AnyStage } from "./_stage.ts";
import { extractAudio } from "./extract-audio.ts";
import { probe } from "./probe.ts";
import { sampleFrames } from "./sample-frames.ts";

export { defineStage, skip, isSkip, type AnyStage, type StageContext, type StageSkip } from "./_stage.ts";
export { probe, extractAudio, sampleFrames };

/** Every stage merr knows, by name. Workers look stages up here; pipelines reference the objects. */
export const STAGES: ReadonlyMap<string, AnyStage> = new Map<string, AnyStage>(
  [probe, extractAudio, sampleFrames].map((s) => [s.name, s]),
);
