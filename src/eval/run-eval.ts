import path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { collapseWarning, countLabel, formatDistribution, type LabelCounts } from "../core/label-balance.ts";
import { DEFAULT_LABEL_POLICY, describeLabelPolicy, normaliseLabel, parseLabelPolicy, resolveLabel, type LabelPolicy } from "../core/labels.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import { describeUnlisted, findUnlisted } from "../core/run-samples.ts";
import { foldReviews, loadReviews, reviewsBySample } from "../core/reviews.ts";
import { loadEntries } from "../export/load-entries.ts";
import { renderConfusionSvg } from "./confusion-svg.ts";
import { loadGroundTruth, type GroundTruthOptions } from "./ground-truth.ts";
import { computeMetrics, type Metrics } from "./metrics.ts";

export interface RunEvalOptions extends GroundTruthOptions {
  runDir: string;
  /** Labels CSV; without it the labels carried by the samples (`sample.label`) are the ground truth. */
  labelsFile?: string;
  /** Where eval.json and the SVGs go. @defaultValue `<runDir>/eval` */
  outDir?: string;
  /** Applied to ground truth and predictions alike. @defaultValue drop every out-of-set label */
  labelPolicy?: LabelPolicy;
  /** Entries to evaluate instead of reading `runDir` (tests). */
  entries?: readonly MerrEntry[];
  /**
   * Ground truth from the reviews of `merr view`: a relabel's label, or the automatic final label (else
   * the pseudo-label) of a sample a reviewer accepted. Rejected and unreviewed samples have none.
   * @defaultValue false
   */
  reviewed?: boolean;
}

type Counts = Record<string, number>;

export interface EvalReport {
  runDir: string;
  groundTruth: { source: "file" | "samples" | "reviews"; file?: string; idColumn?: string; labelColumn?: string; rejected?: number };
  labelPolicy: string;
  samples: number;
  /** Samples with a ground-truth label in the MERR set (the metrics' n). */
  evaluated: number;
  /** Samples without any ground-truth label. */
  noTruth: number;
  /** Ground-truth classes outside the label set, left out of the metrics (`disgust: 1`). */
  unmappedTruth: Counts;
  /** Ground-truth classes mapped by the policy (`disgust->angry: 1`). */
  mappedTruth: Counts;
  /**
   * Evaluated samples whose fine label was conditioned on the ground truth (fine `conditioning:
   * ground-truth`): for them the final label says nothing about recognition.
   */
  finalConditionedOnTruth: number;
  /** The AU-rule pseudo-label (au-analyze `pseu_emotion`). */
  pseudo: Metrics;
  /** The final label (finalize, else fine). */
  final: Metrics;
  /** Predicted-label distributions over every sample with a prediction (ground truth or not). */
  distribution: { pseudo: LabelCounts; final: LabelCounts };
  /** Label-collapse warnings (core/label-balance.ts), and the samples left out as no longer listed by the source. */
  warnings: string[];
  /**
   * Why nothing was scored, when no sample has a ground-truth label in the label set (`evaluated` 0):
   * then no metrics are printed and no files written, and `merr eval` exits with E_INPUT_INVALID.
   */
  problem?: string;
  files: string[];
}

const bump = (c: Counts, k: string): void => {
  c[k] = (c[k] ?? 0) + 1;
};

/** A prediction in the label set when the policy can put it there, else its normalised word (its own column). */
function predicted(raw: string | undefined, policy: LabelPolicy): string | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const r = resolveLabel(raw, policy);
  return r.ok ? r.label : normaliseLabel(raw) || raw;
}

/** Scores the pseudo-label and the final label of every sample against ground truth; writes JSON + SVGs. */
export async function runEval(options: RunEvalOptions): Promise<EvalReport> {
  const runDir = path.resolve(options.runDir);
  const outDir = path.resolve(options.outDir ?? path.join(runDir, "eval"));
  const policy = options.labelPolicy ?? DEFAULT_LABEL_POLICY;
  // As the export does: samples the source no longer lists (a deleted clip, an old copy under another id)
  // are not scored, so a clip is not counted twice.
  const unlisted = options.entries ? undefined : findUnlisted(runDir);
  const leftOut = new Set(unlisted?.ids ?? []);
  const entries = (options.entries ?? (await loadEntries(runDir))).filter((e) => !leftOut.has(e.name));
  const gt = options.labelsFile ? await loadGroundTruth(options.labelsFile, options) : undefined;
  const reviews = options.reviewed ? reviewsBySample(loadReviews(runDir).records) : undefined;
  let rejected = 0;
  const reviewedTruth = (e: MerrEntry): string | undefined => {
    const records = reviews?.get(e.name);
    const state = records ? foldReviews(records, e.inputs) : undefined;
    if (!state || state.applied === 0) return undefined;
    if (state.decision === "rejected") {
      rejected++;
      return undefined;
    }
    return state.label ?? e.finalLabel ?? e.pseuEmotion;
  };
  const unmappedTruth: Counts = {};
  const mappedTruth: Counts = {};
  let noTruth = 0;
  let matched = 0;
  let conditioned = 0;
  const pseudo: Array<{ truth: string; pred: string | undefined }> = [];
  const final: Array<{ truth: string; pred: string | undefined }> = [];
  const distribution = { pseudo: {} as LabelCounts, final: {} as LabelCounts };
  for (const e of entries) {
    countLabel(distribution.pseudo, e.pseuEmotion || undefined);
    countLabel(distribution.final, e.finalLabel || undefined);
    const raw = reviews ? reviewedTruth(e) : gt ? gt.byKey.get(e.name) : e.sample?.label;
    if (gt && raw !== undefined) matched++;
    if (raw === undefined || raw.trim() === "") {
      noTruth++;
      continue;
    }
    let truth = resolveLabel(raw, policy);
    // An out-of-set label the build mapped (`merr build --map-label disgust=angry`: the fine stage explained
    // it as that) is scored as it mapped it, unless this eval's own --map-label says otherwise.
    if (!truth.ok && e.labelMap) {
      const built = resolveLabel(raw, parseLabelPolicy(e.labelMap));
      if (built.ok) truth = built;
    }
    if (!truth.ok) {
      bump(unmappedTruth, truth.normalised || raw);
      continue;
    }
    if (truth.mappedFrom) bump(mappedTruth, `${truth.mappedFrom}->${truth.label}`);
    pseudo.push({ truth: truth.label, pred: predicted(e.pseuEmotion, policy) });
    final.push({ truth: truth.label, pred: predicted(e.finalLabel, policy) });
    if (e.fineConditioning === "ground-truth") conditioned++;
  }
  const report: EvalReport = {
    runDir,
    groundTruth: reviews
      ? { source: "reviews", rejected }
      : gt ? { source: "file", file: path.resolve(gt.file), idColumn: gt.idColumn, labelColumn: gt.labelColumn } : { source: "samples" },
    labelPolicy: describeLabelPolicy(policy),
    samples: entries.length,
    evaluated: pseudo.length,
    noTruth,
    unmappedTruth,
    mappedTruth,
    finalConditionedOnTruth: conditioned,
    pseudo: computeMetrics(pseudo),
    final: computeMetrics(final),
    distribution,
    warnings: [
      collapseWarning("pseudo-label", distribution.pseudo),
      collapseWarning("final label", distribution.final),
      unlisted?.ids.length ? describeUnlisted(runDir, unlisted, (them) => `eval left ${them} out`) : undefined,
    ].filter((w): w is string => w !== undefined),
    files: ["eval.json", "confusion-pseudo.svg", "confusion-final.svg"],
  };
  if (report.evaluated === 0) {
    // Metrics of nothing are all 0.0: say why there is nothing to score instead, and write no files.
    const examples = (ids: readonly string[]): string => ids.slice(0, 3).map((id) => `"${id}"`).join(", ") + (ids.length > 3 ? ", ..." : "");
    const unmapped = Object.entries(unmappedTruth).map(([k, v]) => `${k}=${v}`).join(", ");
    const why =
      entries.length === 0
        ? "the run has no samples"
        : unmapped
          ? `every ground-truth label is outside the MERR label set (${unmapped}); map them with --map-label, e.g. --map-label ${Object.keys(unmappedTruth)[0]}=angry`
          : reviews
            ? `no reviewer kept or relabelled a sample in merr view (${rejected} rejected; unreviewed samples, and decisions a rebuild made stale, have none); review with merr view --out ${options.runDir}, or pass --labels CSV`
            : gt && matched === 0
              ? `none of the ${gt.rows} rows of ${gt.file} matched a sample id of the run (column "${gt.idColumn}" holds ${examples(gt.ids)}; the run's ids are ${examples(entries.map((e) => e.name))}); ` +
                "pass --id-column with the column that holds the sample ids or clip file names"
              : gt
                ? `the ${matched} sample(s) that ${gt.file} names have an empty label (column "${gt.labelColumn}")`
                : "the samples carry no label (their source gave none: a manifest's label column, the bundled sample's labels.csv); pass --labels CSV, or review the samples in merr view and pass --reviewed";
    report.problem = `no sample of ${options.runDir} has a ground-truth label, so there is nothing to score: ${why}`;
    report.files = [];
    return report;
  }
  await writeFileAtomic(path.join(outDir, "confusion-pseudo.svg"), renderConfusionSvg(report.pseudo, "Pseudo-label (AU rules) vs ground truth"));
  await writeFileAtomic(path.join(outDir, "confusion-final.svg"), renderConfusionSvg(report.final, "Final label vs ground truth"));
  await writeJsonAtomic(path.join(outDir, "eval.json"), report);
  report.files = report.files.map((f) => path.join(outDir, f));
  return report;
}

const p = (x: number): string => `${(x * 100).toFixed(1)}`.padStart(6);

/** The evaluation as a text table: overall figures, per-class recall, confusion matrices. */
export function formatEvalReport(r: EvalReport): string {
  const out: string[] = [];
  const src =
    r.groundTruth.source === "file"
      ? `${r.groundTruth.file} (${r.groundTruth.idColumn} -> ${r.groundTruth.labelColumn})`
      : r.groundTruth.source === "reviews"
        ? `the reviewers' labels (merr view; ${r.groundTruth.rejected ?? 0} rejected samples left out)`
        : "labels carried by the samples";
  out.push(`ground truth: ${src}`);
  out.push(`samples ${r.samples}, evaluated ${r.evaluated}, without ground truth ${r.noTruth}`);
  const unm = Object.entries(r.unmappedTruth).map(([k, v]) => `${k}=${v}`).join(", ");
  if (unm) out.push(`ground-truth classes outside the label set, left out: ${unm} (map them with --map-label, e.g. disgust=angry)`);
  const map = Object.entries(r.mappedTruth).map(([k, v]) => `${k}=${v}`).join(", ");
  if (map) out.push(`ground-truth classes mapped: ${map}`);
  if (r.finalConditionedOnTruth > 0) {
    out.push(`warning: the fine label of ${r.finalConditionedOnTruth} evaluated sample(s) was conditioned on the ground truth; the final scores measure filtering, not recognition (rerun fine with pseudo or open conditioning)`);
  }
  out.push(`pseudo-labels: ${formatDistribution(r.distribution.pseudo)}`);
  out.push(`final labels:  ${formatDistribution(r.distribution.final)}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  // Nothing was scored (r.problem says why; merr eval prints it as its error): no table of zeros.
  if (r.evaluated === 0) return `${out.join("\n")}\n`;
  out.push("", "label      |    WAR    UAR  wF1(%) | n  no-pred");
  for (const [name, m] of [["pseudo", r.pseudo], ["final", r.final]] as const) {
    out.push(`${name.padEnd(10)} | ${p(m.war)} ${p(m.uar)} ${p(m.weightedF1)} | ${m.n}  ${m.missing}`);
  }
  const classes = [...new Set([...r.pseudo.rows, ...r.final.rows])];
  out.push("", `recall (%) | ${classes.map((c) => c.padStart(8)).join(" ")}`);
  for (const [name, m] of [["pseudo", r.pseudo], ["final", r.final]] as const) {
    out.push(`${name.padEnd(10)} | ${classes.map((c) => (m.perClass[c] ? p(m.perClass[c].recall).padStart(8) : "-".padStart(8))).join(" ")}`);
  }
  for (const [name, m] of [["pseudo", r.pseudo], ["final", r.final]] as const) {
    out.push("", `confusion (${name}; rows ground truth, columns predicted)`);
    out.push(`${"".padEnd(10)} ${m.columns.map((c) => c.slice(0, 8).padStart(8)).join(" ")}`);
    m.rows.forEach((row, i) => out.push(`${row.padEnd(10)} ${m.confusion[i]!.map((v) => String(v).padStart(8)).join(" ")}`));
  }
  out.push("", `written: ${r.files.join(", ")}`);
  return `${out.join("\n")}\n`;
}

