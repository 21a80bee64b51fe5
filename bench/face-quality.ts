/**
 * Built-in face analyzer quality on the six CREMA-D sample clips (one actor, six acted emotions):
 * per-clip AU means, and whether each FACS direction holds against the neutral clip.
 * Run: node --import tsx bench/face-quality.ts
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createBuiltinExtractor, createFaceAnalyzer } from "../src/adapters/face/builtin/index.ts";
import { AU_INTENSITY } from "../src/adapters/face/types.ts";
import { projectPath } from "../src/core/paths.ts";

const CLIPS = { neutral: "NEU", happy: "HAP", sad: "SAD", angry: "ANG", disgust: "DIS", fear: "FEA" } as const;
type Emotion = keyof typeof CLIPS;

/** FACS prototype directions checked against the neutral clip. */
const EXPECT: Record<Exclude<Emotion, "neutral">, string[]> = {
  happy: ["AU06", "AU12"],
  sad: ["AU01", "AU04", "AU15"],
  angry: ["AU04", "AU07", "AU23"],
  disgust: ["AU09", "AU10"],
  fear: ["AU01", "AU02", "AU05", "AU20"],
};

function auMeans(csv: string): Record<string, number> {
  const [head, ...lines] = readFileSync(csv, "utf8").trim().split("\n");
  const header = (head ?? "").split(",");
  const rows = lines.map((l) => l.split(",").map(Number)).filter((r) => r[header.indexOf("success")] === 1);
  return Object.fromEntries(AU_INTENSITY.map((au) => {
    const i = header.indexOf(`${au}_r`);
    return [au, rows.reduce((s, r) => s + (r[i] ?? 0), 0) / Math.max(1, rows.length)];
  }));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-faceq-"));
  try {
    const analyzer = await createFaceAnalyzer();
    const extractor = createBuiltinExtractor({ analyzer: async () => analyzer });
    const means = {} as Record<Emotion, Record<string, number>>;
    const expr = {} as Record<Emotion, string>;
    for (const [emotion, code] of Object.entries(CLIPS) as Array<[Emotion, string]>) {
      const csvPath = path.join(dir, `${code}.csv`);
      const sidecarPath = path.join(dir, `${code}.json`);
      await extractor.extract(projectPath(`data/sample/1001_DFA_${code}_XX.flv`), { csvPath, sidecarPath, signal: new AbortController().signal });
      means[emotion] = auMeans(csvPath);
      const side = JSON.parse(readFileSync(sidecarPath, "utf8")) as { expressionMean: Record<string, number> | null };
      const top = Object.entries(side.expressionMean ?? {}).sort((a, b) => b[1] - a[1])[0];
      expr[emotion] = top ? `${top[0]} ${top[1].toFixed(2)}` : "-";
    }
    const out: string[] = [];
    out.push(`AU means per clip (0..5)\n${"clip".padEnd(9)}${AU_INTENSITY.map((a) => a.padStart(6)).join("")}   top expression`);
    for (const e of Object.keys(CLIPS) as Emotion[]) {
      out.push(`${e.padEnd(9)}${AU_INTENSITY.map((a) => (means[e][a] ?? 0).toFixed(2).padStart(6)).join("")}   ${expr[e]}`);
    }
    out.push("\nFACS directions vs the neutral clip");
    let hold = 0;
    let total = 0;
    for (const [e, aus] of Object.entries(EXPECT) as Array<[Exclude<Emotion, "neutral">, string[]]>) {
      for (const au of aus) {
        const v = means[e][au] ?? 0;
        const n = means.neutral[au] ?? 0;
        const ok = v > n;
        total++;
        if (ok) hold++;
        out.push(`${e.padEnd(8)} ${au}  ${v.toFixed(2)} vs neutral ${n.toFixed(2)}  ${ok ? "holds" : "MISS"}`);
      }
    }
    out.push(`\n${hold}/${total} directions hold`);
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
