import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MERR_LABELS } from "../src/core/labels.ts";
import { mapLimit } from "../src/export/videos.ts";

function stageRecord(stage: string, output: unknown): string {
  return JSON.stringify({
    stage, version: 1, status: "done", output, fingerprint: `fp-${stage}`, provenance: { tool: stage, model: "builtin" },
    startedAt: "2025-01-01T00:00:00.000Z", finishedAt: "2025-01-01T00:00:01.000Z", durationMs: 1000, attempt: 1,
  });
}

/**
 * Writes a synthetic run of `n` samples as `merr build` leaves them: 8 stage records and sample.json
 * each. Every sample is done, with the nine labels in turn; `mixed` makes every 7th sample filtered at
 * fine (with its reason), gives each a ground-truth label and varies the fine confidence, as the
 * viewer's facets need.
 */
export async function generateSyntheticRun(runDir: string, n: number, mixed = false): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFile(path.join(runDir, "run.json"), JSON.stringify({ runId: "bench" }));
  const ids = Array.from({ length: n }, (_, i) => `sample_${String(i).padStart(8, "0")}`);
  await mapLimit(ids, 64, async (id, i) => {
    const dir = path.join(runDir, "samples", id);
    await mkdir(path.join(dir, "stages"), { recursive: true });
    const label = MERR_LABELS[i % MERR_LABELS.length]!;
    const filtered = mixed && i % 7 === 3;
    const truth = MERR_LABELS[(i * 5 + (i % 4 === 0 ? 0 : 1)) % MERR_LABELS.length]!;
    const text = `Synthetic sentence number ${i}, said with some feeling.`;
    const stages: Record<string, unknown> = {
      probe: { durationS: 3.2, fps: 30, frameCount: 96, width: 480, height: 360, hasVideo: true, hasAudio: true, container: "flv" },
      "extract-audio": { wavPath: `${dir}/audio.wav`, durationS: 3.2, sampleRate: 16000 },
      "au-analyze": {
        pseu_emotion: label, AU_list: ["AU06", "AU12"], visual_prior_list: ["Cheek Raiser", "Big smile"], peak_index: i % 90,
        peak_AU_list: ["AU06", "AU12", "AU25"], frame_count: 90,
      },
      "audio-tone": { description: "speaks in a normal tone." },
      transcript: { text, source: "asr" },
      coarse: { caption: `The person in the video is talking. The person's expression and actions include a big smile, and the person's tone is normal. Saying: ${text}` },
      fine: { label, smp_reason_caption: `In the video, the person smiles broadly while saying "${text}", which suggests the person feels ${label}.`, confidence: mixed ? (i % 97) / 97 : 0.7 },
      finalize: { label },
    };
    if (filtered) {
      delete stages.fine;
      delete stages.finalize;
    }
    for (const [stage, output] of Object.entries(stages)) await writeFile(path.join(dir, "stages", `${stage}.json`), stageRecord(stage, output));
    await writeFile(path.join(dir, "sample.json"), JSON.stringify({
      id, sample: { id, path: `/clips/${id}.flv`, source: "bench", ...(mixed ? { label: truth } : {}) },
      status: filtered ? "filtered" : "done",
      labels: filtered ? { pseudo: label } : { pseudo: label, final: label },
      reasons: filtered ? [{ stage: "fine", code: "filtered-out", message: `no clue supports the label ${label}` }] : [],
      stages: Object.fromEntries(Object.keys(stages).map((s) => [s, "done"])), pipeline: "merr", finishedAt: "2025-01-01T00:00:02.000Z",
    }));
  });
}

/**
 * The run folder a benchmark measures, from its command line: `--run DIR` reuses an existing synthetic run
 * (kept), otherwise one of `n` samples is generated in a temp folder, removed after `measure` unless
 * `--keep` is given.
 */
export async function withSyntheticRun(name: string, n: number, mixed: boolean, measure: (runDir: string, root: string) => Promise<void>): Promise<void> {
  const reuse = process.argv.includes("--run") ? process.argv[process.argv.indexOf("--run") + 1] : undefined;
  const keep = process.argv.includes("--keep") || reuse !== undefined;
  const root = reuse ? path.dirname(path.resolve(reuse)) : await mkdtemp(path.join(os.tmpdir(), `merr-bench-${name}-`));
  const runDir = reuse ? path.resolve(reuse) : path.join(root, "run");
  try {
    if (!reuse) {
      const g0 = performance.now();
      await generateSyntheticRun(runDir, n, mixed);
      process.stdout.write(`generated ${n} samples (${n * 9} record files) in ${((performance.now() - g0) / 1000).toFixed(1)} s\n`);
    }
    await measure(runDir, root);
  } finally {
    if (!keep) await rm(root, { recursive: true, force: true });
    else process.stdout.write(`kept ${root}\n`);
  }
}
