import type { AuRuleSet } from "./au-rules.ts";
import { argmax, findPeaks } from "./find-peaks.ts";
import type { AuTable } from "./openface-csv.ts";

/**
 * Per-frame AU logic shared by the pseudo-label rules and the two peak-frame methods. Pure functions over
 * a parsed {@link AuTable}; only valid rows (see openface-csv.ts) are ever considered.
 */

/** Every AU code of the table (intensity or presence column), in code order. */
export function tableAus(table: AuTable): string[] {
  return [...new Set([...table.intensityAus, ...table.presenceAus])].sort();
}

/** Whether `au` is active at `row` under the rule set's `active` definition. */
export function isActive(table: AuTable, rules: AuRuleSet, au: string, row: number): boolean {
  const r = table.intensity[au];
  const c = table.presence[au];
  if (!r && !c) return false;
  if (r) {
    const v = r[row]!;
    if (!(rules.active.inclusive ? v >= rules.active.intensity_min : v > rules.active.intensity_min)) return false;
  }
  // AU28 has only a presence column: presence is then the only evidence, whatever the setting.
  if (c && (rules.active.presence === "require" || !r) && c[row] !== 1) return false;
  return true;
}

export function activeAus(table: AuTable, rules: AuRuleSet, row: number): string[] {
  return tableAus(table).filter((au) => isActive(table, rules, au, row));
}

export function validRows(table: AuTable): number[] {
  const rows: number[] = [];
  for (let i = 0; i < table.valid.length; i++) if (table.valid[i]) rows.push(i);
  return rows;
}

/**
 * The frames each row stands for: from its frame up to the next row's (the last row: as many as the row
 * before it). A table with a row for every frame, or for every n-th frame, weighs every row the same; a
 * table analysed at an adaptive rate (more rows around the peaks, docs/face-analyzer.md) is weighted back
 * to the clip's time, so shares of rows are shares of the clip. Non-increasing frame numbers count 1.
 */
export function rowWeights(table: AuTable): Float64Array {
  const f = table.frame;
  const w = new Float64Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const gap = i + 1 < f.length ? f[i + 1]! - f[i]! : i > 0 ? f[i]! - f[i - 1]! : 1;
    w[i] = gap > 0 ? gap : 1;
  }
  return w;
}

/** Share of the valid rows (weighted by {@link rowWeights}, i.e. of the clip's time) in which each AU is active. */
export function activeFractions(table: AuTable, rules: AuRuleSet, rows: readonly number[]): Record<string, number> {
  const w = rowWeights(table);
  let total = 0;
  for (const row of rows) total += w[row]!;
  const out: Record<string, number> = {};
  for (const au of tableAus(table)) {
    let n = 0;
    for (const row of rows) if (isActive(table, rules, au, row)) n += w[row]!;
    out[au] = total > 0 ? n / total : 0;
  }
  return out;
}

export interface PaperPeak {
  row: number;
  score: number;
  /** The most frequently active AUs whose intensities were summed. */
  topAus: string[];
}

/**
 * Emotion-LLaMA's peak frame: the `top_k` AUs active in the most valid frames (ties: code order; AUs
 * without an intensity column and the excluded ones, e.g. blinks, do not count), their intensities summed
 * per frame, the first frame with the highest sum.
 */
export function paperPeak(table: AuTable, rules: AuRuleSet, rows: readonly number[], fractions: Record<string, number>): PaperPeak {
  const p = rules.peak.paper;
  const topAus = table.intensityAus
    .filter((au) => !p.exclude.includes(au) && (fractions[au] ?? 0) > 0)
    .sort((a, b) => (fractions[b] ?? 0) - (fractions[a] ?? 0) || a.localeCompare(b))
    .slice(0, p.top_k);
  const cols = topAus.map((au) => table.intensity[au]!);
  let best = -1;
  let bestScore = -Infinity;
  for (const row of rows) {
    let s = 0;
    for (const col of cols) {
      const v = col[row]!;
      s += p.clamp_negative && v < 0 ? 0 : v;
    }
    if (s > bestScore) {
      bestScore = s;
      best = row;
    }
  }
  return { row: best, score: bestScore, topAus };
}

export interface EmotionScore {
  emotion: string;
  score: number;
  strength: "slight" | "moderate" | "strong";
}

/**
 * MER-Factory's scoring of each emotion at one frame: skipped unless every AU of the pool has a presence
 * column; at least `minPresentFraction` of them must equal 1; score = mean of the pool's intensity columns
 * that exist; kept when score >= threshold; strength strong >= 3x, moderate >= 2x, else slight.
 * Sorted by score, highest first (ties keep the rule order).
 */
export function scoreEmotionsAt(table: AuTable, rules: AuRuleSet, row: number, threshold: number, minPresentFraction = 0.5): EmotionScore[] {
  const out: EmotionScore[] = [];
  for (const [emotion, def] of Object.entries(rules.emotions)) {
    if (!def.aus.every((au) => table.presence[au])) continue;
    const present = def.aus.filter((au) => table.presence[au]![row] === 1).length;
    if (present < minPresentFraction * def.aus.length) continue;
    const values = def.aus.filter((au) => table.intensity[au]).map((au) => table.intensity[au]![row]!).filter((v) => !Number.isNaN(v));
    if (!values.length) continue;
    const score = values.reduce((a, b) => a + b, 0) / values.length;
    if (score >= threshold) {
      const strength = score >= 3 * threshold ? "strong" : score >= 2 * threshold ? "moderate" : "slight";
      out.push({ emotion, score, strength });
    }
  }
  return out.sort((a, b) => b.score - a.score);
}

export interface MerFactoryPeak {
  row: number;
  /** OpenFace frame number (1-based) of the row. */
  frame: number;
  timeS: number;
  score: number;
  emotions: EmotionScore[];
}

export interface MerFactoryPeaks {
  /** Row of the highest summed intensity (MER-Factory's overall peak frame). */
  overallRow: number;
  overallScore: number;
  /** Chronological peaks that carry at least one emotion. */
  peaks: MerFactoryPeak[];
  /** Rows find_peaks returned before the emotion check. */
  candidates: number;
  /** MER-Factory's words: "Peak at 10.20s: disgust (slight)", or ["neutral"]. */
  summary: string[];
  expressive: boolean;
}

/** MER-Factory's chronological emotion summary and overall peak over the valid rows. */
export function merFactoryPeaks(table: AuTable, rules: AuRuleSet, rows: readonly number[]): MerFactoryPeaks {
  const p = rules.peak.mer_factory;
  const score = new Float64Array(rows.length);
  const cols = table.intensityAus.map((au) => table.intensity[au]!);
  rows.forEach((row, k) => {
    let s = 0;
    for (const col of cols) s += col[row]!;
    score[k] = s;
  });
  const found = findPeaks(score, { height: p.height, distance: p.distance });
  const peaks: MerFactoryPeak[] = [];
  for (const k of found) {
    const row = rows[k]!;
    const emotions = scoreEmotionsAt(table, rules, row, p.emotion_threshold);
    if (emotions.length) peaks.push({ row, frame: table.frame[row]!, timeS: table.timestamp[row]!, score: score[k]!, emotions });
  }
  const summary = peaks.map(
    (pk) => `Peak at ${pyFixed(pk.timeS, 2)}s: ${pk.emotions.map((e) => `${e.emotion} (${e.strength})`).join(", ")}`,
  );
  const best = argmax(score);
  return {
    overallRow: best >= 0 ? rows[best]! : -1,
    overallScore: best >= 0 ? score[best]! : 0,
    peaks,
    candidates: found.length,
    summary: summary.length ? summary : ["neutral"],
    expressive: summary.length > 0,
  };
}

/** MER-Factory's description of a frame: "<name> (intensity: x.xx), …" of the AUs active there. */
export function describeActiveAus(table: AuTable, rules: AuRuleSet, row: number): string {
  const parts = activeAus(table, rules, row)
    .filter((au) => table.intensity[au] && rules.aus[au])
    .map((au) => `${rules.aus[au]!.name} (intensity: ${pyFixed(table.intensity[au]![row]!, 2)})`);
  return parts.length ? parts.join(", ") : "Neutral expression.";
}

/**
 * Python's `format(x, ".Nf")`: round half to even on the exact binary value (JavaScript's toFixed rounds
 * exact ties away from zero: 0.125 -> "0.13" where Python prints "0.12").
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return String(x);
  const exact = Math.abs(x).toFixed(100);
  const [int = "0", frac = ""] = exact.split(".");
  const rest = frac.slice(digits);
  const half = `5${"0".repeat(rest.length - 1)}`;
  let n = BigInt(int + frac.slice(0, digits));
  if (rest > half || (rest === half && n % 2n === 1n)) n += 1n;
  let s = n.toString().padStart(digits + 1, "0");
  if (digits > 0) s = `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  return x < 0 || Object.is(x, -0) ? `-${s}` : s;
}
