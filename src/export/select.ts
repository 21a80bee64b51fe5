import { createHash } from "node:crypto";
import { MerrError } from "../core/errors.ts";
import { captionLabelMismatch } from "../core/fine-caption.ts";
import { DEFAULT_LABEL_POLICY, parseLabelPolicy, resolveLabel, type LabelPolicy, type MerrLabel } from "../core/labels.ts";
import type { MerrEntry } from "../core/merr-entry.ts";

/** Which neutral clips a set keeps: none, all, the first N or a fraction P of them in a seeded order. */
export type NeutralPolicy = { kind: "none" } | { kind: "all" } | { kind: "count"; n: number } | { kind: "fraction"; p: number };

export interface SelectOptions {
  /** @defaultValue every out-of-set label drops its sample */
  labelPolicy: LabelPolicy;
  /**
   * Neutral clips per set. MERR's coarse set has none (AU rules never yield neutral), which is why models
   * trained on it never predict neutral; the fine set had 1352 of 4487.
   * @defaultValue `{ coarse: none, fine: all }`
   */
  neutral: { coarse: NeutralPolicy; fine: NeutralPolicy };
  /** Seed of every random choice (neutral sampling, instruction choice). @defaultValue `"merr"` */
  seed: string;
  /**
   * The coarse list's label. `given`: the sample's own label where it has one (a reviewer's relabel, else
   * the source's label, mapped by `labelPolicy` or else by the build's `--map-label`), the AU pseudo-label
   * otherwise: a pseudo-label the source contradicts would teach a known wrong answer, and an out-of-set
   * label no map takes (disgust) leaves the coarse set as it leaves the fine one. `pseudo`: always the AU
   * pseudo-label (the paper's coarse set, built from unlabelled clips). Either way the coarse set holds
   * only samples an AU rule fired on, and their captions are the same.
   * @defaultValue `"given"`
   */
  coarseLabels: "given" | "pseudo";
}

export const DEFAULT_SELECT_OPTIONS: SelectOptions = {
  labelPolicy: DEFAULT_LABEL_POLICY,
  neutral: { coarse: { kind: "none" }, fine: { kind: "all" } },
  seed: "merr",
  coarseLabels: "given",
};

export interface Selected {
  entry: MerrEntry;
  label: MerrLabel;
}

/** Reason -> number of samples, written into the export report. */
export type Counts = Record<string, number>;

export interface Selection {
  /** Entries of the coarse set (pseudo-label), sorted by name. */
  coarse: Selected[];
  /** Entries of the fine set (final label), sorted by name. */
  fine: Selected[];
  /** Every entry that did not fail and was not filtered before the fine stage (jsonl and csv rows), sorted by name. */
  kept: MerrEntry[];
  excluded: { samples: Counts; coarse: Counts; fine: Counts };
  /**
   * Out-of-set labels: `dropped` and `mapped` (`disgust->angry`) counts over both sets; `overruled`: coarse
   * entries whose own label replaced a different AU pseudo-label (`happy->fear`).
   */
  labels: { dropped: Counts; mapped: Counts; overruled: Counts };
  /** Samples left out of the fine set because their caption ends on another label (`caption-not-for-label`), by name. */
  captionNotForLabel: string[];
}

/**
 * Parses `none`, `all`, `200` (count) or `25%` (fraction of the neutral clips). Throws E_USAGE otherwise.
 */
export function parseNeutralPolicy(spec: string): NeutralPolicy {
  const s = spec.trim().toLowerCase();
  if (s === "none" || s === "all") return { kind: s };
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (pct && Number(pct[1]) <= 100) return { kind: "fraction", p: Number(pct[1]) / 100 };
  if (/^\d+$/.test(s)) return { kind: "count", n: Number(s) };
  throw new MerrError("E_USAGE", `neutral policy "${spec}" is not none, all, a count (200) or a percentage (25%)`);
}

const REFUSAL_START =
  /^\s*(?:i['’]?m sorry|i am sorry|sorry,|i cannot|i can['’]?t|i can not|i am unable|i['’]?m unable|i apologi[sz]e|as an ai\b|unfortunately, i)/i;
const REFUSAL_ANYWHERE = /\b(?:as an ai (?:language )?model|i cannot (?:provide|help|assist|determine|analy[sz]e))\b/i;

/** True for an LLM refusal instead of a caption (real MERR contains about ten: "I cannot provide..."). */
export const isRefusal = (text: string): boolean => REFUSAL_START.test(text) || REFUSAL_ANYWHERE.test(text);

/** The coarse-set exclusion of a sample no AU rule fired on, kept for the fine set by its ground truth. */
const NO_RULE_FIRED = "no-rule-fired";

/** The fine-set exclusion of a sample whose caption ends on another label than its own ({@link captionLabelMismatch}). */
export const CAPTION_NOT_FOR_LABEL = "caption-not-for-label";

const bump = (counts: Counts, key: string, by = 1): void => {
  counts[key] = (counts[key] ?? 0) + by;
};

/**
 * The stage an upstream skip waited for, from its message (`au-extract skipped: no-face`, `probe failed: ...`,
 * `fine left no record ...`: src/runtime/execute.ts writes them so).
 */
const UPSTREAM_STAGE = /^([a-z0-9][a-z0-9-]*) (?:skipped|failed|left no record)\b/;

/**
 * The reason a required stage gave no output, named by the first stage that skipped or failed the sample
 * (`skipped:au-extract/no-face`, `skipped:probe/no-video`), not by the `upstream-skipped` of the stages that
 * followed it: the chain of upstream skips is followed to its start. `missing:coarse` when the stage has not
 * run yet (partial run). Where the chain cannot be followed further, the last stage reached is named.
 */
function missingReason(entry: MerrEntry, stage: string): string {
  const own = entry.stages[stage];
  if (!own || own.status === "done") return `missing:${stage}`;
  let name = stage;
  let s = own;
  const seen = new Set([stage]);
  while (s.code?.startsWith("upstream-")) {
    const next = UPSTREAM_STAGE.exec(s.message ?? "")?.[1];
    const up = next === undefined ? undefined : entry.stages[next];
    if (next === undefined || seen.has(next) || !up || up.status === "done") break;
    seen.add(next);
    name = next;
    s = up;
  }
  return `${s.status}:${name}/${s.code ?? "unknown"}`;
}

const FINE_STAGE = "fine";

/**
 * Why a sample is in no output: it failed, or a filter before the fine stage dropped it. A sample the fine
 * stage filtered out (its clues contradict its label, a refused caption) keeps its coarse entry, as in
 * MERR, whose coarse set is the AU filter's and the fine set a filtered part of it: the fine set names it
 * under its fine reason.
 */
function sampleExclusion(entry: MerrEntry): string | undefined {
  if (entry.status !== "failed" && entry.status !== "filtered") return undefined;
  if (entry.status === "filtered" && entry.reasons.length > 0 && entry.reasons.every((r) => r.stage === FINE_STAGE)) return undefined;
  const first = entry.reasons[0];
  return first ? `${entry.status}:${first.stage}/${first.code}` : entry.status;
}

/** A stable pseudo-random rank of `name` under `seed` (SHA-256), for seeded sampling without state. */
export function seededRank(seed: string, name: string): string {
  return createHash("sha256").update(`${seed}\u0000${name}`).digest("hex");
}

function applyNeutral(items: Selected[], policy: NeutralPolicy, seed: string, excluded: Counts): Selected[] {
  const neutral = items.filter((i) => i.label === "neutral");
  if (neutral.length === 0 || policy.kind === "all") return items;
  const keepCount =
    policy.kind === "none" ? 0 : policy.kind === "count" ? Math.min(policy.n, neutral.length) : Math.round(policy.p * neutral.length);
  const keep = new Set(
    neutral
      .map((i) => ({ name: i.entry.name, rank: seededRank(seed, i.entry.name) }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
      .slice(0, keepCount)
      .map((r) => r.name),
  );
  if (neutral.length - keep.size > 0) bump(excluded, "neutral-not-sampled", neutral.length - keep.size);
  return items.filter((i) => i.label !== "neutral" || keep.has(i.entry.name));
}

/**
 * Decides which entries go into the coarse and the fine set and with which MERR label, counting every
 * exclusion by reason. Pure and deterministic: the result depends only on the entries and the options.
 */
export function selectEntries(entries: Iterable<MerrEntry>, options: SelectOptions = DEFAULT_SELECT_OPTIONS): Selection {
  const sel: Selection = {
    coarse: [],
    fine: [],
    kept: [],
    excluded: { samples: {}, coarse: {}, fine: {} },
    labels: { dropped: {}, mapped: {}, overruled: {} },
    captionNotForLabel: [],
  };
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of sorted) {
    const out = sampleExclusion(entry);
    if (out) {
      bump(sel.excluded.samples, out);
      continue;
    }
    if (!/^\S+$/.test(entry.name)) {
      bump(sel.excluded.samples, "unsafe-name");
      continue;
    }
    sel.kept.push(entry);
    const coarseLabel = options.coarseLabels === "given" ? ownLabel(entry, options.labelPolicy) ?? entry.pseuEmotion : entry.pseuEmotion;
    const coarse = pick(entry, "coarse", coarseLabel, entry.caption, options.labelPolicy, sel);
    if (coarse) sel.coarse.push(coarse);
    if (coarse && entry.pseuEmotion !== undefined && coarse.label !== entry.pseuEmotion) bump(sel.labels.overruled, `${entry.pseuEmotion}->${coarse.label}`);
    const fine = pick(entry, "fine", entry.finalLabel, entry.reason, options.labelPolicy, sel);
    if (fine) sel.fine.push(fine);
  }
  sel.coarse = applyNeutral(sel.coarse, options.neutral.coarse, options.seed, sel.excluded.coarse);
  sel.fine = applyNeutral(sel.fine, options.neutral.fine, options.seed, sel.excluded.fine);
  return sel;
}

/**
 * The sample's own label, raw, for the coarse list: a reviewer's relabel (which replaced `pseuEmotion`),
 * else the source's label; undefined when it has none (blank is none, as for the fine stage). An
 * out-of-set label the export's policy drops is taken through the build's map (`--map-label`, which the
 * fine set's label went through) when that one maps it; else it is returned as it is, and dropped.
 */
function ownLabel(entry: MerrEntry, policy: LabelPolicy): string | undefined {
  if (entry.relabelled) return entry.pseuEmotion;
  const given = entry.sample?.label?.trim();
  if (!given) return undefined;
  if (resolveLabel(given, policy).ok || !entry.labelMap) return given;
  const built = resolveLabel(given, parseLabelPolicy(entry.labelMap));
  return built.ok ? built.label : given;
}

function pick(
  entry: MerrEntry,
  set: "coarse" | "fine",
  rawLabel: string | undefined,
  text: string | undefined,
  policy: LabelPolicy,
  sel: Selection,
): Selected | undefined {
  const excluded = sel.excluded[set];
  if (entry.stages["au-analyze"]?.status !== "done") return void bump(excluded, missingReason(entry, "au-analyze"));
  // The coarse set is the AU rules' (MERR step 1): a sample no rule fired on, kept for its ground truth
  // (au-analyze's keepLabelled), has no pseudo-label and belongs to the fine set only.
  if (set === "coarse" && entry.pseuEmotion === undefined) return void bump(excluded, NO_RULE_FIRED);
  if (text === undefined) return void bump(excluded, missingReason(entry, set));
  if (rawLabel === undefined) return void bump(excluded, `missing:${set}-label`);
  if (text.trim() === "") return void bump(excluded, `empty-${set === "coarse" ? "caption" : "reason"}`);
  if (isRefusal(text)) return void bump(excluded, "refusal");
  const resolved = resolveLabel(rawLabel, policy);
  if (!resolved.ok) {
    bump(excluded, `label-dropped:${resolved.normalised || "empty"}`);
    bump(sel.labels.dropped, resolved.normalised || "empty");
    return undefined;
  }
  // A fine caption explains its label: one that explains another (a relabel in merr view without a caption
  // edit) would teach the trainer the opposite of the list's label.
  if (set === "fine" && captionLabelMismatch(text, resolved.label)) {
    sel.captionNotForLabel.push(entry.name);
    return void bump(excluded, CAPTION_NOT_FOR_LABEL);
  }
  if (resolved.mappedFrom) bump(sel.labels.mapped, `${resolved.mappedFrom}->${resolved.label}`);
  return { entry, label: resolved.label };
}
