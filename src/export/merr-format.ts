import type { MerrLabel } from "../core/labels.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import type { Selected, Selection } from "./select.ts";

/** The exact keys, in order, of a `MERR_fine_grained.json` entry. */
export const FINE_KEYS = [
  "AU_list",
  "visual_prior_list",
  "audio_prior_list",
  "peak_index",
  "peak_AU_list",
  "pseu_emotion",
  "text",
  "smp_reason_caption",
] as const;

/** `MERR_coarse_grained.json`: the same keys with `caption` in place of `smp_reason_caption`. */
export const COARSE_KEYS = [...FINE_KEYS.slice(0, 7), "caption"] as const;

interface CommonJson {
  AU_list: string[];
  visual_prior_list: string[];
  audio_prior_list: string;
  peak_index: string;
  peak_AU_list: string[];
  pseu_emotion: MerrLabel;
  text: string;
}
export interface CoarseJsonEntry extends CommonJson {
  caption: string;
}
export interface FineJsonEntry extends CommonJson {
  smp_reason_caption: string;
}

/** The MERR list name placeholder for "no valence" (MER2023). */
export const NO_VALENCE = "-10";

/** The shared keys in MERR order. `pseu_emotion` is the label of the list line the entry belongs to. */
function common(e: MerrEntry, label: MerrLabel): CommonJson {
  return {
    AU_list: [...e.auList],
    visual_prior_list: [...e.visualPriorList],
    audio_prior_list: e.audioPrior ?? "",
    peak_index: String(e.peakIndex ?? 0),
    peak_AU_list: [...e.peakAuList],
    pseu_emotion: label,
    text: e.text ?? "",
  };
}

export const coarseJsonEntry = ({ entry, label }: Selected): CoarseJsonEntry => ({
  ...common(entry, label),
  caption: entry.caption ?? "",
});

/**
 * A fine entry's `AU_list` and `visual_prior_list` are the AUs of its label's pool in `peak_AU_list`
 * (au-analyze's `label_aus`): in the real MERR fine-grained set `AU_list` is mostly `peak_AU_list`
 * intersected with the pool of the entry's label, which is the ground truth, not the AU pseudo-label. So a
 * clip whose rules fired `doubt` (lips part) and whose label is `angry` lists its lowered brows, not "Slightly
 * puzzled"; a label without a pool (neutral) or without its AUs at the peak lists none. For the
 * pseudo-label they hold the rule's `AU_list`, and any AU of its pool active at the peak but in fewer frames
 * than the rule asks. Records of au-analyze before version 4 keep the rule's.
 */
export const fineJsonEntry = ({ entry, label }: Selected): FineJsonEntry => {
  const own = entry.labelAus ? (entry.labelAus[label] ?? { aus: [], phrases: [] }) : undefined;
  return {
    ...common(entry, label),
    ...(own ? { AU_list: [...own.aus], visual_prior_list: [...own.phrases] } : {}),
    smp_reason_caption: entry.reason ?? "",
  };
};

/** Valence with at most 8 decimals (as in MERR: `-0.61232674`), or `-10` when unknown. */
export function formatValence(valence: number | undefined): string {
  if (valence === undefined || !Number.isFinite(valence)) return NO_VALENCE;
  return String(Math.round(valence * 1e8) / 1e8);
}

/** `name frame_count label` (coarse) or `name frame_count label valence` (fine): single spaces. */
export function listLine({ entry, label }: Selected, withValence: boolean): string {
  const cols = [entry.name, String(entry.frameCount ?? 0), label];
  if (withValence) cols.push(formatValence(entry.valence));
  return cols.join(" ");
}

/**
 * One JSON object keyed by name, entries in list order, as lines (an entry spans several). Generated
 * lazily so a 30k-entry file is streamed to disk, never held as one string.
 */
export function* annotationJsonLines<T>(items: readonly T[], toEntry: (item: T) => readonly [string, object]): Generator<string> {
  if (items.length === 0) {
    yield "{}";
    return;
  }
  yield "{";
  for (let i = 0; i < items.length; i++) {
    const [name, value] = toEntry(items[i]!);
    const body = JSON.stringify(value, null, 2).replace(/\n/g, "\n  ");
    yield `  ${JSON.stringify(name)}: ${body}${i < items.length - 1 ? "," : ""}`;
  }
  yield "}";
}

/** Lines joined with a final newline (what writeLinesAtomic writes). */
export const joinLines = (lines: Iterable<string>): string => {
  let out = "";
  for (const l of lines) out += `${l}\n`;
  return out;
};

export const MERR_FILES = {
  coarseJson: "MERR_coarse_grained.json",
  coarseList: "MERR_coarse_grained.txt",
  fineJson: "MERR_fine_grained.json",
  fineList: "MERR_fine_grained.txt",
  transcripts: "transcription_en_all.csv",
} as const;

/** The four MERR files, as line generators keyed by file name. Pure. */
export function merrFileLines(sel: Selection): Record<string, () => Iterable<string>> {
  return {
    [MERR_FILES.coarseJson]: () => annotationJsonLines(sel.coarse, (s) => [s.entry.name, coarseJsonEntry(s)] as const),
    [MERR_FILES.coarseList]: () => sel.coarse.map((s) => listLine(s, false)),
    [MERR_FILES.fineJson]: () => annotationJsonLines(sel.fine, (s) => [s.entry.name, fineJsonEntry(s)] as const),
    [MERR_FILES.fineList]: () => sel.fine.map((s) => listLine(s, true)),
  };
}

/** The four MERR files (file name -> content) of a selection. Pure. */
export function buildMerrFiles(sel: Selection): Record<string, string> {
  return Object.fromEntries(Object.entries(merrFileLines(sel)).map(([name, lines]) => [name, joinLines(lines())]));
}
