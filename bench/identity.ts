/**
 * Identity grouping of the built-in face analyzer (subject.ts): from which descriptor similarity are two
 * face tracks of one clip the same person? Two errors are possible:
 * - a split: the speaker's shots on either side of a reverse shot stay apart, and the frames of all but
 *   his longest shot become success=0 rows (lost coverage, never a wrong face);
 * - a merge: two people become one "subject", and one clip's AUs, zero points and peak mix two faces.
 *
 * Data (nothing here is downloaded):
 * - strangers: the face sheet of Human's own face-match demo (assets/screenshot-facematch.jpg in the
 *   @vladmandic/human package): 6 rows of 18 faces of about 100 px, party photos. Labels by eye, below:
 *   the man of the first row's first 11 tiles (the demo's selected face and its best matches, in several
 *   photos) against 28 other men. The sheet is sorted by similarity to him, so these are the most similar
 *   strangers of about 100 faces: the hard case. Also 10 men against 33 women (Human's sex estimate at
 *   0.8 or more, checked by eye), the easy case.
 * - the same person within a clip: the six sample clips (one actor), a descriptor every 6th frame, taken
 *   on the clip as it is, shrunk to a 50 px face in a 960x540 frame (a wide shot of the same scene) and
 *   mirrored.
 * Per threshold it reports the share of same-person pairs that would split and of stranger pairs that
 * would merge, with one descriptor per track and with three (the mean of the 3 x 3 similarities, as
 * subject.ts groups tracks; a stranger has one photo, so there the mean is over 3 x 1).
 * Hold-out: the threshold is chosen on the clips NEU, HAP, SAD and the strangers of rows 1-2 of the sheet
 * (the lowest total of splits and merges, three descriptors); ANG, DIS, FEA and the strangers of rows 3-6
 * check it.
 * Cuts (shots.ts): a shot / reverse shot between two faces of the sheet, each filling the frame with its
 * own photo's background, and as 200 px faces before one grey background; the frame's score and the face
 * box's score at the cut. And the face box's score on the sample clips, which have no cut, also panning.
 * Run: node --import tsx bench/identity.ts
 */
import { createFaceAnalyzer, type FaceAnalyzer } from "../src/adapters/face/builtin/index.ts";
import { humanPaths } from "../src/adapters/face/builtin/human.ts";
import { MIN_SAME_PERSON_SIMILARITY } from "../src/adapters/face/builtin/subject.ts";
import { CUT_THRESHOLD, FaceCuts, lumaGrid, ShotCuts } from "../src/adapters/face/builtin/shots.ts";
import { DESCRIPTORS_PER_SHOT } from "../src/adapters/face/builtin/face-analyzer.ts";
import { runTool } from "../src/adapters/tools/run-tool.ts";
import { projectPath } from "../src/core/paths.ts";

type Frame = { rgb: Uint8Array; width: number; height: number };

const SHEET = { file: "assets/screenshot-facematch.jpg", width: 1920, height: 954, rowsTop: [283, 395, 508, 620, 732, 845], perRow: 18, tile: 100 };
/** Tiles as "row-column", 0-based. The first row's first 11 tiles are one man (checked by eye). */
const SAME_MAN = Array.from({ length: 11 }, (_, c) => `0-${c}`);
/** Other men of the sheet (by eye; 0-14, perhaps the same man, is left out). */
const OTHER_MEN = ["0-11", "0-12", "0-13", "0-15", "0-16", "0-17", "1-0", "1-1", "1-2", "1-3", "1-4", "1-5", "1-8", "1-13", "1-15", "1-16",
  "2-0", "2-4", "2-5", "2-6", "2-7", "2-12", "3-1", "3-4", "3-15", "4-8", "4-12", "5-5", "5-6", "5-9"];
/** Men and women by Human's sex estimate at >= 0.8, each checked by eye. */
const MEN = ["0-2", "0-12", "0-15", "1-1", "1-8", "2-0", "3-1", "4-8", "4-12", "5-5"];
const WOMEN = ["1-6", "1-12", "1-17", "2-1", "2-3", "2-11", "2-16", "2-17", "3-2", "3-3", "3-5", "3-6", "3-11", "3-13", "4-0", "4-1", "4-3", "4-4",
  "4-5", "4-6", "4-9", "4-10", "4-16", "4-17", "5-0", "5-3", "5-4", "5-7", "5-8", "5-11", "5-12", "5-13", "5-17"];

const CLIPS = ["NEU", "HAP", "SAD", "ANG", "DIS", "FEA"] as const;
const CHOICE_CLIPS = new Set(["NEU", "HAP", "SAD"]);
const VARIANTS: ReadonlyArray<{ name: string; vf: string; width: number; height: number }> = [
  { name: "as is", vf: "scale=480:360", width: 480, height: 360 },
  { name: "50 px face in 960x540", vf: "scale=240:180,pad=960:540:360:180", width: 960, height: 540 },
  { name: "mirrored", vf: "scale=480:360,hflip", width: 480, height: 360 },
];
const THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7];

async function decode(file: string, vf: string, width: number, height: number): Promise<Frame[]> {
  const { stdoutBytes } = await runTool("ffmpeg", ["-v", "error", "-i", file, "-vf", vf, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], { binary: true });
  const buf = stdoutBytes;
  const size = width * height * 3;
  return Array.from({ length: Math.floor(buf.length / size) }, (_, i) => ({ rgb: buf.subarray(i * size, (i + 1) * size), width, height }));
}

/** One descriptor of the first face found, the frame analysed alone (a detection, as at a shot's start). */
async function describe(analyzer: FaceAnalyzer, frame: Frame): Promise<number[] | undefined> {
  const faces = await analyzer.session(async (analyse) => analyse(frame, { redetect: true, expression: false }));
  return faces.find((f) => f.descriptor?.length)?.descriptor;
}

/** Deterministic draws (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function pick<T>(items: readonly T[], k: number, next: () => number, avoid: ReadonlySet<T> = new Set()): T[] {
  const pool = items.filter((x) => !avoid.has(x));
  const out: T[] = [];
  while (out.length < k && pool.length) out.push(pool.splice(Math.floor(next() * pool.length), 1)[0] as T);
  return out;
}

const share = (xs: readonly number[], f: (x: number) => boolean): number => xs.filter(f).length / Math.max(1, xs.length);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

async function main(): Promise<void> {
  const analyzer = await createFaceAnalyzer();
  const sim = (a: readonly number[], b: readonly number[]) => analyzer.similarity(a, b);
  const mean = (as: readonly (readonly number[])[], bs: readonly (readonly number[])[]) => {
    let s = 0;
    for (const a of as) for (const b of bs) s += sim(a, b);
    return s / (as.length * bs.length);
  };

  // Strangers: the face sheet.
  const sheetFile = `${humanPaths().humanDir}/${SHEET.file}`;
  const [sheet] = await decode(sheetFile, "null", SHEET.width, SHEET.height);
  if (!sheet) throw new Error(`cannot decode ${sheetFile}`);
  const tiles = new Map<string, number[]>();
  for (let r = 0; r < SHEET.rowsTop.length; r++) {
    for (let c = 0; c < SHEET.perRow; c++) {
      const x0 = Math.round((c * SHEET.width) / SHEET.perRow) + 3;
      const y0 = (SHEET.rowsTop[r] as number) + 3;
      const rgb = new Uint8Array(SHEET.tile * SHEET.tile * 3);
      for (let y = 0; y < SHEET.tile; y++) rgb.set(sheet.rgb.subarray(((y0 + y) * SHEET.width + x0) * 3, ((y0 + y) * SHEET.width + x0 + SHEET.tile) * 3), y * SHEET.tile * 3);
      const d = await describe(analyzer, { rgb, width: SHEET.tile, height: SHEET.tile });
      if (d) tiles.set(`${r}-${c}`, d);
    }
  }
  const has = (ids: readonly string[]) => ids.filter((id) => tiles.has(id));
  const man = has(SAME_MAN);
  const others = has(OTHER_MEN);
  const get = (id: string) => tiles.get(id) as number[];
  console.log(`## Identity grouping: \`npm run bench:identity\``);
  console.log(`face sheet: ${tiles.size} of ${SHEET.rowsTop.length * SHEET.perRow} tiles with a face; the man in ${man.length} photos, ${others.length} other men, ${has(MEN).length} men x ${has(WOMEN).length} women`);

  const strangerSets = (rows: (r: number) => boolean) => others.filter((id) => rows(Number(id.split("-")[0])));
  const strangers = (ids: readonly string[], k: number, seed: number): number[] => {
    const next = rng(seed);
    return ids.flatMap((x) => Array.from({ length: k === 1 ? man.length : 60 }, (_, i) => (k === 1 ? sim(get(man[i] as string), get(x)) : mean(pick(man, k, next).map(get), [get(x)]))));
  };
  const crossSex = has(MEN).flatMap((m) => has(WOMEN).map((w) => sim(get(m), get(w))));
  const manVsMan: number[] = [];
  for (let i = 0; i < man.length; i++) for (let j = i + 1; j < man.length; j++) manVsMan.push(sim(get(man[i] as string), get(man[j] as string)));

  // The same person within a clip: descriptors every 5th frame, by frame number.
  const clipDescriptors = new Map<string, Map<number, number[]>>();
  for (const clip of CLIPS) {
    for (const v of VARIANTS) {
      const frames = await decode(projectPath(`data/sample/1001_DFA_${clip}_XX.flv`), v.vf, v.width, v.height);
      const ds = new Map<number, number[]>();
      for (let i = 0; i < frames.length; i += 5) {
        const d = await describe(analyzer, frames[i] as Frame);
        if (d) ds.set(i, d);
      }
      clipDescriptors.set(`${clip}/${v.name}`, ds);
    }
  }
  /**
   * Every pair of "tracks" of the same clip, as the analyzer describes a shot: k descriptors from frames
   * DETECT_EVERY apart (its detection frames), one track from the clip as it is and the other from a
   * variant, never sharing a frame (two tracks of one clip never hold the same frame).
   */
  const DETECT_EVERY = 10;
  const samePerson = (clips: readonly string[], k: number): number[] => {
    const out: number[] = [];
    for (const clip of clips) {
      const base = clipDescriptors.get(`${clip}/${VARIANTS[0]?.name}`) ?? new Map<number, number[]>();
      const track = (ds: Map<number, number[]>, start: number): number[][] | undefined => {
        const got = Array.from({ length: k }, (_, j) => ds.get(start + j * DETECT_EVERY));
        return got.every(Boolean) ? (got as number[][]) : undefined;
      };
      for (const v of VARIANTS) {
        const other = clipDescriptors.get(`${clip}/${v.name}`) ?? new Map<number, number[]>();
        for (const s of base.keys()) {
          for (const t of other.keys()) {
            const a = track(base, s);
            const b = track(other, t);
            const frames = (x: number) => new Set(Array.from({ length: k }, (_, j) => x + j * DETECT_EVERY));
            if (!a || !b || [...frames(s)].some((f) => frames(t).has(f))) continue;
            if (v === VARIANTS[0] && t < s) continue; // each pair once
            out.push(mean(a, b));
          }
        }
      }
    }
    return out;
  };

  const choiceClips = CLIPS.filter((c) => CHOICE_CLIPS.has(c));
  const checkClips = CLIPS.filter((c) => !CHOICE_CLIPS.has(c));
  const rows: Array<[string, number[], "split" | "merge"]> = [
    ["same person within a clip, 1 x 1 (all six clips)", samePerson(CLIPS, 1), "split"],
    [`same person within a clip, 3 x 3 (choice: ${choiceClips.join(", ")})`, samePerson(choiceClips, 3), "split"],
    [`same person within a clip, 3 x 3 (check: ${checkClips.join(", ")})`, samePerson(checkClips, 3), "split"],
    ["the man against himself in other photos, 1 x 1", manVsMan, "split"],
    ["similar strangers (men most like him), 1 x 1", strangers(others, 1, 4), "merge"],
    ["similar strangers, 3 x 1 (choice: sheet rows 1-2)", strangers(strangerSets((r) => r <= 1), 3, 5), "merge"],
    ["similar strangers, 3 x 1 (check: sheet rows 3-6)", strangers(strangerSets((r) => r >= 2), 3, 6), "merge"],
    ["men against women, 1 x 1", crossSex, "merge"],
  ];
  console.log("\nshare of pairs that would split (same person under the threshold) or merge (strangers at or above it)");
  console.log(`${"pairs".padEnd(70)} ${"n".padStart(5)}  ${"p5".padStart(5)} ${"median".padStart(6)} ${"p95".padStart(5)}  ${THRESHOLDS.map((t) => `@${t.toFixed(2)}`.padStart(7)).join("")}`);
  for (const [name, xs, kind] of rows) {
    const at = THRESHOLDS.map((t) => pct(share(xs, (x) => (kind === "split" ? x < t : x >= t))).padStart(7)).join("");
    console.log(`${`${kind}: ${name}`.padEnd(70)} ${String(xs.length).padStart(5)}  ${quantile(xs, 0.05).toFixed(2).padStart(5)} ${quantile(xs, 0.5).toFixed(2).padStart(6)} ${quantile(xs, 0.95).toFixed(2).padStart(5)}  ${at}`);
  }
  const total = (split: number[], merge: number[], t: number) => share(split, (x) => x < t) + share(merge, (x) => x >= t);
  const choiceSplit = rows[1]?.[1] ?? [];
  const choiceMerge = rows[5]?.[1] ?? [];
  const best = THRESHOLDS.reduce((b, t) => (total(choiceSplit, choiceMerge, t) < total(choiceSplit, choiceMerge, b) ? t : b));
  console.log(`\nchoice half: the lowest splits + merges (3 descriptors) at ${best} (${THRESHOLDS.map((t) => `${t}: ${pct(total(choiceSplit, choiceMerge, t))}`).join(", ")})`);
  const checkSplit = rows[2]?.[1] ?? [];
  const checkMerge = rows[6]?.[1] ?? [];
  console.log(`check half at ${MIN_SAME_PERSON_SIMILARITY} (subject.ts): splits ${pct(share(checkSplit, (x) => x < MIN_SAME_PERSON_SIMILARITY))}, merges ${pct(share(checkMerge, (x) => x >= MIN_SAME_PERSON_SIMILARITY))}; at Human's 0.5 with one descriptor: splits ${pct(share(rows[0]?.[1] ?? [], (x) => x < 0.5))}, merges ${pct(share(rows[4]?.[1] ?? [], (x) => x >= 0.5))}`);
  console.log(`descriptors per shot: ${DESCRIPTORS_PER_SHOT}`);

  // Cuts (shots.ts): between two faces of the sheet, and within the sample clips (no cut at all).
  const tileFrame = async (id: string, mode: "fill" | "grey"): Promise<Frame> => {
    const [r, c] = id.split("-").map(Number) as [number, number];
    const x = Math.round((c * SHEET.width) / SHEET.perRow) + 3;
    const y = (SHEET.rowsTop[r] as number) + 3;
    const vf = mode === "fill" ? `crop=100:100:${x}:${y},scale=480:480,crop=480:360:0:40` : `crop=100:100:${x}:${y},scale=200:200,pad=480:360:140:80:color=0x808080`;
    const [f] = await decode(sheetFile, vf, 480, 360);
    return f as Frame;
  };
  const ids = [...tiles.keys()];
  const next = rng(7);
  const pairs = Array.from({ length: 120 }, () => pick(ids, 2, next) as [string, string]);
  console.log("\ncuts between two faces of the sheet (120 random pairs): frame score (scdet on the frame) / face score (the same in the face box)");
  for (const mode of ["fill", "grey"] as const) {
    const frameScores: number[] = [];
    const faceScores: number[] = [];
    for (const [a, b] of pairs) {
      const fa = await tileFrame(a, mode);
      const fb = await tileFrame(b, mode);
      const shots = new ShotCuts();
      const faces = new FaceCuts();
      // As the extractor reads a clip: the analyzer tracks from one frame to the next.
      await analyzer.session(async (analyse) => {
        for (const f of [fa, fa, fb]) {
          frameScores.push(shots.next(lumaGrid(f)).score);
          faceScores.push(faces.next(f, (await analyse(f, { expression: false })).map((o) => o.box)).score);
        }
      });
    }
    const atCut = (xs: number[]) => xs.filter((_, i) => i % 3 === 2);
    const found = (xs: number[]) => atCut(xs).filter((x) => x >= CUT_THRESHOLD).length;
    const label = mode === "fill" ? "each face filling the frame, its photo's background" : "200 px faces on one grey background";
    console.log(`  ${label.padEnd(52)} frame: median ${quantile(atCut(frameScores), 0.5).toFixed(1)}, found ${found(frameScores)}/${atCut(frameScores).length}; face: median ${quantile(atCut(faceScores), 0.5).toFixed(1)}, min ${quantile(atCut(faceScores), 0).toFixed(1)}, found ${found(faceScores)}/${atCut(faceScores).length}; either: ${atCut(frameScores).filter((x, i) => x >= CUT_THRESHOLD || (atCut(faceScores)[i] ?? 0) >= CUT_THRESHOLD).length}/${atCut(frameScores).length}`);
  }
  const quiet: Record<number, number[]> = { 1: [], 3: [] };
  const panned = (speed: number) => ({ name: `panning ${speed} px/s`, vf: `scale=480:360,pad=960:360:240:0,crop=480:360:'min(480,max(0,(t-0.6)*${speed}))':0`, width: 480, height: 360 });
  for (const clip of CLIPS) {
    for (const v of [...VARIANTS, { name: "240x180", vf: "scale=240:180", width: 240, height: 180 }, { name: "dark, noisy", vf: "scale=480:360,noise=alls=12:allf=t,eq=brightness=-0.15", width: 480, height: 360 }, { name: "25 px face in 960x540", vf: "scale=120:90,pad=960:540:420:225", width: 960, height: 540 }, panned(300), panned(600)]) {
      for (const step of [1, 3]) {
        const frames = (await decode(projectPath(`data/sample/1001_DFA_${clip}_XX.flv`), v.vf, v.width, v.height)).filter((_, i) => i % step === 0);
        const faces = new FaceCuts();
        await analyzer.session(async (analyse) => {
          for (const f of frames) quiet[step]?.push(faces.next(f, (await analyse(f, { expression: false })).map((o) => o.box)).score);
        });
      }
    }
  }
  console.log("  the sample clips without a cut (as is, 50 px face, mirrored, 240x180, dark and noisy, 25 px face, panning 300 and 600 px/s):");
  for (const [step, xs] of Object.entries(quiet)) {
    const which = step === "1" ? "every frame (the extractor's face cue)" : "every 3rd frame (not used: the adaptive rate's coarse pass)";
    console.log(`    ${which}: face score p99 ${quantile(xs, 0.99).toFixed(2)}, max ${quantile(xs, 1).toFixed(2)}, cuts found ${xs.filter((x) => x >= CUT_THRESHOLD).length} of ${xs.length} frames`);
  }
}

await main();
process.exit(0);
