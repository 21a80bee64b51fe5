import { definePipeline } from "../src/runtime/define.ts";
import { extractAudio, probe, sampleFrames } from "../src/stages/index.ts";

/** The media stages alone: probe, 16 kHz audio and sampled frames for every clip. */
export default definePipeline({
  name: "media",
  description: "probe, extract audio, sample frames",
  stages: [
    { stage: probe, attempts: 2, concurrency: "cores" },
    { stage: extractAudio, attempts: 2, concurrency: "cores" },
    { stage: sampleFrames, attempts: 2, concurrency: "cores" },
  ],
});
