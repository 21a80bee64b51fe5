/**
 * Built-in face analyzer speed: frames/s on one core and peak RSS at 480x360 and 640x480, on the
 * CREMA-D happy clip scaled with ffmpeg into a temp folder.
 * Run: node --import tsx bench/face.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createBuiltinExtractor, createFaceAnalyzer } from "../src/adapters/face/builtin/index.ts";
import { projectPath } from "../src/core/paths.ts";

const sizes = [
  [480, 360],
  [640, 480],
] as const;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-face-"));
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  try {
    const t0 = performance.now();
    const analyzer = await createFaceAnalyzer();
    const loadMs = performance.now() - t0;
    const extractor = createBuiltinExtractor({ analyzer: async () => analyzer });
    const src = projectPath("data/sample/1001_DFA_HAP_XX.flv");
    // Warm-up (kernel compilation) on a few frames.
    const lines = [`model load: ${loadMs.toFixed(0)} ms`];
    for (const [w, h] of sizes) {
      const clip = path.join(dir, `clip-${w}x${h}.mp4`);
      execFileSync("ffmpeg", ["-v", "error", "-y", "-i", src, "-vf", `scale=${w}:${h}`, "-an", "-c:v", "libx264", "-preset", "veryfast", clip]);
      await extractor.extract(clip, { csvPath: path.join(dir, "warm.csv"), sidecarPath: path.join(dir, "warm.json"), fps: 5, signal: new AbortController().signal });
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      const r = await extractor.extract(clip, { csvPath: path.join(dir, `${w}.csv`), sidecarPath: path.join(dir, `${w}.json`), signal: new AbortController().signal });
      const wall = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      lines.push(`${w}x${h}: ${r.frames} frames (${r.framesWithFace} with a face) in ${wall.toFixed(2)} s wall = ${(r.frames / wall).toFixed(1)} frames/s; ` +
        `${(r.frames / cpuS).toFixed(1)} frames per CPU-second of this process (ffmpeg decoding runs in its own process)`);
    }
    lines.push(`peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
