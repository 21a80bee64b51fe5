/**
 * Export benchmark: a synthetic run of N samples (default 30,000; 8 stage records + sample.json each, as
 * `merr build` leaves them) is exported to merr + emotion-llama (videos off) + sharegpt + jsonl + csv,
 * in a child process so its peak RSS is the export's own. Budget: < 10 s and < 500 MB.
 *
 *     node --import tsx bench/export.ts [samples] [--keep] [--run DIR]   (--run: reuse a generated run)
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MERR_LABELS } from "../src/core/labels.ts";
import { runExport } from "../src/export/index.ts";
import { mapLimit } from "../src/export/videos.ts";

const self = fileURLToPath(import.meta.url);

function stageRecord(stage: string, output: unknown): string {
  return JSON.stringify({
    stage, version: 1, status: "done", output, fingerprint: `fp-${stage}`, provenance: { tool: stage, model: "builtin" },
    startedAt: "2025-01-01T00:00:00.000Z", finishedAt: "2025-01-01T00:00:01.000Z", durationMs: 1000, attempt: 1,
  });
}

async function generate(runDir: string, n: number): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFile(path.join(runDir, "run.json"), JSON.stringify({ runId: "bench" }));
  const ids = Array.from({ length: n }, (_, i) => `sample_${String(i).padStart(8, "0")}`);
  await mapLimit(ids, 64, async (id, i) => {
    const dir = path.join(runDir, "samples", id);
    await mkdir(path.join(dir, "stages"), { recursive: true });
    const label = MERR_LABELS[i % MERR_LABELS.length]!;
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
      fine: { label, smp_reason_caption: `In the video, the person smiles broadly while saying "${text}", which suggests the person feels ${label}.`, confidence: 0.7 },
      finalize: { label },
    };
    for (const [stage, output] of Object.entries(stages)) await writeFile(path.join(dir, "stages", `${stage}.json`), stageRecord(stage, output));
    await writeFile(path.join(dir, "sample.json"), JSON.stringify({
      id, sample: { id, path: `/clips/${id}.flv`, source: "bench" }, status: "done", reasons: [],
      stages: Object.fromEntries(Object.keys(stages).map((s) => [s, "done"])), pipeline: "merr", finishedAt: "2025-01-01T00:00:02.000Z",
    }));
  });
}

async function measure(runDir: string, outDir: string): Promise<void> {
  const t0 = performance.now();
  const report = await runExport({
    runDir, outDir, formats: ["merr", "emotion-llama", "sharegpt", "jsonl", "csv"], videos: "none",
    neutral: { coarse: { kind: "fraction", p: 0.2 } },
  });
  const ms = performance.now() - t0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ samples: report.samples, coarse: report.coarse, fine: report.fine, ms: Math.round(ms), peakRssMb: Math.round(rssMb) })}\n`);
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === "--measure") return measure(a!, b!);
  const n = Number(mode ?? 30_000) || 30_000;
  const reuse = process.argv.includes("--run") ? process.argv[process.argv.indexOf("--run") + 1] : undefined;
  const keep = process.argv.includes("--keep") || reuse !== undefined;
  const root = reuse ? path.dirname(path.resolve(reuse)) : await mkdtemp(path.join(os.tmpdir(), "merr-bench-export-"));
  const runDir = reuse ? path.resolve(reuse) : path.join(root, "run");
  try {
    if (!reuse) {
      const g0 = performance.now();
      await generate(runDir, n);
      process.stdout.write(`generated ${n} samples (${n * 9} record files) in ${((performance.now() - g0) / 1000).toFixed(1)} s\n`);
    }
    await rm(path.join(root, "out"), { recursive: true, force: true });
    const out = execFileSync(process.execPath, ["--import", "tsx", self, "--measure", runDir, path.join(root, "out")], { encoding: "utf8" });
    const r = JSON.parse(out.trim().split("\n").pop()!) as { samples: number; coarse: number; fine: number; ms: number; peakRssMb: number };
    const ok = r.ms < 10_000 && r.peakRssMb < 500;
    process.stdout.write(
      `export of ${r.samples} samples (coarse ${r.coarse}, fine ${r.fine}; merr + emotion-llama + sharegpt + jsonl + csv): ` +
        `${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMb} MB -> ${ok ? "within" : "OVER"} budget (10 s, 500 MB)\n`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    if (!keep) await rm(root, { recursive: true, force: true });
    else process.stdout.write(`kept ${root}\n`);
  }
}

await main();
