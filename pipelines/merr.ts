import { definePipeline } from "../src/runtime/define.ts";
import {
  auAnalyze, auExtract, audioTone, coarse, extractAudio, features, fine, peakFrame, probe, sampleFrames, transcript, visualDescribe,
} from "../src/stages/index.ts";

/**
 * The MERR construction (Emotion-LLaMA, NeurIPS 2024), one flow per clip:
 *
 *   probe → sample-frames → au-extract → au-analyze → peak-frame → visual-describe ┐
 *   extract-audio → transcript → audio-tone ────────────────────────────────────────┴→ coarse → fine
 *
 * The visual and audio branches run in parallel. A flow is a tree, so two `after` edges order stages
 * that would otherwise both read one stage from parallel branches (see compilePipeline).
 */
export default definePipeline({
  name: "merr",
  description: "MERR: AU filter and peak frame, visual and audio clues, coarse caption, fine-grained reasoning",
  stages: [
    { stage: probe, attempts: 2, concurrency: 4 },
    { stage: sampleFrames, attempts: 2, concurrency: 2 },
    // Face analysis holds one WASM model per process and analyses one clip at a time.
    { stage: auExtract, attempts: 2, concurrency: 1, after: ["sample-frames"] },
    { stage: auAnalyze, attempts: 2, concurrency: 4 },
    { stage: peakFrame, attempts: 2, concurrency: 2 },
    { stage: extractAudio, attempts: 2, concurrency: 2 },
    { stage: transcript, attempts: 3, concurrency: 2 },
    { stage: audioTone, attempts: 3, concurrency: 2 },
    { stage: visualDescribe, attempts: 3, concurrency: 4 },
    { stage: coarse, attempts: 2, concurrency: 4 },
    { stage: fine, attempts: 3, concurrency: 4, after: ["coarse"] },
    // Trainer features (docs/features.md): last, so clips filtered out on the way cost no GPU time.
    { stage: features, attempts: 2, concurrency: 1, after: ["fine"] },
  ],
});
