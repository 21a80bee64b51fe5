/**
 * Export benchmark: a synthetic run of N samples (default 30,000; 8 stage records + sample.json each, as
 * `merr build` leaves them) is exported to merr + emotion-llama (videos off) + sharegpt + jsonl + csv,
 * in a child process so its peak RSS is the export's own. Budget: < 10 s and < 500 MB.
 *
 *     node --import tsx bench/export.ts [samples] [--keep] [--run DIR]   (--run: reuse a generated run)
 */
import { execFileSync } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runExport } from "../src/export/index.ts";
import { withSyntheticRun } from "./_synthetic-run.ts";

const self = fileURLToPath(import.meta.url);

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
  await withSyntheticRun("export", n, false, async (runDir, root) => {
    await rm(path.join(root, "out"), { recursive: true, force: true });
    const out = execFileSync(process.execPath, ["--import", "tsx", self, "--measure", runDir, path.join(root, "out")], { encoding: "utf8" });
    const r = JSON.parse(out.trim().split("\n").pop()!) as { samples: number; coarse: number; fine: number; ms: number; peakRssMb: number };
    const ok = r.ms < 10_000 && r.peakRssMb < 500;
    process.stdout.write(
      `export of ${r.samples} samples (coarse ${r.coarse}, fine ${r.fine}; merr + emotion-llama + sharegpt + jsonl + csv): ` +
        `${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMb} MB -> ${ok ? "within" : "OVER"} budget (10 s, 500 MB)\n`,
    );
    if (!ok) process.exitCode = 1;
  });
}

await main();
