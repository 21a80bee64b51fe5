import { createHash } from "node:crypto";
import {
  activeAus,
  activeFractions,
  describeActiveAus,
  merFactoryPeaks,
  paperPeak,
  scoreEmotionsAt,
  validRows,
  type MerFactoryPeaks,
} from "./au-peak.ts";
import type { AuRuleSet, MerrLabel } from "./au-rules.ts";
import { MerrError } from "./errors.ts";
import { trackedFrames, type AuRowCounts, type AuTable } from "./openface-csv.ts";

/**
 * MERR steps 1 and 2 over a parsed OpenFace table: the peak frame (paper or MER-Factory method), the
 * pseudo-label rules (fired emotion, `AU_list`), and the visual expression (`visual_prior_list`).
 * Pure: same table + rules + seed -> same result.
 */

export type PeakMethod = "paper" | "mer-factory";

export interface AnalyzeAuOptions {
  /** Seeds the synonym draw (the sample id), so reruns give the same phrases. */
  seed: string;
  /** @defaultValue the rule set's `peak.method` */
  peakMethod?: PeakMethod;
}

export interface RuleCandidate {
  emotion: string;
  /** MERR label, or null when the rule set drops this emotion. */
  label: MerrLabel | null;
  aus: string[];
  score: number;
}

/** The AUs of one label's pool at the peak frame ({@link labelAusAtPeak}), and their phrases (one each, as `visual_prior_list`). */
export interface LabelAus {
  aus: string[];
  phrases: string[];
}

export type AuDecision =
  | { status: "labelled"; reason: string }
  | { status: "neutral"; reason: string }
  /** No rule fired, and the sample goes on for its ground truth without a pseudo-label (au-analyze's `keepLabelled`). */
  | { status: "kept"; reason: string }
  | { status: "filtered-out"; reason: string };

export interface AuAnalysis {
  /** The MERR label; undefined when the sample is filtered out. */
  pseu_emotion?: MerrLabel;
  /** The rule that fired (raw emotion name of the rule set). */
  emotion?: string;
  AU_list: string[];
  visual_prior_list: string[];
  /** 0-based video frame index of the peak frame, as a string (MERR's spelling). */
  peak_index: string;
  peak_AU_list: string[];
  /** Frames with a tracked face (success=1). */
  frame_count: number;
  /** 0-based video frame index of the peak frame (OpenFace `frame` - 1). */
  peak_frame: number;
  /** Row of the peak frame in the primary face's rows. */
  peak_row: number;
  peak_time_s: number;
  peak_method: PeakMethod;
  rules: { id: string; version: number; hash: string };
  rows: AuRowCounts;
  /** Every rule that fired, best first. */
  candidates: RuleCandidate[];
  /** Per MERR label with an AU pool: its AUs at the peak ({@link labelAusAtPeak}), the fine set's `AU_list` for that label. */
  label_aus: Partial<Record<MerrLabel, LabelAus>>;
  decision: AuDecision;
  paper?: { top_aus: string[]; score: number };
  mer_factory?: Omit<MerFactoryPeaks, "peaks"> & {
    peaks: Array<{ frame: number; time_s: number; score: number; emotions: Array<{ emotion: string; score: number; strength: string }> }>;
    peak_description: string;
  };
}

/** A uniform draw in [0, 1) from (seed, key): stable across runs and machines. */
export function seededUnit(seed: string, key: string): number {
  return createHash("sha256").update(`${seed}\u0000${key}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** `visual_prior_list`: one phrase per AU, drawn from its synonym pool with an RNG seeded by `seed`. */
export function describeAus(aus: readonly string[], rules: AuRuleSet, seed: string): string[] {
  return aus.map((au) => {
    const entry = rules.aus[au];
    if (!entry) return au;
    const pool = entry.synonyms;
    if (rules.describe.synonyms === "canonical" || pool.length === 0) return entry.name;
    return pool[Math.floor(seededUnit(seed, au) * pool.length)]!;
  });
}

function labelOf(rules: AuRuleSet, emotion: string): MerrLabel | null {
  const def = rules.emotions[emotion];
  return def?.label === undefined ? (emotion as MerrLabel) : def.label;
}

/**
 * Per MERR label: the AUs of its pool that are active at the peak frame (in `peak_AU_list`) or that its
 * fired rule counted there (a mer-factory rule counts presence, `_c` = 1), in pool order, with their
 * phrases (drawn as for `AU_list`, so an AU reads the same in both); a label several emotions map to gets
 * their union, in file order. In the real MERR fine-grained set `AU_list` is mostly
 * `peak_AU_list` intersected with the pool of the entry's label, which is the ground truth, not the AU
 * pseudo-label: these are the AUs the fine set lists and cites for whichever label it explains. Unlike a
 * rule's `AU_list` they need not be active in `min_frame_fraction` of the frames: they describe the peak,
 * they do not decide a label. Labels without a pool (neutral) and emotions the rule set drops have no entry.
 */
export function labelAusAtPeak(
  rules: AuRuleSet,
  peakAus: readonly string[],
  fired: readonly RuleCandidate[],
  seed: string,
): Partial<Record<MerrLabel, LabelAus>> {
  const active = new Set(peakAus);
  const byLabel = new Map<MerrLabel, string[]>();
  for (const [emotion, def] of Object.entries(rules.emotions)) {
    const label = labelOf(rules, emotion);
    if (label === null) continue;
    const counted = new Set(fired.find((c) => c.emotion === emotion)?.aus ?? []);
    const list = byLabel.get(label) ?? [];
    for (const au of def.aus) if ((active.has(au) || counted.has(au)) && !list.includes(au)) list.push(au);
    byLabel.set(label, list);
  }
  const out: Partial<Record<MerrLabel, LabelAus>> = {};
  for (const [label, aus] of byLabel) out[label] = { aus, phrases: describeAus(aus, rules, seed) };
  return out;
}

/** The pool-at-peak rules: every emotion whose pool has >= min_aus AUs active at the peak and sustained. */
export function poolAtPeakCandidates(table: AuTable, rules: AuRuleSet, peakRow: number, fractions: Record<string, number>): RuleCandidate[] {
  if (rules.pseudo_label.method !== "pool-at-peak") return [];
  const pl = rules.pseudo_label;
  const atPeak = new Set(activeAus(table, rules, peakRow));
  const order = Object.keys(rules.emotions);
  const out: RuleCandidate[] = [];
  for (const [emotion, def] of Object.entries(rules.emotions)) {
    const minFraction = def.min_frame_fraction ?? pl.min_frame_fraction;
    const matched = def.aus.filter((au) => atPeak.has(au) && (fractions[au] ?? 0) >= minFraction);
    if (matched.length < (def.min_aus ?? pl.min_aus)) continue;
    const values = matched.filter((au) => table.intensity[au]).map((au) => table.intensity[au]![peakRow]!);
    const score = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
    out.push({ emotion, label: labelOf(rules, emotion), aus: matched, score });
  }
  const fallback = (c: RuleCandidate) => (rules.emotions[c.emotion]!.fallback ? 1 : 0);
  const coverage = (c: RuleCandidate) => c.aus.length / rules.emotions[c.emotion]!.aus.length;
  const primary = pl.rank_by === "coverage" ? coverage : (c: RuleCandidate) => c.aus.length;
  const secondary = pl.rank_by === "coverage" ? (c: RuleCandidate) => c.aus.length : coverage;
  return out.sort(
    (a, b) =>
      fallback(a) - fallback(b) ||
      primary(b) - primary(a) ||
      secondary(b) - secondary(a) ||
      b.score - a.score ||
      order.indexOf(a.emotion) - order.indexOf(b.emotion),
  );
}

/** MER-Factory's scoring at the peak frame; AU_list = the pool's AUs present (`_c` = 1) there. */
export function merFactoryCandidates(table: AuTable, rules: AuRuleSet, peakRow: number): RuleCandidate[] {
  if (rules.pseudo_label.method !== "mer-factory") return [];
  const pl = rules.pseudo_label;
  return scoreEmotionsAt(table, rules, peakRow, pl.emotion_threshold, pl.min_present_fraction).map((e) => ({
    emotion: e.emotion,
    label: labelOf(rules, e.emotion),
    aus: rules.emotions[e.emotion]!.aus.filter((au) => table.presence[au]?.[peakRow] === 1),
    score: e.score,
  }));
}

export function analyzeAu(table: AuTable, rules: AuRuleSet, options: AnalyzeAuOptions): AuAnalysis {
  const rows = validRows(table);
  if (!rows.length) {
    const c = table.rowCounts;
    throw new MerrError(
      "E_INPUT_INVALID",
      `no valid face rows to analyse (${c.primary} rows: ${c.failed} failed, ${c.lowConfidence} below confidence ${table.minConfidence}, ${c.malformed} malformed)`,
    );
  }
  const peakMethod = options.peakMethod ?? rules.peak.method;
  const fractions = activeFractions(table, rules, rows);
  let peakRow: number;
  let paper: AuAnalysis["paper"];
  let merFactory: MerFactoryPeaks | undefined;
  if (peakMethod === "paper") {
    const p = paperPeak(table, rules, rows, fractions);
    peakRow = p.row;
    paper = { top_aus: p.topAus, score: p.score };
  } else {
    merFactory = merFactoryPeaks(table, rules, rows);
    peakRow = merFactory.overallRow;
  }
  const candidates =
    rules.pseudo_label.method === "pool-at-peak"
      ? poolAtPeakCandidates(table, rules, peakRow, fractions)
      : merFactoryCandidates(table, rules, peakRow);
  const best = candidates[0];
  let decision: AuDecision;
  let pseu: MerrLabel | undefined;
  let auList: string[] = [];
  if (best && best.label !== null) {
    pseu = best.label;
    auList = best.aus;
    decision = { status: "labelled", reason: `rule "${best.emotion}" fired on ${best.aus.join(", ")}` };
  } else if (best) {
    decision = { status: "filtered-out", reason: `rule "${best.emotion}" fired on ${best.aus.join(", ")}, but "${best.emotion}" is not a MERR label (the rule set maps it to null: drop)` };
  } else if (rules.pseudo_label.on_no_match === "neutral") {
    pseu = "neutral";
    decision = { status: "neutral", reason: "no AU rule fired: labelled neutral (on_no_match: neutral)" };
  } else {
    const active = activeAus(table, rules, peakRow);
    decision = { status: "filtered-out", reason: `no AU rule fired at the peak frame (active AUs: ${active.join(", ") || "none"})` };
  }
  const peakFrame = Math.max(0, table.frame[peakRow]! - 1);
  const peakAus = activeAus(table, rules, peakRow);
  return {
    ...(pseu ? { pseu_emotion: pseu } : {}),
    ...(best && pseu && decision.status === "labelled" ? { emotion: best.emotion } : {}),
    AU_list: auList,
    visual_prior_list: describeAus(auList, rules, options.seed),
    peak_index: String(peakFrame),
    peak_AU_list: peakAus,
    frame_count: trackedFrames(table),
    peak_frame: peakFrame,
    peak_row: peakRow,
    peak_time_s: table.timestamp[peakRow]!,
    peak_method: peakMethod,
    rules: { id: rules.id, version: rules.version, hash: rules.hash },
    rows: { ...table.rowCounts },
    candidates,
    label_aus: labelAusAtPeak(rules, peakAus, candidates, options.seed),
    decision,
    ...(paper ? { paper } : {}),
    ...(merFactory
      ? {
          mer_factory: {
            ...merFactory,
            peaks: merFactory.peaks.map((p) => ({ frame: p.frame, time_s: p.timeS, score: p.score, emotions: p.emotions })),
            peak_description: describeActiveAus(table, rules, peakRow),
          },
        }
      : {}),
  };
}
