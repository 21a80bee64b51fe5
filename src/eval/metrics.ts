import { MERR_LABELS } from "../core/labels.ts";

/** The column of samples that have no prediction (the stage failed or was skipped): counted as wrong. */
export const NO_PREDICTION = "(none)";

export interface ClassMetrics {
  support: number;
  predicted: number;
  correct: number;
  recall: number;
  precision: number;
  f1: number;
}

export interface Metrics {
  n: number;
  correct: number;
  /** Weighted average recall = accuracy. */
  war: number;
  /** Unweighted average recall (macro recall over ground-truth classes present). */
  uar: number;
  /** F1 averaged with ground-truth support as weights (MER2023's measure). */
  weightedF1: number;
  macroF1: number;
  /** Samples without a prediction (in the `(none)` column). */
  missing: number;
  /** Ground-truth classes (rows), in MERR order. */
  rows: string[];
  /** Predicted classes (columns): rows first, then other predictions, then `(none)` when used. */
  columns: string[];
  /** confusion[row][column] = count. */
  confusion: number[][];
  perClass: Record<string, ClassMetrics>;
}

const order = (a: string, b: string): number => {
  const ia = (MERR_LABELS as readonly string[]).indexOf(a);
  const ib = (MERR_LABELS as readonly string[]).indexOf(b);
  if (a === NO_PREDICTION || b === NO_PREDICTION) return a === b ? 0 : a === NO_PREDICTION ? 1 : -1;
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0 || ib >= 0) return ia >= 0 ? -1 : 1;
  return a.localeCompare(b);
};

/** Accuracy (WAR), UAR, weighted and macro F1, per-class recall/precision/F1 and the confusion matrix. Pure. */
export function computeMetrics(pairs: ReadonlyArray<{ truth: string; pred: string | undefined }>): Metrics {
  const rows = [...new Set(pairs.map((p) => p.truth))].sort(order);
  const preds = pairs.map((p) => p.pred ?? NO_PREDICTION);
  const columns = [...new Set([...rows, ...preds])].sort(order);
  const confusion = rows.map(() => columns.map(() => 0));
  pairs.forEach((p, i) => {
    confusion[rows.indexOf(p.truth)]![columns.indexOf(preds[i]!)]!++;
  });
  const perClass: Record<string, ClassMetrics> = {};
  let correct = 0;
  rows.forEach((label, r) => {
    const support = confusion[r]!.reduce((a, b) => a + b, 0);
    const c = columns.indexOf(label);
    const tp = confusion[r]![c]!;
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const recall = support ? tp / support : 0;
    const precision = predicted ? tp / predicted : 0;
    perClass[label] = { support, predicted, correct: tp, recall, precision, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
    correct += tp;
  });
  const n = pairs.length;
  const classes = Object.values(perClass);
  return {
    n,
    correct,
    war: n ? correct / n : 0,
    uar: classes.length ? classes.reduce((a, c) => a + c.recall, 0) / classes.length : 0,
    weightedF1: n ? classes.reduce((a, c) => a + c.f1 * c.support, 0) / n : 0,
    macroF1: classes.length ? classes.reduce((a, c) => a + c.f1, 0) / classes.length : 0,
    missing: preds.filter((p) => p === NO_PREDICTION).length,
    rows,
    columns,
    confusion,
    perClass,
  };
}
