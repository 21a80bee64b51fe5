export { runEval, formatEvalReport } from "./run-eval.ts";
