import path from "node:path";
import { writeJsonAtomic } from "../../src/core/fs.ts";
import { sampleRecordPath, writeStageRecord, type SampleRecord, type StageRecord } from "../../src/core/records.ts";
import type { Sample } from "../../src/core/types.ts";
import { labelsOf, lipSyncOf } from "../../src/runtime/execute.ts";

/** A stage's result in a fake run: its output, or a skip/failure. */
export type FakeStage = { output: unknown } | { skip: { code: string; message: string } } | { error: { code: string; message: string } };

export interface FakeSample {
  id: string;
  sample?: Partial<Sample>;
  status?: SampleRecord["status"] | "running";
  reasons?: SampleRecord["reasons"];
  stages: Record<string, FakeStage>;
}

/** The spec's fine-grained example entry (merr-format.md), verbatim. */
export const SPEC_FINE_EXAMPLE = {
  name: "sample_00000047",
  frameCount: 22,
  valence: -0.61232674,
  entry: {
    AU_list: ["AU05", "AU26"],
    visual_prior_list: ["Eyes widened", "Wide-mouthed"],
    audio_prior_list: "speaks with a excited voice.",
    peak_index: "0",
    peak_AU_list: ["AU05", "AU07", "AU25", "AU26"],
    pseu_emotion: "surprise",
    text: "Oh my.",
    smp_reason_caption:
      "In the video, a woman's facial expressions, with eyes widened and mouth wide open, clearly show surprise. Her excited tone, as she exclaims, \"Oh my,\" amplifies this visual cue, indicating she is experiencing surprise.",
  },
} as const;

/** The paper's realised coarse caption. */
export const SPEC_COARSE_CAPTION =
  "The woman in the video is talking to a man, possibly discussing something important or sharing her thoughts and feelings. The woman's expression and actions include eyes widened and mouth wide open, and the woman in the video speaks with an excited voice. Saying: Oh my!";

/** Stage outputs of a complete sample in the shape the stages write them. */
export function completeStages(o: {
  label: string;
  fineLabel?: string;
  au?: string[];
  priors?: string[];
  peak?: number;
  peakAus?: string[];
  /** au-analyze's `label_aus` (absent: a record made before au-analyze wrote it). */
  labelAus?: Record<string, { aus: string[]; phrases: string[] }>;
  tone?: string;
  text?: string;
  caption?: string;
  reason?: string;
  valence?: number;
  frameCount?: number;
  wavPath?: string;
}): Record<string, FakeStage> {
  return {
    probe: { output: { durationS: 2.5, fps: 30, frameCount: 75, width: 480, height: 360, hasVideo: true, hasAudio: true, container: "flv" } },
    "extract-audio": { output: { wavPath: o.wavPath ?? "/tmp/none.wav", durationS: 2.5, sampleRate: 16000 } },
    "au-analyze": {
      output: {
        pseu_emotion: o.label,
        AU_list: o.au ?? ["AU06", "AU12"],
        visual_prior_list: o.priors ?? ["Cheek Raiser", "Big smile"],
        peak_index: o.peak ?? 3,
        peak_AU_list: o.peakAus ?? ["AU06", "AU12", "AU25"],
        frame_count: o.frameCount ?? 70,
        ...(o.labelAus ? { label_aus: o.labelAus } : {}),
      },
    },
    "audio-tone": { output: { description: o.tone ?? "speaks in a normal tone." } },
    transcript: { output: { text: o.text ?? "Don't forget a jacket.", source: "asr" } },
    coarse: { output: { caption: o.caption ?? `The man in the video is talking. Saying: ${o.text ?? "Don't forget a jacket."}` } },
    fine: {
      output: {
        label: o.fineLabel ?? o.label,
        smp_reason_caption: o.reason ?? `In the video, the man looks ${o.fineLabel ?? o.label}.`,
        confidence: 0.8,
        ...(o.valence !== undefined ? { valence: o.valence } : {}),
      },
    },
  };
}

/** Writes a fake run directory with real record files (the same writers the runtime uses). */
export async function writeFakeRun(runDir: string, samples: readonly FakeSample[]): Promise<void> {
  await writeJsonAtomic(path.join(runDir, "run.json"), { runId: "fake", pipeline: "merr" });
  for (const s of samples) {
    const statuses: Record<string, "done" | "skipped" | "failed"> = {};
    const records: Record<string, StageRecord> = {};
    for (const [stage, r] of Object.entries(s.stages)) {
      const status = "output" in r ? "done" : "skip" in r ? "skipped" : "failed";
      statuses[stage] = status;
      const rec: StageRecord = {
        stage,
        version: 1,
        status,
        ...("output" in r ? { output: r.output } : {}),
        ...("skip" in r ? { skip: r.skip } : {}),
        ...("error" in r ? { error: r.error } : {}),
        ...("options" in r ? { options: r.options } : {}),
        fingerprint: `fp-${stage}`,
        provenance: { tool: `${stage}-tool` },
        startedAt: "2025-01-01T00:00:00.000Z",
        finishedAt: "2025-01-01T00:00:01.000Z",
        durationMs: 1000,
        attempt: 1,
      };
      records[stage] = rec;
      await writeStageRecord(runDir, s.id, rec);
    }
    if (s.status === "running") continue;
    const sample: Sample = { id: s.id, path: `/clips/${s.id}.flv`, source: "folder", ...s.sample };
    const record: SampleRecord = {
      id: s.id,
      sample,
      status: s.status ?? "done",
      reasons: s.reasons ?? [],
      stages: statuses,
      labels: labelsOf(records),
      ...(lipSyncOf(records) ? { lipSync: lipSyncOf(records) } : {}),
      pipeline: "merr",
      finishedAt: "2025-01-01T00:00:02.000Z",
    };
    await writeJsonAtomic(sampleRecordPath(runDir, s.id), record);
  }
}
