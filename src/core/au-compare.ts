/**
 * Agreement of two AU tables of the same clip (for example merr's built-in analyzer against a real
 * OpenFace run): per-AU Pearson r of the intensities and presence agreement, over the frames both
 * tracked. This is how the built-in analyzer is checked on footage the repository does not hold:
 * `merr au compare openface.csv builtin.csv`. Pure.
 */
import { collapseWarning, formatDistribution } from "./label-balance.ts";
import type { AuTable } from "./openface-csv.ts";

export interface AuAgreement {
  au: string;
  /** Pearson correlation of the `_r` columns; null when either side is constant or missing. */
  r: number | null;
  /** Mean intensity on each side. */
  meanA: number;
  meanB: number;
  /** Share of frames where `_r >= 1` on both sides or on neither (the rules' activity). */
  activeAgreement: number;
  /** Share of frames with `_r >= 1` on each side: does one side sit on another scale? */
  activeA: number;
  activeB: number;
  /**
   * r of this AU with the same side's blink intensity (AU45_r) over the frames compared; null for AU45
   * itself, when either does not vary, or when the side's AU45 reaches 1 in fewer than 3 frames. A brow AU
   * that follows the blinks (OpenFace's appearance models can: bench:openface-geometry) makes its r against
   * the other side say little about brow movement.
   */
  blinkRA: number | null;
  blinkRB: number | null;
}

/** A brow AU counts as following its side's blinks from this |r| with AU45 (more than half; not fitted). */
export const BLINK_FOLLOWING_R = 0.5;
/** Frames with AU45 >= 1 a side needs for its brow-blink r (a few blinks; not fitted). */
const MIN_BLINK_FRAMES = 3;

export interface AuComparison {
  /** Frames (by OpenFace frame number) valid in both tables. */
  frames: number;
  onlyA: number;
  onlyB: number;
  aus: AuAgreement[];
  /** Mean of the defined r values. */
  meanR: number | null;
  /** Mean r of the brow AUs (AU01, AU02, AU04) that are defined. */
  browR: number | null;
}

/** Pearson r; null when fewer than 3 pairs or a side does not vary. Pure. */
export function pearson(a: readonly number[], b: readonly number[]): number | null {
  const n = Math.min(a.length, b.length);
  if (n < 3) return null;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0);
export const BROW_AUS = ["AU01", "AU02", "AU04"] as const;

/** Compares two tables frame by frame (joined on the `frame` column, valid rows only). Pure. */
export function compareAuTables(a: AuTable, b: AuTable): AuComparison {
  const rowOf = (t: AuTable): Map<number, number> => {
    const m = new Map<number, number>();
    t.frame.forEach((f, i) => {
      if (t.valid[i] === 1) m.set(f, i);
    });
    return m;
  };
  const ra = rowOf(a);
  const rb = rowOf(b);
  const frames = [...ra.keys()].filter((f) => rb.has(f)).sort((x, y) => x - y);
  const aus: AuAgreement[] = [];
  const blinkA = a.intensity.AU45;
  const blinkB = b.intensity.AU45;
  for (const au of a.intensityAus.filter((x) => b.intensityAus.includes(x))) {
    const ca = a.intensity[au] as Float64Array;
    const cb = b.intensity[au] as Float64Array;
    const xs: number[] = [];
    const ys: number[] = [];
    // Each side's AU against that side's blinks, over the frames where both are numbers.
    const blinks: [number[], number[], number[], number[]] = [[], [], [], []];
    for (const f of frames) {
      const x = ca[ra.get(f) as number] as number;
      const y = cb[rb.get(f) as number] as number;
      const bx = blinkA?.[ra.get(f) as number];
      const by = blinkB?.[rb.get(f) as number];
      if (Number.isFinite(x) && Number.isFinite(bx)) {
        blinks[0].push(x);
        blinks[1].push(bx as number);
      }
      if (Number.isFinite(y) && Number.isFinite(by)) {
        blinks[2].push(y);
        blinks[3].push(by as number);
      }
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xs.push(x);
      ys.push(y);
    }
    const r = pearson(xs, ys);
    // Only over a side that blinked a few times (AU45 >= 1 in 3 frames or more): with fewer, an r means little.
    const blinkR = (v: number[], w: number[]): number | null => {
      const c = au === "AU45" || w.filter((x) => x >= 1).length < MIN_BLINK_FRAMES ? null : pearson(v, w);
      return c === null ? null : round3(c);
    };
    const agree = xs.filter((x, i) => x >= 1 === (ys[i] as number) >= 1).length;
    const share = (vs: number[]): number => (vs.length ? round3(vs.filter((v) => v >= 1).length / vs.length) : 0);
    aus.push({
      au,
      r: r === null ? null : round3(r),
      meanA: round3(mean(xs)),
      meanB: round3(mean(ys)),
      activeAgreement: xs.length ? round3(agree / xs.length) : 0,
      activeA: share(xs),
      activeB: share(ys),
      blinkRA: blinkR(blinks[0], blinks[1]),
      blinkRB: blinkR(blinks[2], blinks[3]),
    });
  }
  const defined = (list: readonly AuAgreement[]): number[] => list.flatMap((x) => (x.r === null ? [] : [x.r]));
  const all = defined(aus);
  const brows = defined(aus.filter((x) => (BROW_AUS as readonly string[]).includes(x.au)));
  return {
    frames: frames.length,
    onlyA: ra.size - frames.length,
    onlyB: rb.size - frames.length,
    aus,
    meanR: all.length ? round3(mean(all)) : null,
    browR: brows.length ? round3(mean(brows)) : null,
  };
}

/** A text table of the comparison. Pure. */
export function formatComparison(c: AuComparison, names: readonly [string, string]): string {
  const lines = [`A: ${names[0]}; B: ${names[1]}`, `frames compared: ${c.frames} (only in A: ${c.onlyA}, only in B: ${c.onlyB})`];
  lines.push(`${"AU".padEnd(6)}${"r".padStart(7)}${"mean A".padStart(9)}${"mean B".padStart(9)}${"active agree".padStart(14)}${">=1 A".padStart(8)}${">=1 B".padStart(8)}`);
  for (const x of c.aus) {
    lines.push(
      `${x.au.padEnd(6)}${(x.r === null ? "-" : x.r.toFixed(2)).padStart(7)}${x.meanA.toFixed(2).padStart(9)}${x.meanB.toFixed(2).padStart(9)}` +
        `${x.activeAgreement.toFixed(2).padStart(14)}${x.activeA.toFixed(2).padStart(8)}${x.activeB.toFixed(2).padStart(8)}`,
    );
  }
  lines.push(`mean r: ${c.meanR ?? "-"}; brow AUs (AU01, AU02, AU04) mean r: ${c.browR ?? "-"}`);
  const brows = c.aus.filter((x) => (BROW_AUS as readonly string[]).includes(x.au));
  const side = (pick: (x: AuAgreement) => number | null): string => brows.map((x) => `${x.au} ${pick(x)?.toFixed(2) ?? "-"}`).join(", ");
  if (brows.length) lines.push(`brow AUs against their own side's blinks (r with AU45): A ${side((x) => x.blinkRA)}; B ${side((x) => x.blinkRB)}`);
  const following = brows.flatMap((x) => [
    ...(Math.abs(x.blinkRA ?? 0) >= BLINK_FOLLOWING_R ? [`A's ${x.au}`] : []),
    ...(Math.abs(x.blinkRB ?? 0) >= BLINK_FOLLOWING_R ? [`B's ${x.au}`] : []),
  ]);
  if (following.length) {
    lines.push(`note: ${following.join(", ")} follow${following.length === 1 ? "s" : ""} the blinks (|r| >= ${BLINK_FOLLOWING_R}): ${following.length === 1 ? "its" : "their"} r against the other side says more about blinks than about the brows`);
  }
  return lines.join("\n");
}

/** Whether a side's brow AUs follow its blinks in a comparison ({@link BLINK_FOLLOWING_R}). Pure. */
export function browsFollowBlinks(c: AuComparison, side: 0 | 1): boolean {
  return c.aus.some((x) => (BROW_AUS as readonly string[]).includes(x.au) && Math.abs((side === 0 ? x.blinkRA : x.blinkRB) ?? 0) >= BLINK_FOLLOWING_R);
}

/** One clip of a set comparison: the two tables' agreement and each side's pseudo-label. */
export interface ClipAgreement {
  id: string;
  comparison: AuComparison;
  /** Pseudo-label of each side; undefined when no rule fired (the clip is filtered out). */
  labels: [string | undefined, string | undefined];
  /** The clip's label in a labels file, normalised; absent when there is none. */
  truth?: string;
  /** The clip's label when it is outside the MERR labels (disgust): no AU rule gives it, so it is not counted. */
  truthOutOfSet?: string;
}

/** Agreement of two extractors over a set of clips (`merr au compare <folder> <folder>`). */
export interface SetAgreement {
  clips: number;
  /**
   * Per AU: the mean of the clips' r where it is defined and over how many clips; and, over every frame
   * compared, each side's mean intensity and share of frames at intensity >= 1 (the scale: a side whose
   * AUs sit far above the other's fires the rules on faces that are only talking).
   */
  aus: Array<{ au: string; r: number | null; clips: number; meanA: number; meanB: number; activeA: number; activeB: number }>;
  /** Mean over the AUs of their mean r. */
  meanR: number | null;
  /** The same over the brow AUs (AU01, AU02, AU04). */
  browR: number | null;
  /** Pseudo-label counts of each side (labelled clips only). */
  labels: [Record<string, number>, Record<string, number>];
  /** Clips filtered out (no rule fired) on each side. */
  filtered: [number, number];
  /** Clips with the same pseudo-label on both sides (filtered on both counts as the same). */
  sameLabel: number;
  /** Against a labels file: clips with a label, and how many each side gets right (a filtered clip counts as neutral). */
  truth?: { labelled: number; correct: [number, number] };
  /** Clips where a brow AU of each side follows that side's blinks ({@link browsFollowBlinks}). */
  browsFollowBlinks: [number, number];
}

/** Sums up per-clip agreements. Pure. */
export function summariseAgreements(clips: readonly ClipAgreement[]): SetAgreement {
  const names = [...new Set(clips.flatMap((c) => c.comparison.aus.map((a) => a.au)))].sort();
  const aus = names.map((au) => {
    const rows = clips.flatMap((c) => c.comparison.aus.filter((a) => a.au === au).map((a) => ({ ...a, frames: c.comparison.frames })));
    const rs = rows.flatMap((a) => (a.r === null ? [] : [a.r]));
    const frames = rows.reduce((s, a) => s + a.frames, 0);
    const pooled = (pick: (a: AuAgreement) => number): number => (frames ? round3(rows.reduce((s, a) => s + pick(a) * a.frames, 0) / frames) : 0);
    return {
      au,
      r: rs.length ? round3(mean(rs)) : null,
      clips: rs.length,
      meanA: pooled((a) => a.meanA),
      meanB: pooled((a) => a.meanB),
      activeA: pooled((a) => a.activeA),
      activeB: pooled((a) => a.activeB),
    };
  });
  const defined = (list: typeof aus): number[] => list.flatMap((a) => (a.r === null ? [] : [a.r]));
  const all = defined(aus);
  const brows = defined(aus.filter((a) => (BROW_AUS as readonly string[]).includes(a.au)));
  const labels: SetAgreement["labels"] = [{}, {}];
  const filtered: SetAgreement["filtered"] = [0, 0];
  for (const c of clips) {
    for (const side of [0, 1] as const) {
      const label = c.labels[side];
      if (label === undefined) filtered[side]++;
      else labels[side][label] = (labels[side][label] ?? 0) + 1;
    }
  }
  const withTruth = clips.filter((c) => c.truth !== undefined);
  const right = (side: 0 | 1): number => withTruth.filter((c) => (c.labels[side] ?? "neutral") === c.truth).length;
  return {
    clips: clips.length,
    aus,
    meanR: all.length ? round3(mean(all)) : null,
    browR: brows.length ? round3(mean(brows)) : null,
    labels,
    filtered,
    sameLabel: clips.filter((c) => c.labels[0] === c.labels[1]).length,
    browsFollowBlinks: [clips.filter((c) => browsFollowBlinks(c.comparison, 0)).length, clips.filter((c) => browsFollowBlinks(c.comparison, 1)).length],
    ...(withTruth.length ? { truth: { labelled: withTruth.length, correct: [right(0), right(1)] as [number, number] } } : {}),
  };
}

/** A text report of a set comparison, then one line per clip. Pure. */
export function formatSetAgreement(s: SetAgreement, clips: readonly ClipAgreement[], names: readonly [string, string]): string {
  const lines = [`A: ${names[0]}; B: ${names[1]}; clips compared: ${s.clips}`];
  lines.push(`${"AU".padEnd(6)}${"mean r".padStart(8)}${"clips".padStart(7)}${"mean A".padStart(9)}${"mean B".padStart(9)}${">=1 A".padStart(8)}${">=1 B".padStart(8)}`);
  for (const a of s.aus) {
    const cells = [a.meanA, a.meanB].map((v) => v.toFixed(2).padStart(9)).join("") + [a.activeA, a.activeB].map((v) => v.toFixed(2).padStart(8)).join("");
    lines.push(`${a.au.padEnd(6)}${(a.r === null ? "-" : a.r.toFixed(2)).padStart(8)}${String(a.clips).padStart(7)}${cells}`);
  }
  lines.push(`mean r over the AUs: ${s.meanR?.toFixed(2) ?? "-"}; brow AUs (AU01, AU02, AU04): ${s.browR?.toFixed(2) ?? "-"}`);
  lines.push(
    `clips whose brow AUs follow their own side's blinks (|r| >= ${BLINK_FOLLOWING_R} with AU45; their brow r says more about blinks than about the brows): A ${s.browsFollowBlinks[0]}, B ${s.browsFollowBlinks[1]} of ${s.clips}`,
  );
  lines.push(`pseudo-labels A: ${formatDistribution(s.labels[0])}; filtered out ${s.filtered[0]}`);
  lines.push(`pseudo-labels B: ${formatDistribution(s.labels[1])}; filtered out ${s.filtered[1]}`);
  for (const [side, counts] of [["A", s.labels[0]], ["B", s.labels[1]]] as const) {
    const warning = collapseWarning(`pseudo-label (${side})`, counts);
    if (warning) lines.push(`warning: ${warning}`);
  }
  lines.push(`same pseudo-label: ${s.sameLabel} of ${s.clips}`);
  if (s.truth) {
    lines.push(`right against the labels file (a filtered clip counts as neutral): A ${s.truth.correct[0]} of ${s.truth.labelled}, B ${s.truth.correct[1]} of ${s.truth.labelled}`);
  }
  const outOfSet: Record<string, number> = {};
  for (const c of clips) if (c.truthOutOfSet !== undefined) outOfSet[c.truthOutOfSet] = (outOfSet[c.truthOutOfSet] ?? 0) + 1;
  if (Object.keys(outOfSet).length) {
    const list = Object.entries(outOfSet).map(([l, n]) => `${l} ${n}`).join(", ");
    lines.push(`left out of the right-label count: clips labelled outside the MERR labels, which no AU rule gives (${list}), as merr eval does`);
  }
  const width = Math.max(4, ...clips.map((c) => c.id.length));
  lines.push("", `${"clip".padEnd(width)}  frames  mean r  brow r  brows~blinks  label A     label B     truth`);
  for (const c of clips) {
    const r = (v: number | null): string => (v === null ? "-" : v.toFixed(2)).padStart(6);
    const label = (v: string | undefined): string => (v ?? "(filtered)").padEnd(10);
    const blinks = ([0, 1] as const).flatMap((side) => (browsFollowBlinks(c.comparison, side) ? [side === 0 ? "A" : "B"] : [])).join(" ") || "-";
    lines.push(
      `${c.id.padEnd(width)}  ${String(c.comparison.frames).padStart(6)}  ${r(c.comparison.meanR)}  ${r(c.comparison.browR)}  ${blinks.padEnd(12)}  ${label(c.labels[0])}  ${label(c.labels[1])}  ${c.truth ?? (c.truthOutOfSet ? `(${c.truthOutOfSet})` : "-")}`,
    );
  }
  return lines.join("\n");
}
