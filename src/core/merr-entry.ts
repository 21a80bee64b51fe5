import type { LabelAus } from "./au-analysis.ts";
import type { SampleRecords, SampleStatus } from "./records.ts";
import type { Sample } from "./types.ts";

/**
 * One sample as the exporters and the evaluation see it: every stage output that MERR needs, pulled out
 * of the sample's records and normalised (types checked, absent values explicit). Exporters are pure
 * functions over entries, so they never depend on how the stages spell their records.
 */
export interface MerrEntry {
  /** The sample id: MERR's `name` (no spaces, no extension). */
  name: string;
  sample?: Sample;
  /** The sample record's status; `running` when the run has not finished this sample (no sample.json). */
  status: SampleStatus | "running";
  /** Why the sample is not `done` (from the sample record). */
  reasons: Array<{ stage: string; code: string; message: string }>;
  /** Parts a sample went on without (a stage's partial skip: no audio track, no speech), from the sample record. */
  notes?: Array<{ stage: string; code: string; message: string }>;
  /** Number of face frames (au-analyze), else the probed frame count, else duration x fps. */
  frameCount?: number;
  durationS?: number;
  fps?: number;
  /** au-analyze: the AU-rule pseudo-label, raw. */
  pseuEmotion?: string;
  auList: string[];
  visualPriorList: string[];
  peakIndex?: number;
  peakAuList: string[];
  /**
   * au-analyze: per label, the AUs of its pool active at the peak and their phrases (`label_aus`); absent
   * in records of au-analyze before version 4.
   */
  labelAus?: Partial<Record<string, LabelAus>>;
  /** audio-tone: the tone fragment spliced into captions ("speaks in a normal tone."). */
  audioPrior?: string;
  /** audio-tone: the lip check's verdict (`moving`, `still`, `unclear`, `not-seen`), when it ran. */
  lipSync?: string;
  /** transcript: the English subtitle, and where it came from (`given`, `asr`...). */
  text?: string;
  textSource?: string;
  /** coarse: the coarse caption. */
  caption?: string;
  /** fine: the label-conditioned reasoning and its label, raw. */
  fineLabel?: string;
  reason?: string;
  confidence?: number;
  /** What conditioned the fine caption's label (`ground-truth`, `pseudo`, `open`), when the stage says. */
  fineConditioning?: string;
  /** The build's label map for out-of-set labels (`--map-label disgust=angry`: the fine stage's `mapLabel`), when one was given. */
  labelMap?: string;
  /** Valence in [-1, 1] when a stage estimated it. */
  valence?: number;
  /** The final label (finalize, else fine), raw. */
  finalLabel?: string;
  /** A reviewer gave the sample a label in merr view (set by the export when it applies the reviews). */
  relabelled?: boolean;
  /** extract-audio: 16 kHz mono WAV. */
  wavPath?: string;
  /** Utterance feature files named by stage outputs, keyed by trainer folder (`HL-UTT`...). */
  features: Partial<Record<FeatureFolder, string>>;
  /** Per stage: status, version, skip/error code. */
  stages: Record<string, { status: "done" | "skipped" | "failed"; version: number; code?: string; message?: string }>;
  /** Per stage: its raw output (done stages only). */
  outputs: Record<string, unknown>;
  /** Per stage: its provenance fields. */
  provenance: Record<string, Record<string, unknown>>;
  /** Per stage: its record's input fingerprint (what a review made on this entry was made on). */
  inputs: Record<string, string>;
}

/** The trainer's feature folders, next to the list file. "340"/"399" are checkpoint numbers, not sizes. */
export const FEATURE_FOLDERS = ["mae_340_UTT", "maeV_399_UTT", "HL-UTT"] as const;
export type FeatureFolder = (typeof FEATURE_FOLDERS)[number];

type Obj = Record<string, unknown>;

const asObj = (v: unknown): Obj | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;

/** The first key of `keys` that holds a string. */
function str(o: Obj | undefined, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = o?.[k];
    if (typeof v === "string") return v;
  }
  return undefined;
}

function num(o: Obj | undefined, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = o?.[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

function strList(o: Obj | undefined, ...keys: string[]): string[] {
  for (const k of keys) {
    const v = o?.[k];
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
    if (typeof v === "string" && v.trim() !== "") return v.trim().split(/[\s,]+/);
  }
  return [];
}

/** au-analyze's `label_aus`, each entry with as many phrases as AUs (an entry that is not is left out). */
function labelAusOf(o: Obj | undefined): MerrEntry["labelAus"] {
  if (!o) return undefined;
  const out: NonNullable<MerrEntry["labelAus"]> = {};
  for (const [label, value] of Object.entries(o)) {
    const v = asObj(value);
    const aus = strList(v, "aus");
    const phrases = strList(v, "phrases");
    if (v && Array.isArray(v.aus) && aus.length === phrases.length) out[label] = { aus, phrases };
  }
  return out;
}

/** Which trainer folder a stage output key holding a .npy path belongs to, by its name. */
export function featureFolderOfKey(key: string): FeatureFolder | undefined {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (k.includes("hlutt") || k.includes("hubert")) return "HL-UTT";
  if (k.includes("maev") || k.includes("videomae")) return "maeV_399_UTT";
  if (k.includes("mae340") || k.includes("maeutt") || k.includes("facemae") || k === "mae" || k === "maenpy") return "mae_340_UTT";
  return undefined;
}

function findFeatures(outputs: Record<string, unknown>): Partial<Record<FeatureFolder, string>> {
  const found: Partial<Record<FeatureFolder, string>> = {};
  const visit = (value: unknown, key: string, depth: number): void => {
    if (typeof value === "string") {
      const folder = value.endsWith(".npy") ? (featureFolderOfKey(key) ?? folderInPath(value)) : undefined;
      if (folder && !found[folder]) found[folder] = value;
      return;
    }
    const o = asObj(value);
    if (o && depth < 3) for (const [k, v] of Object.entries(o).sort(([a], [b]) => a.localeCompare(b))) visit(v, k, depth + 1);
  };
  for (const stage of Object.keys(outputs).sort()) visit(outputs[stage], stage, 0);
  return found;
}

const folderInPath = (file: string): FeatureFolder | undefined =>
  FEATURE_FOLDERS.find((f) => file.split(/[\\/]/).includes(f) || file.endsWith(`/${f}.npy`));

/** Builds the normalised entry of one sample from everything the run left for it. Pure. */
export function entryFromRecords(records: SampleRecords): MerrEntry {
  const outputs: Record<string, unknown> = {};
  const stages: MerrEntry["stages"] = {};
  const provenance: MerrEntry["provenance"] = {};
  const inputs: MerrEntry["inputs"] = {};
  for (const name of Object.keys(records.stages).sort()) {
    const rec = records.stages[name]!;
    const note = rec.status === "skipped" ? rec.skip : rec.status === "failed" ? rec.error : undefined;
    stages[name] = { status: rec.status, version: rec.version, ...(note ? { code: note.code, message: note.message } : {}) };
    if (rec.status === "done" && rec.output !== undefined) outputs[name] = rec.output;
    provenance[name] = rec.provenance ?? {};
    // What a review is made on: a record taken over from an earlier merr, while it keeps the fingerprint it
    // was given then, counts under the fingerprint it was made under (former.json).
    const former = records.former?.[name];
    inputs[name] = former && former.fingerprint === rec.fingerprint ? former.former : rec.fingerprint;
  }
  const au = asObj(outputs["au-analyze"]);
  const tone = asObj(outputs["audio-tone"]);
  const transcript = asObj(outputs["transcript"]);
  const coarse = asObj(outputs["coarse"]);
  const fine = asObj(outputs["fine"]);
  const finalize = asObj(outputs["finalize"]);
  const probe = asObj(outputs["probe"]);
  const audio = asObj(outputs["extract-audio"]);
  const fps = num(probe, "fps");
  const durationS = num(probe, "durationS");
  const frameCount =
    num(au, "frame_count", "frameCount", "faceFrameCount") ??
    num(probe, "frameCount") ??
    (fps !== undefined && durationS !== undefined ? Math.round(fps * durationS) : undefined);
  const sample = records.sample ?? records.record?.sample;
  const fineLabel = str(fine, "label", "emotion");
  return {
    name: records.id,
    ...(sample ? { sample } : {}),
    status: records.record?.status ?? "running",
    reasons: records.record?.reasons ?? [],
    ...(records.record?.notes?.length ? { notes: records.record.notes } : {}),
    ...(frameCount !== undefined ? { frameCount: Math.max(0, Math.round(frameCount)) } : {}),
    ...(durationS !== undefined ? { durationS } : {}),
    ...(fps !== undefined ? { fps } : {}),
    ...opt("pseuEmotion", str(au, "pseu_emotion", "pseuEmotion", "label")),
    auList: strList(au, "AU_list", "auList"),
    visualPriorList: strList(au, "visual_prior_list", "visualPriorList"),
    ...opt("peakIndex", num(au, "peak_index", "peakIndex")),
    peakAuList: strList(au, "peak_AU_list", "peakAuList"),
    ...opt("labelAus", labelAusOf(asObj(au?.label_aus))),
    ...opt("audioPrior", str(tone, "description", "audio_prior_list", "fragment")),
    ...opt("lipSync", str(asObj(tone?.lipSync), "verdict")),
    ...opt("text", str(transcript, "text") ?? sample?.transcript),
    ...opt("textSource", str(transcript, "source") ?? (sample?.transcript !== undefined ? "given" : undefined)),
    ...opt("caption", str(coarse, "caption")),
    ...opt("fineLabel", fineLabel),
    ...opt("reason", str(fine, "smp_reason_caption", "reason", "caption")),
    ...opt("confidence", num(fine, "confidence")),
    ...opt("fineConditioning", str(fine, "conditioning")),
    ...opt("labelMap", str(asObj(records.stages.fine?.options), "mapLabel") || undefined),
    ...opt("valence", num(finalize, "valence") ?? num(fine, "valence") ?? num(au, "valence")),
    ...opt("finalLabel", str(finalize, "label", "final_label") ?? fineLabel),
    ...opt("wavPath", str(audio, "wavPath")),
    features: findFeatures(outputs),
    stages,
    outputs,
    provenance,
    inputs,
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
