import { definePipeline } from "../src/runtime/define.ts";
import {
  auAnalyze, auExtract, audioTone, coarse, extractAudio, features, fine, peakFrame, probe, sampleFrames, transcript, visualDescribe,
} from "../src/stages/index.ts";

/**
 * The MERR construction (Emotion-LLaMA, NeurIPS 2024) as a DAG per clip: a stage runs once every stage
 * it reads has a record. The edges are the stages' `needs` and `uses`:
 *
 *   probe → sample-frames, au-extract, peak-frame
 *   au-extract → au-analyze → peak-frame → visual-describe (which also reads au-extract, sample-frames)
 *   au-analyze ⇢ extract-audio → transcript → audio-tone (⇢: a gate, `after`: a clip the AU rules filter out
 *     gets no audio work, no speech recognition and no audio-model call; nothing of au-analyze is read)
 *   au-analyze ⇢ sample-frames (the same gate: only visual-describe and features read the sampled frames,
 *     and both run for kept clips only)
 *   audio-tone reads extract-audio, transcript and au-extract (the lip check: do the face's lips open for the
 *     voice's syllables?)
 *   coarse reads visual-describe, au-analyze, transcript, audio-tone (and whether extract-audio found sound)
 *   fine reads au-analyze, visual-describe, au-extract, transcript, audio-tone (not coarse: it runs beside it)
 *   features reads extract-audio, au-extract (trainer vectors; docs/features.md); au-analyze ⇢ features (the
 *     gate: a clip the AU rules filter out costs no GPU time)
 */
export default definePipeline({
  name: "merr",
  description: "MERR: AU filter and peak frame, visual and audio clues, coarse caption, fine-grained reasoning",
  stages: [
    // "cores": stages whose work is an ffmpeg or pocketsphinx process run one job per CPU core of the process.
    { stage: probe, attempts: 2, concurrency: "cores" },
    { stage: sampleFrames, attempts: 2, concurrency: "cores", after: [auAnalyze] },
    // Face analysis holds one WASM model per process and analyses one clip at a time.
    { stage: auExtract, attempts: 2, concurrency: 1 },
    { stage: auAnalyze, attempts: 2, concurrency: 4 },
    { stage: peakFrame, attempts: 2, concurrency: "cores" },
    { stage: extractAudio, attempts: 2, concurrency: "cores", after: [auAnalyze] },
    { stage: transcript, attempts: 3, concurrency: "cores", after: [auAnalyze] },
    { stage: audioTone, attempts: 3, concurrency: 2 },
    { stage: visualDescribe, attempts: 3, concurrency: 4 },
    { stage: coarse, attempts: 2, concurrency: 4 },
    { stage: fine, attempts: 3, concurrency: 4 },
    // Trainer features (docs/features.md): after au-analyze, so clips the AU rules filter out cost no GPU time.
    { stage: features, attempts: 2, concurrency: 1, after: [auAnalyze] },
  ],
});
