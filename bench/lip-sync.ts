/**
 * Lip check benchmark: do the followed face's lips open for the voice's syllables (audio-tone's `lipSync`,
 * src/core/lip-sync.ts)? Every condition is built from the six sample clips, each clip's own face:
 *
 *   node --import tsx bench/lip-sync.ts
 *
 * - own voice: the clip as it is (the actor speaks);
 * - speech only: the clip cut to its voiced speech (40 ms margins), so the face talks all clip long and the
 *   AUs' per-clip zero point sits mid-speech;
 * - frozen picture: the clip's frame at 1 s held for the clip's length, with its voice (a face that does
 *   not move while a voice speaks);
 * - voice 1 s later: the clip's face with its voice delayed by 1 s (the voice goes on after the face has
 *   stopped talking, as when a second speaker answers);
 * - another take's voice: the face with the voice of each of the five other clips (the same actor saying
 *   the same sentence with another emotion: lips that move with speech of the same rhythm).
 *
 * Then each clip with its own voice, its face analysed at 15, 10 and 5 frames a second and at the adaptive
 * rate (rows away from the candidate peaks at 10 a second): sparse rows must leave syllables unseen, never
 * read a talking face as still.
 *
 * Then each clip, talking with its own voice and as a frozen picture with it, under the footage conditions of
 * bench:face-quality (bench/_footage.ts): degraded footage must not turn a talking face still, nor a frozen
 * one moving.
 *
 * It also prints, for the OpenFace fixture of a talking face (no audio), the share of syllable-spaced
 * instants (every 0.25 s) around which max(AU25, AU26) rises by `openStep`: why the check reads the built-in
 * analyzer's CSVs only.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { analyzeProsody, decodeToPcm } from "../src/adapters/audio/index.ts";
import { createBuiltinExtractor, createFaceAnalyzer } from "../src/adapters/face/builtin/index.ts";
import { runTool } from "../src/adapters/tools/run-tool.ts";
import { judgeLipSync, LIP_SYNC, lipOpening, syllableOpenings, type LipSync } from "../src/core/lip-sync.ts";
import { parseOpenFaceCsv, type AuTable } from "../src/core/openface-csv.ts";
import { projectPath } from "../src/core/paths.ts";
import { FOOTAGE_CONDITIONS } from "./_footage.ts";

const CODES = ["NEU", "HAP", "SAD", "ANG", "DIS", "FEA"] as const;
type Code = (typeof CODES)[number];
const RATE = 16000;

const fmt = (l: LipSync): string => `${l.verdict} ${l.opened}/${l.seen}`;

/** Each voice's prosody tracks, analysed once (a voice is checked against many faces). */
const tracksOf = new WeakMap<Float32Array, ReturnType<typeof analyzeProsody>["tracks"]>();
function prosodyTracks(samples: Float32Array): ReturnType<typeof analyzeProsody>["tracks"] {
  let tracks = tracksOf.get(samples);
  if (!tracks) tracksOf.set(samples, (tracks = analyzeProsody(samples, { sampleRate: RATE }).tracks));
  return tracks;
}

function check(table: AuTable, samples: Float32Array): { lips: LipSync; openings: (number | undefined)[] } {
  const nuclei = prosodyTracks(samples).nucleiS;
  const openings = syllableOpenings(nuclei, lipOpening(table));
  return { lips: judgeLipSync(openings), openings };
}

function voicedSpan(samples: Float32Array): [number, number] {
  const { f0Hz, hopS } = prosodyTracks(samples);
  const first = f0Hz.findIndex((f) => f !== null);
  let last = f0Hz.length - 1;
  while (last > 0 && f0Hz[last] === null) last--;
  return [Math.max(0, first * hopS - 0.04), (last + 1) * hopS + 0.04];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-lips-"));
  const analyzer = await createFaceAnalyzer();
  const extractor = createBuiltinExtractor({ analyzer: async () => analyzer });
  const signal = new AbortController().signal;
  const out: string[] = [];
  const tables = {} as Record<Code, AuTable>;
  const voices = {} as Record<Code, Float32Array>;
  const extract = async (video: string, name: string): Promise<AuTable> => {
    const csvPath = path.join(dir, `${name}.csv`);
    await extractor.extract(video, { csvPath, sidecarPath: path.join(dir, `${name}.json`), signal });
    return parseOpenFaceCsv(await readFile(csvPath, "utf8"), { file: csvPath });
  };
  const ffmpeg = (args: string[]): Promise<unknown> => runTool("ffmpeg", ["-v", "error", "-nostdin", "-y", ...args]);
  try {
    const rows: string[][] = [];
    const verdicts: Record<string, LipSync[]> = {};
    const add = (condition: string, lips: LipSync): void => {
      (verdicts[condition] ??= []).push(lips);
    };
    const rises: Record<string, number[]> = { "own voice": [], "frozen picture": [] };
    for (const code of CODES) {
      const clip = projectPath(`data/sample/1001_DFA_${code}_XX.flv`);
      tables[code] = await extract(clip, code);
      voices[code] = (await decodeToPcm(clip)).samples;
      const own = check(tables[code], voices[code]);
      rises["own voice"]!.push(...own.openings.filter((o): o is number => o !== undefined));
      add("own voice", own.lips);

      const [from, to] = voicedSpan(voices[code]);
      const cutVideo = path.join(dir, `${code}-speech.mkv`);
      await ffmpeg(["-ss", from.toFixed(3), "-to", to.toFixed(3), "-i", clip, "-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", cutVideo]);
      const speechOnly = check(await extract(cutVideo, `${code}-speech`), (await decodeToPcm(cutVideo)).samples);
      add("speech only", speechOnly.lips);

      const frozen = path.join(dir, `${code}-frozen.mp4`);
      await ffmpeg(["-ss", "1.0", "-i", clip, "-frames:v", "1", path.join(dir, `${code}-frame.png`)]);
      const seconds = (voices[code].length / RATE).toFixed(3);
      await ffmpeg(["-loop", "1", "-framerate", "30", "-t", seconds, "-i", path.join(dir, `${code}-frame.png`), "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", frozen]);
      const still = check(await extract(frozen, `${code}-frozen`), voices[code]);
      rises["frozen picture"]!.push(...still.openings.filter((o): o is number => o !== undefined));
      add("frozen picture", still.lips);

      const later = new Float32Array(voices[code].length + RATE);
      later.set(voices[code], RATE);
      const delayed = check(tables[code], later);
      add("voice 1 s later", delayed.lips);
      rows.push([code, fmt(own.lips), fmt(speechOnly.lips), fmt(still.lips), fmt(delayed.lips)]);
    }
    for (const face of CODES) for (const voice of CODES) if (face !== voice) add("another take's voice", check(tables[face], voices[voice]).lips);

    const rates: Array<[string, { fps?: number; rate?: "adaptive" }]> = [["15 fps", { fps: 15 }], ["10 fps", { fps: 10 }], ["5 fps", { fps: 5 }], ["adaptive", { rate: "adaptive" }]];
    const rateRows: string[] = [];
    for (const [name, mode] of rates) {
      const cells: string[] = [];
      for (const code of CODES) {
        const csvPath = path.join(dir, `${code}-rate.csv`);
        await extractor.extract(projectPath(`data/sample/1001_DFA_${code}_XX.flv`), { csvPath, sidecarPath: path.join(dir, `${code}-rate.json`), signal, ...mode });
        const lips = check(parseOpenFaceCsv(await readFile(csvPath, "utf8"), { file: csvPath }), voices[code]).lips;
        add(`own voice, ${name}`, lips);
        cells.push(fmt(lips));
      }
      rateRows.push(`${name.padEnd(10)}${cells.map((c) => c.padEnd(15)).join("")}`);
    }

    out.push("## Lip check on the six sample clips (verdict opened/seen syllables)");
    out.push(`constants: opening window ${-LIP_SYNC.leadS}..+${LIP_SYNC.lagS} s around each syllable nucleus, reference +-${LIP_SYNC.spanS} s, open step ${LIP_SYNC.openStep}, still needs >= ${LIP_SYNC.minSyllables} syllables seen`);
    out.push(`${"clip".padEnd(6)}${["own voice", "speech only", "frozen picture", "voice 1 s later"].map((h) => h.padEnd(18)).join("")}`);
    for (const r of rows) out.push(`${r[0]!.padEnd(6)}${r.slice(1).map((c) => c.padEnd(18)).join("")}`);
    out.push("");
    out.push("own voice, the face analysed at lower rates");
    out.push(`${"rows".padEnd(10)}${CODES.map((c) => c.padEnd(15)).join("")}`);
    out.push(...rateRows);
    out.push("");
    out.push("under footage conditions: each clip talking with its own voice / as a frozen picture with it");
    for (const [ci, [name, args]] of FOOTAGE_CONDITIONS.entries()) {
      const cells: string[] = [];
      for (const code of CODES) {
        const pair: string[] = [];
        for (const [kind, source] of [["talking", projectPath(`data/sample/1001_DFA_${code}_XX.flv`)], ["frozen", path.join(dir, `${code}-frozen.mp4`)]] as const) {
          const video = path.join(dir, `${code}-f${ci}-${kind}.mp4`);
          await ffmpeg(["-i", source, "-an", "-c:v", "libx264", ...args, "-pix_fmt", "yuv420p", video]);
          const lips = check(await extract(video, `${code}-f${ci}-${kind}`), voices[code]).lips;
          add(`footage, ${kind}`, lips);
          pair.push(fmt(lips));
        }
        cells.push(`${code} ${pair.join(" / ")}`);
      }
      out.push(`  ${name}`);
      out.push(`    ${cells.join("  ")}`);
    }
    out.push("");
    out.push("verdicts per condition");
    for (const [condition, list] of Object.entries(verdicts)) {
      const counts = new Map<string, number>();
      for (const l of list) counts.set(l.verdict, (counts.get(l.verdict) ?? 0) + 1);
      out.push(`  ${condition.padEnd(22)} ${[...counts].map(([v, n]) => `${v} ${n}`).join(", ")} (of ${list.length})`);
    }
    const q = (xs: number[], p: number): string => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length ? s[Math.round(p * (s.length - 1))]!.toFixed(2) : "-";
    };
    out.push("");
    out.push("opening at each syllable seen (max(AU25, AU26) rise): min / median / max");
    for (const [condition, xs] of Object.entries(rises)) out.push(`  ${condition.padEnd(22)} ${q(xs, 0)} / ${q(xs, 0.5)} / ${q(xs, 1)} (${xs.length} syllables)`);

    // OpenFace's AU regressors on a talking face, without its audio: instants every 0.25 s stand in for syllables.
    const fixture = projectPath("test/fixtures/openface/mer-factory-notebook-default.csv");
    {
      const text = readFileSync(fixture, "utf8");
      const table = parseOpenFaceCsv(text, { file: fixture });
      const t = table.timestamp;
      const instants: number[] = [];
      for (let s = t[0]! + 0.4; s < t[t.length - 1]! - 0.4; s += 0.25) instants.push(s);
      const openings = syllableOpenings(instants, lipOpening(table)).filter((o): o is number => o !== undefined);
      const share = openings.filter((o) => o >= LIP_SYNC.openStep).length / Math.max(1, openings.length);
      out.push("", "## OpenFace fixture of a talking face (MER-Factory notebook run, 15 s at 15 fps, no audio)");
      out.push(`instants every 0.25 s with a rise >= ${LIP_SYNC.openStep}: ${share.toFixed(2)} of ${openings.length}; rise min / median / max ${q(openings, 0)} / ${q(openings, 0.5)} / ${q(openings, 1)}`);
    }
    console.log(out.join("\n"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
