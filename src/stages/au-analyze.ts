import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { analyzeAu, type AuAnalysis } from "../core/au-analysis.ts";
import { rowWeights } from "../core/au-peak.ts";
import { loadAuRuleSet, MERR_LABELS, resolveAuRulesPath, withOverrides, type AuRuleOverrides } from "../core/au-rules.ts";
import { fileStamp, writeJsonAtomic } from "../core/fs.ts";
import { parseOpenFaceCsv } from "../core/openface-csv.ts";
import { parseLabelPolicy, resolveLabel } from "../core/labels.ts";
import { labelMapOption } from "./_options.ts";
import { defineStage, skip } from "./_stage.ts";
import { auExtract } from "./au-extract.ts";

const Fraction = z.number().min(0).max(1);

export const AuAnalyzeOptions = z.object({
  /** Rule set: a name in au-rules/ (`merr`, `merr-clean`, `mer-factory`, …) or a file path. @defaultValue "merr" */
  rules: z.string().min(1).default("merr"),
  /** Peak-frame method. @defaultValue the rule set's `peak.method` */
  peakMethod: z.enum(["paper", "mer-factory"]).optional(),
  // Threshold overrides (undefined = the rule file's value); see docs/au-analysis.md.
  minConfidence: Fraction.optional(),
  requireSuccess: z.boolean().optional(),
  intensityMin: z.number().optional(),
  minAus: z.int().min(1).optional(),
  minFrameFraction: Fraction.optional(),
  emotionThreshold: z.number().optional(),
  onNoMatch: z.enum(["filter", "neutral"]).optional(),
  topK: z.int().min(1).optional(),
  peakHeight: z.number().optional(),
  peakDistance: z.number().min(1).optional(),
  /**
   * Skip the clip (`low-face-coverage`) when the face is usable in fewer than this share of its frames:
   * the peak frame, the rules' frame fractions and the built-in analyzer's median baseline would rest on
   * a minority of the clip (docs/au-analysis.md). 0 turns the check off. @defaultValue 0.5
   */
  minFaceCoverage: Fraction.default(0.5),
  /**
   * Skip the clip (`face-too-small`) when the built-in analyzer saw the face at a median box width under
   * this many pixels (of the analysed frame): below it the AU curves are mostly noise (on the sample
   * clips shrunk to a 37 px box they agree with the clean clips at r 0.47, at 31 px 0.37;
   * docs/face-analyzer.md). OpenFace CSVs carry no width and are not checked. 0 turns the check off.
   * @defaultValue 40
   */
  minFaceWidth: z.number().min(0).default(40),
  /**
   * A sample whose ground-truth label is a MERR label and whose AU rules fire nothing goes on without a
   * pseudo-label (decision `kept`) instead of being filtered out, so it reaches the fine stage, which
   * explains its ground truth. The AU filter builds MERR's coarse set from unlabelled clips; the real fine
   * set holds labelled clips, 1352 of its 4487 neutral. Such a sample stays out of the coarse set and the
   * pseudo-label counts, and `merr eval` counts it as no pseudo-label prediction. `false`: the rule set's
   * `on_no_match` for every sample. @defaultValue true
   */
  keepLabelled: z.boolean().default(true),
  /**
   * Ground-truth labels outside the MERR set that count as MERR labels for `keepLabelled` (`disgust=angry`):
   * the fine stage's map, which `merr build --map-label` sets for both ({@link labelMapOption}). A label the
   * map drops (the default for every out-of-set label) is no MERR ground truth.
   */
  mapLabel: labelMapOption(),
});
export type AuAnalyzeOptions = z.infer<typeof AuAnalyzeOptions>;

const EmotionScore = z.object({ emotion: z.string(), score: z.number(), strength: z.string() });

export const AuAnalyzeOutput = z.object({
  /** The AU pseudo-label; absent when no rule fired and the sample goes on for its ground truth (decision `kept`). */
  pseu_emotion: z.enum(MERR_LABELS).optional(),
  emotion: z.string().optional(),
  AU_list: z.array(z.string()),
  visual_prior_list: z.array(z.string()),
  peak_index: z.string(),
  peak_AU_list: z.array(z.string()),
  frame_count: z.number().int(),
  peak_frame: z.number().int(),
  peak_row: z.number().int(),
  peak_time_s: z.number(),
  peak_method: z.enum(["paper", "mer-factory"]),
  rules: z.object({ id: z.string(), version: z.number(), hash: z.string() }),
  rows: z.object({
    total: z.number().int(),
    primary: z.number().int(),
    valid: z.number().int(),
    failed: z.number().int(),
    lowConfidence: z.number().int(),
    malformed: z.number().int(),
    otherFaces: z.number().int(),
  }),
  candidates: z.array(z.object({ emotion: z.string(), label: z.enum(MERR_LABELS).nullable(), aus: z.array(z.string()), score: z.number() })),
  /** Per label with an AU pool: its AUs at the peak (`labelAusAtPeak`) and their phrases (the fine set's `AU_list` for that label). */
  label_aus: z.partialRecord(z.enum(MERR_LABELS), z.object({ aus: z.array(z.string()), phrases: z.array(z.string()) })),
  decision: z.object({ status: z.enum(["labelled", "neutral", "kept", "filtered-out"]), reason: z.string() }),
  paper: z.object({ top_aus: z.array(z.string()), score: z.number() }).optional(),
  mer_factory: z
    .object({
      overallRow: z.number().int(),
      overallScore: z.number(),
      candidates: z.number().int(),
      peaks: z.array(z.object({ frame: z.number().int(), time_s: z.number(), score: z.number(), emotions: z.array(EmotionScore) })),
      summary: z.array(z.string()),
      expressive: z.boolean(),
      peak_description: z.string(),
    })
    .optional(),
  /** Share of the clip's frames with a usable face (valid rows / rows of the primary face). */
  coverage: z.number().min(0).max(1),
  /** The full analysis, also written when the sample is filtered out. */
  analysisPath: z.string(),
});
export type AuAnalyzeOutput = z.infer<typeof AuAnalyzeOutput>;

/** The options that override the rule set's thresholds (every option but the rule set and the stage's own). */
function ruleOverrides(options: AuAnalyzeOptions): AuRuleOverrides {
  const { rules: _rules, peakMethod: _peak, minFaceCoverage: _coverage, minFaceWidth: _width, keepLabelled: _labelled, mapLabel: _map, ...overrides } = options;
  return overrides;
}

/**
 * A labelled sample whose rules fired nothing goes on without a pseudo-label (decision `kept`; see
 * `keepLabelled`); a rule that fired a label the rule set drops (disgust) still filters it, as MERR dropped
 * disgust. Pure.
 */
export function keepLabelledSample(analysis: AuAnalysis, keep: boolean): AuAnalysis {
  if (!keep || analysis.decision.status !== "filtered-out" || analysis.candidates.length > 0) return analysis;
  return {
    ...analysis,
    decision: { status: "kept", reason: `${analysis.decision.reason}: kept without a pseudo-label for the fine stage, which explains its ground-truth label (keepLabelled)` },
  };
}

export const auAnalyze = defineStage({
  name: "au-analyze",
  // Whether the sample has a MERR ground truth (keepLabelled), not which: a relabelled sample redoes only fine.
  // An out-of-set label is read by name (mapLabel can keep one and drop another).
  // (Read with keepLabelled off too: a label that appears or goes then redoes the stage for nothing.)
  reads: ["labelled"],
  // 2: shares of frames (the rules' active fractions, the face coverage) are shares of the clip's frames
  // (rowWeights), which changes the figures only for a CSV analysed at an adaptive rate. 3: face-too-small.
  // 4: label_aus, each label's pool AUs active at the peak (the fine set's AU_list and the AUs its caption
  // cites); a sample with a MERR ground truth whose rules fire nothing goes on without a pseudo-label
  // (decision kept; keepLabelled).
  version: 4,
  // Editing the rule set's file redoes the stage.
  dataFiles: (options) => [resolveAuRulesPath(options.rules)],
  checkOptions: async (options) => void withOverrides(await loadAuRuleSet(options.rules), ruleOverrides(options)),
  description: "MERR steps 1-2: peak frame, AU pseudo-label rules (pseu_emotion, AU_list) and visual expression phrases",
  needs: { "au-extract": auExtract },
  options: AuAnalyzeOptions,
  output: AuAnalyzeOutput,
  async run({ sample, options, deps }, ctx) {
    const { rules: ruleName, peakMethod, minFaceCoverage, minFaceWidth } = options;
    // Kept per process while the file is unchanged: a long-running worker reads an edited rule set again.
    const rulesFile = resolveAuRulesPath(ruleName);
    const base = await ctx.resource(`au-rules:${rulesFile}:${fileStamp(rulesFile)}`, () => loadAuRuleSet(ruleName));
    const rules = withOverrides(base, ruleOverrides(options));
    ctx.provenance({ auRules: { id: rules.id, version: rules.version, hash: rules.hash, file: path.basename(rules.file) } });
    const csv = deps["au-extract"].csvPath;
    const table = parseOpenFaceCsv(await readFile(csv, "utf8"), {
      file: csv,
      minConfidence: rules.frames.min_confidence,
      requireSuccess: rules.frames.require_success,
    });
    if (table.rowCounts.valid === 0) {
      const c = table.rowCounts;
      return skip("no-face", `no usable face rows in ${path.basename(csv)}: ${c.failed} failed, ${c.lowConfidence} below confidence ${rules.frames.min_confidence}, ${c.malformed} malformed`);
    }
    // Frames, not rows: each row stands for the frames up to the next (rowWeights), so a CSV analysed at an
    // adaptive rate, denser around the face's peaks, is not read as more face than the clip has.
    const w = rowWeights(table);
    let valid = 0;
    let primary = 0;
    w.forEach((x, i) => {
      primary += x;
      if (table.valid[i]) valid += x;
    });
    const coverage = primary ? Math.round((valid / primary) * 1e4) / 1e4 : 0;
    if (coverage < minFaceCoverage) {
      return skip(
        "low-face-coverage",
        `the face is usable in ${valid} of ${primary} frames of ${path.basename(csv)} (${(coverage * 100).toFixed(0)}%), below minFaceCoverage ${minFaceCoverage}: too few to label the clip (lower it with --set au-analyze.minFaceCoverage=<0..1>)`,
      );
    }
    const faceWidth = deps["au-extract"].faceWidthPx;
    if (faceWidth !== undefined && faceWidth < minFaceWidth) {
      return skip(
        "face-too-small",
        `the face is about ${faceWidth} px wide (median box width in the analysed frames of ${path.basename(csv)}), below minFaceWidth ${minFaceWidth}: the built-in analyzer's AUs are mostly noise at that size (lower it with --set au-analyze.minFaceWidth=<px>, 0 turns the check off)`,
      );
    }
    // As the fine stage reads it (chooseLabel): a blank label is none, whatever the map's "*" says.
    const labelled = sample.label !== undefined && sample.label.trim() !== "" && resolveLabel(sample.label, parseLabelPolicy(options.mapLabel)).ok;
    const analysis = keepLabelledSample(analyzeAu(table, rules, { seed: sample.id, peakMethod }), options.keepLabelled && labelled);
    const analysisPath = path.join(ctx.sampleDir, "au-analysis.json");
    await writeJsonAtomic(analysisPath, analysis);
    ctx.logger.debug({ decision: analysis.decision.status, rows: analysis.rows }, "au analysis");
    if (analysis.decision.status === "filtered-out" || (!analysis.pseu_emotion && analysis.decision.status !== "kept")) {
      return skip("filtered-out", analysis.decision.reason);
    }
    return { ...analysis, coverage, analysisPath };
  },
});
