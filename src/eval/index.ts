export { runEval, formatEvalReport, type EvalReport, type RunEvalOptions } from "./run-eval.ts";
export { computeMetrics, NO_PREDICTION, type Metrics, type ClassMetrics } from "./metrics.ts";
export { loadGroundTruth, type GroundTruth, type GroundTruthOptions } from "./ground-truth.ts";
export { renderConfusionSvg } from "./confusion-svg.ts";
