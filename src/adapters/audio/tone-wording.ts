import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { MerrError } from "../../core/errors.ts";
import type { ProsodyFeatures } from "./prosody.ts";

/** Numeric prosody features a wording file may refer to. */
export const TONE_FEATURES = [
  "durationS", "speechS", "phonationS", "voicedRatio",
  "f0MedianHz", "f0P5Hz", "f0P95Hz", "f0SdSemitones", "f0RangeSemitones",
  "loudnessDbfs", "loudnessP95Dbfs", "loudnessSdDb",
  "pauseCount", "pauseRatio", "meanPauseS",
  "syllables", "syllablesAcoustic", "speechRateSylPerS", "articulationRateSylPerS",
  "jitterPct", "shimmerPct", "hnrDb", "spectralCentroidHz",
] as const satisfies readonly (keyof ProsodyFeatures)[];

const Feature = z.enum(TONE_FEATURES);
const Band = z.strictObject({
  below: z.number().optional(),
  word: z.string().min(1).nullable(),
  /** The word when the descriptor's `count` feature is exactly 1 ("a long pause" for "long pauses"). */
  one: z.string().min(1).optional(),
});
const Limits = z
  .strictObject({ above: z.number().optional(), below: z.number().optional() })
  .refine((l) => l.above !== undefined || l.below !== undefined, "give above and/or below");

const Descriptor = z
  .strictObject({
    id: z.string().min(1),
    slot: z.enum(["adjective", "with"]),
    feature: Feature.optional(),
    bands: z.array(Band).min(2).optional(),
    /** With bands: the feature that counts what the words name (a band's `one` is said when it is 1). */
    count: Feature.optional(),
    when: z.partialRecord(Feature, Limits).optional(),
    word: z.string().min(1).optional(),
  })
  .superRefine((d, ctx) => {
    const banded = d.feature !== undefined || d.bands !== undefined;
    const ruled = d.when !== undefined || d.word !== undefined;
    if (banded === ruled || (banded && !(d.feature && d.bands)) || (ruled && !(d.when && d.word))) {
      ctx.addIssue({ code: "custom", message: "a descriptor has either feature + bands, or when + word" });
      return;
    }
    if (d.count !== undefined && !banded) ctx.addIssue({ code: "custom", path: ["count"], message: "count goes with feature + bands" });
    if (d.bands?.some((b) => b.one !== undefined) && d.count === undefined) ctx.addIssue({ code: "custom", path: ["bands"], message: "a band's one needs the descriptor's count" });
    d.bands?.forEach((b, i, all) => {
      const lastBand = i === all.length - 1;
      if (lastBand !== (b.below === undefined)) {
        ctx.addIssue({ code: "custom", path: ["bands", i, "below"], message: lastBand ? "the last band has no below" : "every band but the last needs below" });
      }
      const prev = all[i - 1]?.below;
      if (b.below !== undefined && prev !== undefined && b.below <= prev) {
        ctx.addIssue({ code: "custom", path: ["bands", i, "below"], message: `bands must ascend (${b.below} <= ${prev})` });
      }
    });
  });

const ArousalTerm = z.strictObject({ feature: Feature, center: z.number(), scale: z.number().positive(), weight: z.number().positive() });

export const ToneWordingSchema = z.strictObject({
  version: z.literal(1),
  sentence: z.strictObject({
    adjectiveLead: z.string().min(1),
    noun: z.string().min(1),
    plainLead: z.string().min(1),
    neutral: z.string().min(1),
  }),
  descriptors: z.array(Descriptor).min(1),
  arousal: z.array(ArousalTerm).min(1),
});

export type ToneWording = z.infer<typeof ToneWordingSchema>;

/**
 * Parses a wording file. Pure: text in, typed wording out. Every problem is reported at once,
 * each as `<file>:<line>: <path>: <message>` (E_DATA_INVALID).
 */
export function parseToneWording(text: string, file = "data/tone/wording.yaml"): ToneWording {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`);
    throw new MerrError("E_DATA_INVALID", `invalid YAML: ${msgs.join("; ")}`);
  }
  const parsed = ToneWordingSchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  const msgs = parsed.error.issues.map((issue) => {
    // Point at the deepest node of the path that exists in the document.
    let line = 1;
    for (let depth = issue.path.length; depth >= 0; depth--) {
      const node = doc.getIn(issue.path.slice(0, depth) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) {
        line = lines.linePos(node.range[0]).line;
        break;
      }
    }
    return `${file}:${line}: ${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`;
  });
  throw new MerrError("E_DATA_INVALID", msgs.join("; "));
}

export async function loadToneWording(file: string): Promise<ToneWording> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new MerrError("E_DATA_INVALID", `${file}: cannot read the tone wording file: ${(error as Error).message}`, { cause: error });
  }
  return parseToneWording(text, file);
}

type NumericFeatures = Pick<ProsodyFeatures, (typeof TONE_FEATURES)[number]>;

export interface ToneDescription {
  /** MERR-style fragment, e.g. "speaks in a loud and fast voice with lively intonation." */
  description: string;
  /** Which descriptors fired with which word (provenance of the sentence). */
  words: Array<{ id: string; word: string }>;
  /** In [-1, 1]. */
  arousal: number;
}

const joinWords = (words: readonly string[], last = " and "): string =>
  words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")}${last}${words[words.length - 1]}`;

/** Builds the tone fragment and the arousal score from measured features. Pure. */
export function describeTone(features: NumericFeatures, wording: ToneWording): ToneDescription {
  const value = (f: (typeof TONE_FEATURES)[number]): number | null => {
    const v = features[f];
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };
  const fired: Array<{ id: string; slot: "adjective" | "with"; word: string }> = [];
  for (const d of wording.descriptors) {
    let word: string | null = null;
    if (d.feature && d.bands) {
      const v = value(d.feature);
      if (v === null) continue;
      const band = d.bands.find((b) => b.below === undefined || v < b.below);
      word = band?.one !== undefined && d.count !== undefined && value(d.count) === 1 ? band.one : (band?.word ?? null);
    } else if (d.when && d.word) {
      const ok = Object.entries(d.when).every(([f, lim]) => {
        const v = value(f as (typeof TONE_FEATURES)[number]);
        return v !== null && lim !== undefined && (lim.above === undefined || v > lim.above) && (lim.below === undefined || v < lim.below);
      });
      word = ok ? d.word : null;
    }
    if (word && !fired.some((w) => w.word === word)) fired.push({ id: d.id, slot: d.slot, word });
  }
  const adjectives = fired.filter((w) => w.slot === "adjective").map((w) => w.word);
  const withs = fired.filter((w) => w.slot === "with").map((w) => w.word);
  const s = wording.sentence;
  let description: string;
  if (adjectives.length === 0 && withs.length === 0) description = s.neutral;
  else {
    const head = adjectives.length
      ? `${s.adjectiveLead} ${/^[aeiou]/i.test(adjectives[0]!) ? "an" : "a"} ${joinWords(adjectives)} ${s.noun}`
      : s.plainLead;
    description = `${head}${withs.length ? ` with ${joinWords(withs)}` : ""}.`;
  }
  let num = 0;
  let den = 0;
  for (const t of wording.arousal) {
    const v = value(t.feature);
    if (v === null) continue;
    num += t.weight * Math.max(-1, Math.min(1, (v - t.center) / t.scale));
    den += t.weight;
  }
  const arousal = den > 0 ? Math.round((num / den) * 1000) / 1000 : 0;
  return { description, words: fired.map(({ id, word }) => ({ id, word })), arousal };
}
