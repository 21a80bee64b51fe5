import type { ProgressSnapshot } from "../../src/runtime/progress.ts";

/** The stages of the merr pipeline, in order: the progress line has to show all of them. */
export const MERR_STAGE_NAMES = [
  "probe", "extract-audio", "sample-frames", "au-extract", "au-analyze", "peak-frame",
  "transcript", "visual-describe", "audio-tone", "coarse", "fine",
] as const;

/**
 * A progress snapshot of a 73,000-clip run with `finished` samples done: early stages ahead of later
 * ones, some skips and failures, an hour and a half elapsed.
 */
export function progressFrame(finished: number, stages: readonly string[] = MERR_STAGE_NAMES): ProgressSnapshot {
  const total = 73_000;
  return {
    total,
    finished,
    elapsedMs: 5_400_000,
    stages: stages.map((name, i) => {
      const n = Math.min(total, finished + Math.round((total - finished) * Math.max(0, 0.9 - i * 0.1)));
      return { name, done: n - Math.floor(n / 50), filtered: 0, skipped: Math.floor(n / 50), failed: i === 7 ? 12 : 0, reused: 0 };
    }),
  };
}
