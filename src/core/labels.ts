import { MerrError } from "./errors.ts";

/**
 * The MERR label set, in the Emotion-LLaMA loader's index order (0..8). Any other word in a list file
 * crashes the trainer with a KeyError, so every label merr writes goes through {@link resolveLabel}.
 */
export const MERR_LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise", "fear", "contempt", "doubt"] as const;
export type MerrLabel = (typeof MERR_LABELS)[number];

const LABEL_SET: ReadonlySet<string> = new Set(MERR_LABELS);

export const isMerrLabel = (value: string): value is MerrLabel => LABEL_SET.has(value);

/**
 * Spellings seen in sources and model output, folded to one word. Values outside the MERR set
 * (`disgust`, `unknown`) stay as words so that the policy, not this table, decides what happens to them.
 */
const ALIASES: Readonly<Record<string, string>> = {
  // CREMA-D emotion codes
  ang: "angry", dis: "disgust", fea: "fear", hap: "happy", neu: "neutral", sad: "sad",
  // RAVDESS / MELD / DFEW / MER2023 words
  anger: "angry", angry: "angry", mad: "angry",
  happiness: "happy", happy: "happy", joy: "happy", joyful: "happy",
  sadness: "sad", sorrow: "sad",
  neutrality: "neutral", neutral: "neutral", calm: "neutral",
  worry: "worried", worried: "worried", anxious: "worried", anxiety: "worried", worries: "worried",
  surprise: "surprise", surprised: "surprise", surprising: "surprise",
  fear: "fear", fearful: "fear", afraid: "fear", scared: "fear",
  contempt: "contempt", contemptuous: "contempt",
  doubt: "doubt", doubtful: "doubt",
  disgust: "disgust", disgusted: "disgust",
};

/** Lower-cases, trims, strips punctuation and folds known spellings (`ANG` -> `angry`, `Sadness` -> `sad`). */
export function normaliseLabel(raw: string): string {
  const word = raw.trim().toLowerCase().replace(/[^a-z]+/g, "");
  return ALIASES[word] ?? word;
}

/** True when the sample's given label is a MERR label once its spelling is folded (`ANG`, `Sadness`); blank, `nan` or `disgust` are not. */
export const hasMerrLabel = (sample: { label?: string }): boolean => sample.label !== undefined && isMerrLabel(normaliseLabel(sample.label));

/** What to do with a label outside the MERR set: drop the sample, or write another label instead. */
export type LabelAction = "drop" | MerrLabel;

/**
 * How labels outside the MERR set are handled. MERR itself dropped `disgust` (2 samples).
 * @defaultValue `{ map: {}, otherwise: "drop" }`: every out-of-set label drops its sample.
 */
export interface LabelPolicy {
  /** Per normalised label (`disgust`), the action. */
  map: Readonly<Record<string, LabelAction>>;
  /** Action for any other out-of-set label (`unknown`, `contempt?`...). */
  otherwise: LabelAction;
}

export const DEFAULT_LABEL_POLICY: LabelPolicy = Object.freeze({ map: Object.freeze({}), otherwise: "drop" });

export type LabelResolution =
  | { ok: true; label: MerrLabel; raw: string; mappedFrom?: string }
  | { ok: false; raw: string; normalised: string };

/** Resolves a raw label to a MERR label under `policy`; `ok: false` means the sample is dropped. */
export function resolveLabel(raw: string, policy: LabelPolicy = DEFAULT_LABEL_POLICY): LabelResolution {
  const normalised = normaliseLabel(raw);
  if (isMerrLabel(normalised)) return { ok: true, label: normalised, raw };
  const action = policy.map[normalised] ?? policy.otherwise;
  if (action === "drop") return { ok: false, raw, normalised };
  return { ok: true, label: action, raw, mappedFrom: normalised };
}

/**
 * Parses `disgust=angry,unknown=drop,*=drop` (`*` sets `otherwise`). Targets must be MERR labels or
 * `drop`; an unknown target is E_USAGE.
 */
export function parseLabelPolicy(spec: string | undefined, base: LabelPolicy = DEFAULT_LABEL_POLICY): LabelPolicy {
  if (!spec || spec.trim() === "") return base;
  const map: Record<string, LabelAction> = { ...base.map };
  let otherwise = base.otherwise;
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [from, to, ...rest] = part.split("=").map((p) => p.trim());
    if (!from || to === undefined || rest.length > 0) {
      throw new MerrError("E_USAGE", `label map entry "${part}" is not FROM=TO (e.g. disgust=angry or disgust=drop)`);
    }
    const target = to.toLowerCase();
    if (target !== "drop" && !isMerrLabel(target)) {
      throw new MerrError(
        "E_USAGE",
        `label map entry "${part}": "${to}" is not one of ${MERR_LABELS.join(", ")} or drop`,
      );
    }
    if (from === "*") otherwise = target as LabelAction;
    else map[normaliseLabel(from)] = target as LabelAction;
  }
  return { map, otherwise };
}

/** A human-readable statement of the policy, written into export reports. */
export function describeLabelPolicy(policy: LabelPolicy): string {
  const parts = Object.entries(policy.map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, to]) => `${from}=${to}`);
  parts.push(`*=${policy.otherwise}`);
  return parts.join(",");
}
