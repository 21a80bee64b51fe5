import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { MerrError } from "./errors.ts";
import { hashJson } from "./ids.ts";
import { PROJECT_ROOT, projectPath } from "./paths.ts";

/**
 * AU rule sets (`au-rules/<name>.yaml`): the AU vocabulary, the emotion -> AU pools, the firing condition
 * of the pseudo-label rules, the frame filter and the peak-frame parameters. A rule set is data: a new
 * file in `au-rules/` (or any path) is a new rule set, no code change. See docs/au-analysis.md.
 */

/** The nine MERR labels, in the trainer's index order. */
export const MERR_LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise", "fear", "contempt", "doubt"] as const;
export type MerrLabel = (typeof MERR_LABELS)[number];

const AuCode = z.string().regex(/^AU\d{2}$/, "an AU code such as AU01");
const Fraction = z.number().min(0).max(1);
const OnNoMatch = z.enum(["filter", "neutral"]).default("filter");

const AuEntry = z.strictObject({
  /** Canonical FACS name, used by MER-Factory style descriptions and the `canonical` synonym mode. */
  name: z.string().min(1),
  /** Phrases drawn for `visual_prior_list` (one per AU, seeded by the sample id). */
  synonyms: z.array(z.string().min(1)).default([]),
});

const Emotion = z.strictObject({
  aus: z.array(AuCode).min(1),
  /** Overrides `pseudo_label.min_aus` for this emotion. */
  min_aus: z.int().min(1).optional(),
  /**
   * Overrides `pseudo_label.min_frame_fraction` for this emotion (`pool-at-peak` only): e.g. a lips-part
   * rule that speech, which parts the lips in a fifth of its frames, should not fire.
   */
  min_frame_fraction: Fraction.optional(),
  /** MERR label the emotion becomes; `null` drops the sample; default: the emotion name itself. */
  label: z.enum(MERR_LABELS).nullable().optional(),
  /** Ranked after every non-fallback rule that fired (for one-AU pools such as doubt = AU25). */
  fallback: z.boolean().default(false),
});

const PoolAtPeak = z.strictObject({
  method: z.literal("pool-at-peak"),
  /** AUs of the pool that must be active at the peak frame. */
  min_aus: z.int().min(1).default(2),
  /** Each matched AU must also be active in at least this fraction of the valid frames. */
  min_frame_fraction: Fraction.default(0.1),
  /**
   * How fired rules are ranked: `coverage` = fraction of the pool matched (then matched count), `count` =
   * matched count (then coverage); ties -> mean intensity, then file order.
   */
  rank_by: z.enum(["coverage", "count"]).default("coverage"),
  on_no_match: OnNoMatch,
});

const MerFactoryScoring = z.strictObject({
  method: z.literal("mer-factory"),
  /** Mean intensity of the pool's `_r` columns needed at the peak frame. */
  emotion_threshold: z.number().default(0.8),
  /** Fraction of the pool's `_c` columns that must equal 1. */
  min_present_fraction: Fraction.default(0.5),
  on_no_match: OnNoMatch,
});

export const AuRuleSetSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "kebab-case id"),
    version: z.int().min(1),
    description: z.string().default(""),
    frames: z
      .strictObject({ min_confidence: Fraction.default(0.8), require_success: z.boolean().default(true) })
      .prefault({}),
    active: z
      .strictObject({
        intensity_min: z.number().default(1),
        /** `true`: intensity >= intensity_min; `false`: intensity > intensity_min (MER-Factory). */
        inclusive: z.boolean().default(true),
        /** `require`: the AU's `_c` column (when present) must also be 1; `ignore`: intensity only. */
        presence: z.enum(["require", "ignore"]).default("require"),
      })
      .prefault({}),
    aus: z.record(AuCode, AuEntry),
    emotions: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "lowercase emotion name"), Emotion),
    pseudo_label: z.discriminatedUnion("method", [PoolAtPeak, MerFactoryScoring]),
    peak: z
      .strictObject({
        method: z.enum(["paper", "mer-factory"]).default("paper"),
        paper: z
          .strictObject({
            top_k: z.int().min(1).default(5),
            exclude: z.array(AuCode).default(["AU45"]),
            clamp_negative: z.boolean().default(true),
          })
          .prefault({}),
        mer_factory: z
          .strictObject({
            height: z.number().default(0.8),
            distance: z.number().min(1).default(15),
            emotion_threshold: z.number().default(0.8),
          })
          .prefault({}),
      })
      .prefault({}),
    describe: z.strictObject({ synonyms: z.enum(["seeded", "canonical"]).default("seeded") }).prefault({}),
  })
  .superRefine((rules, ctx) => {
    for (const [name, emotion] of Object.entries(rules.emotions)) {
      emotion.aus.forEach((au, i) => {
        if (!rules.aus[au]) ctx.addIssue({ code: "custom", path: ["emotions", name, "aus", i], message: `${au} is not defined under "aus"` });
      });
      const minAus = emotion.min_aus ?? (rules.pseudo_label.method === "pool-at-peak" ? rules.pseudo_label.min_aus : 1);
      if (minAus > emotion.aus.length) {
        ctx.addIssue({
          code: "custom",
          path: ["emotions", name, emotion.min_aus === undefined ? "aus" : "min_aus"],
          message: `emotion "${name}" needs ${minAus} AUs but its pool has ${emotion.aus.length} (set min_aus)`,
        });
      }
      if (emotion.min_frame_fraction !== undefined && rules.pseudo_label.method !== "pool-at-peak") {
        ctx.addIssue({
          code: "custom",
          path: ["emotions", name, "min_frame_fraction"],
          message: `min_frame_fraction applies to pseudo_label method pool-at-peak only (this rule set uses ${rules.pseudo_label.method}): remove it`,
        });
      }
      if (emotion.label === undefined && !(MERR_LABELS as readonly string[]).includes(name)) {
        ctx.addIssue({ code: "custom", path: ["emotions", name], message: `"${name}" is not a MERR label: add label: <one of ${MERR_LABELS.join(", ")}> or label: null (drop)` });
      }
    }
  });

export type AuRuleSetData = z.infer<typeof AuRuleSetSchema>;
export interface AuRuleSet extends AuRuleSetData {
  /** File the rule set came from (absolute). */
  file: string;
  /** Stable hash of the parsed rules (recorded in provenance). */
  hash: string;
}

const KNOWN_KEYS = [
  "id", "version", "description", "frames", "min_confidence", "require_success", "active", "intensity_min", "inclusive",
  "presence", "aus", "name", "synonyms", "emotions", "min_aus", "label", "fallback", "rank_by", "pseudo_label", "method", "min_frame_fraction",
  "on_no_match", "emotion_threshold", "min_present_fraction", "peak", "paper", "top_k", "exclude", "clamp_negative",
  "mer_factory", "height", "distance", "describe",
];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

function suggest(key: string): string {
  const best = KNOWN_KEYS.map((k) => [k, editDistance(key, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 2 ? ` (did you mean "${best[0]}"?)` : "";
}

/** Line (1-based) of the node at `p` in the document, or of its nearest existing parent. */
function lineOf(doc: Document, lc: LineCounter, p: readonly PropertyKey[], key?: string): number {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n) as unknown[], true);
    if (!node || typeof node !== "object" || !("range" in node)) continue;
    if (key !== undefined && n === p.length && isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lc.linePos(range[0]).line;
    }
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return lc.linePos(range[0]).line;
  }
  return 1;
}

function displayName(file: string): string {
  const rel = path.relative(PROJECT_ROOT, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** Parses and validates a rule file's text (YAML or JSON). Pure. Errors cite file and line. */
export function parseAuRuleSet(text: string, file: string): AuRuleSet {
  const shown = displayName(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => `${shown}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split("\n")[0]}`);
    throw new MerrError("E_DATA_INVALID", lines.join("\n[E_DATA_INVALID] "), { details: { file } });
  }
  const parsed = AuRuleSetSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => `${shown}:${lineOf(doc, lc, issue.path, k)}: unknown key "${k}"${suggest(k)}`).join("\n[E_DATA_INVALID] ");
      }
      const where = issue.path.length ? ` (${issue.path.join(".")})` : "";
      // A required key that is absent has no line of its own: say which key, at its parent's line.
      if (issue.code === "invalid_type" && /received undefined/.test(issue.message) && issue.path.length) {
        const parent = issue.path.slice(0, -1);
        const key = String(issue.path[issue.path.length - 1]);
        return parent.length ? `${shown}:${lineOf(doc, lc, parent)}: missing key "${key}" in ${parent.join(".")}` : `${shown}: missing key "${key}"`;
      }
      return `${shown}:${lineOf(doc, lc, issue.path)}: ${issue.message}${where}`;
    });
    throw new MerrError("E_DATA_INVALID", lines.join("\n[E_DATA_INVALID] "), { details: { file, issues: parsed.error.issues.length } });
  }
  return { ...parsed.data, file, hash: hashJson(parsed.data) };
}

/** Where a rule set name or path points: a bare name means `au-rules/<name>.yaml` of the project. */
export function resolveAuRulesPath(nameOrPath: string): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(nameOrPath)) return projectPath("au-rules", `${nameOrPath}.yaml`);
  return path.resolve(nameOrPath);
}

/** Loads a rule set by name (`merr`, `merr-clean`, `mer-factory`, any file in au-rules/) or by path. */
export async function loadAuRuleSet(nameOrPath: string): Promise<AuRuleSet> {
  const file = resolveAuRulesPath(nameOrPath);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const shipped = file.startsWith(projectPath("au-rules")) ? await listAuRuleSets().catch(() => []) : [];
    const hint = file.startsWith(projectPath("au-rules")) ? `: no rule set "${nameOrPath}" in au-rules/ (there: ${shipped.join(", ") || "none"}; or give a file's path)` : "";
    throw new MerrError("E_CONFIG_INVALID", `cannot read AU rules ${displayName(file)}${hint} (${(error as Error).message})`, { cause: error });
  }
  return parseAuRuleSet(text, file);
}

/** Names of the rule sets shipped in au-rules/ (every `*.yaml` there). */
export async function listAuRuleSets(): Promise<string[]> {
  return (await readdir(projectPath("au-rules"))).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();
}

/** Threshold overrides a stage or the CLI may apply on top of a rule set (undefined = keep the file's). */
export interface AuRuleOverrides {
  minConfidence?: number;
  requireSuccess?: boolean;
  intensityMin?: number;
  minAus?: number;
  minFrameFraction?: number;
  emotionThreshold?: number;
  onNoMatch?: "filter" | "neutral";
  topK?: number;
  peakHeight?: number;
  peakDistance?: number;
}

/** A copy of `rules` with the overrides applied, validated again and re-hashed. */
export function withOverrides(rules: AuRuleSet, o: AuRuleOverrides): AuRuleSet {
  if (Object.values(o).every((v) => v === undefined)) return rules;
  const { file, hash: _hash, ...data } = rules;
  const def = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
  const pl = data.pseudo_label;
  const merged = {
    ...data,
    frames: { min_confidence: def(o.minConfidence, data.frames.min_confidence), require_success: def(o.requireSuccess, data.frames.require_success) },
    active: { ...data.active, intensity_min: def(o.intensityMin, data.active.intensity_min) },
    pseudo_label:
      pl.method === "pool-at-peak"
        ? { ...pl, min_aus: def(o.minAus, pl.min_aus), min_frame_fraction: def(o.minFrameFraction, pl.min_frame_fraction), on_no_match: def(o.onNoMatch, pl.on_no_match) }
        : { ...pl, emotion_threshold: def(o.emotionThreshold, pl.emotion_threshold), on_no_match: def(o.onNoMatch, pl.on_no_match) },
    peak: {
      ...data.peak,
      paper: { ...data.peak.paper, top_k: def(o.topK, data.peak.paper.top_k) },
      mer_factory: {
        ...data.peak.mer_factory,
        height: def(o.peakHeight, data.peak.mer_factory.height),
        distance: def(o.peakDistance, data.peak.mer_factory.distance),
        emotion_threshold: def(o.emotionThreshold, data.peak.mer_factory.emotion_threshold),
      },
    },
  };
  const parsed = AuRuleSetSchema.safeParse(merged);
  if (!parsed.success) {
    const text = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new MerrError("E_CONFIG_INVALID", `AU rule overrides on ${displayName(file)} are invalid: ${text}`);
  }
  return { ...parsed.data, file, hash: hashJson({ ...parsed.data }) };
}
