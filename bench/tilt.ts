/**
 * Head tilt benchmark: how the face mesh's brow and cheek measures move when the whole picture is turned,
 * with the default analysis and with `au-extract.upright` (docs/face-analyzer.md, "Tilted heads").
 *
 *   node --import tsx bench/tilt.ts
 *
 * The neutral and angry sample clips are turned by -25 to 25 degrees (ffmpeg `rotate`, black corners)
 * and, as a control for what any resampling does, shifted by 3 and 7 px and scaled by 0.94 to 1.06. Per
 * version: the clip's median of each measure (face units) and of AU04's activation (au-estimate.ts), and
 * the span (highest minus lowest) over the tilts and over the controls. Turning the face's own picture
 * is a rigid motion of the image: a measure that did not move with the face would not move here.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { activation, AU_DEFINITIONS, NEUTRAL_NORMS } from "../src/adapters/face/builtin/au-estimate.ts";
import { createFaceAnalyzer } from "../src/adapters/face/builtin/index.ts";
import { measureClip } from "../src/adapters/face/builtin/extractor.ts";
import type { FaceMeasures } from "../src/adapters/face/builtin/geometry.ts";
import { runTool } from "../src/adapters/tools/run-tool.ts";
import { projectPath } from "../src/core/paths.ts";

const ANGLES = [-25, -15, -8, -4, 0, 4, 8, 15, 25];
const CONTROLS: Array<[string, string]> = [
  ["shift 3 px", "crop=474:360:0:0,pad=480:360:6:0"],
  ["shift 7 px", "crop=466:360:0:0,pad=480:360:14:0"],
  ["scale 0.94", "scale=452:338,pad=480:360:14:11"],
  ["scale 0.97", "scale=466:350,pad=480:360:7:5"],
  ["scale 1.03", "scale=494:370,crop=480:360"],
  ["scale 1.06", "scale=508:382,crop=480:360"],
];
const KEYS = ["browInnerHeight", "browOuterHeight", "browGap", "cheekDrop"] as const;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-tilt-"));
  const analyzer = await createFaceAnalyzer();
  const out: string[] = [];
  try {
    for (const code of ["NEU", "ANG"]) {
      const clip = projectPath(`data/sample/1001_DFA_${code}_XX.flv`);
      const variants: Array<[string, string, boolean]> = [
        ...ANGLES.map((a): [string, string, boolean] => [`tilt ${a}`, `rotate=${a}*PI/180:fillcolor=black`, true]),
        ...CONTROLS.map(([n, vf]): [string, string, boolean] => [n, vf, false]),
      ];
      const videos = new Map<string, string>();
      for (const [i, [name, vf]] of variants.entries()) {
        const video = path.join(dir, `${code}-${i}.mp4`);
        await runTool("ffmpeg", ["-v", "error", "-y", "-i", clip, "-an", "-vf", vf, "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", video]);
        videos.set(name, video);
      }
      for (const upright of [false, true]) {
        out.push(`## ${code}, ${upright ? "au-extract.upright" : "default"}`);
        out.push(`${"variant".padEnd(12)}${KEYS.map((k) => k.padStart(17)).join("")}${"AU04 activation".padStart(17)}`);
        const spans = { tilt: [] as number[][], control: [] as number[][] };
        for (const [name, , tilt] of variants) {
          const frames = (await measureClip(videos.get(name)!, { analyzer, upright })).filter((m): m is FaceMeasures => m !== undefined);
          const row = [...KEYS.map((k) => median(frames.map((m) => m[k]))), median(frames.map((m) => activation(AU_DEFINITIONS.AU04, m, NEUTRAL_NORMS)))];
          (tilt ? spans.tilt : spans.control).push(row);
          out.push(`${name.padEnd(12)}${row.map((v) => v.toFixed(4).padStart(17)).join("")}`);
        }
        for (const [what, rows] of Object.entries(spans)) {
          const span = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!)) - Math.min(...rows.map((r) => r[i]!)));
          out.push(`${`span, ${what}`.padEnd(12)}${span.map((v) => v.toFixed(4).padStart(17)).join("")}`);
        }
        out.push("");
      }
    }
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
