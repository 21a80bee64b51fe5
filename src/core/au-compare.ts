/**
 * Agreement of two AU tables of the same clip (for example merr's built-in analyzer against a real
 * OpenFace run): per-AU Pearson r of the intensities and presence agreement, over the frames both
 * tracked. This is how the built-in analyzer is checked on footage the repository does not hold:
 * `merr au compare openface.csv builtin.csv`. Pure.
 */
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
}

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
  for (const au of a.intensityAus.filter((x) => b.intensityAus.includes(x))) {
    const ca = a.intensity[au] as Float64Array;
    const cb = b.intensity[au] as Float64Array;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const f of frames) {
      const x = ca[ra.get(f) as number] as number;
      const y = cb[rb.get(f) as number] as number;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xs.push(x);
      ys.push(y);
    }
    const r = pearson(xs, ys);
    const agree = xs.filter((x, i) => x >= 1 === (ys[i] as number) >= 1).length;
    aus.push({ au, r: r === null ? null : round3(r), meanA: round3(mean(xs)), meanB: round3(mean(ys)), activeAgreement: xs.length ? round3(agree / xs.length) : 0 });
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
  lines.push(`${"AU".padEnd(6)}${"r".padStart(7)}${"mean A".padStart(9)}${"mean B".padStart(9)}${"active agree".padStart(14)}`);
  for (const x of c.aus) {
    lines.push(`${x.au.padEnd(6)}${(x.r === null ? "-" : x.r.toFixed(2)).padStart(7)}${x.meanA.toFixed(2).padStart(9)}${x.meanB.toFixed(2).padStart(9)}${x.activeAgreement.toFixed(2).padStart(14)}`);
  }
  lines.push(`mean r: ${c.meanR ?? "-"}; brow AUs (AU01, AU02, AU04) mean r: ${c.browR ?? "-"}`);
  return lines.join("\n");
}
