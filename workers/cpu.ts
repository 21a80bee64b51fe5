import { defineWorkerProfile } from "../src/runtime/define.ts";

/** Media decoding and face analysis: CPU-bound stages. */
export default defineWorkerProfile({
  name: "cpu",
  description: "media and face stages (ffmpeg, face analysis, AU rules) and sample finalisation",
  stages: ["probe", "extract-audio", "sample-frames", "au-extract", "au-analyze", "peak-frame", "coarse", "finalize"],
});
