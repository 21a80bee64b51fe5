import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { projectPath } from "../../src/core/paths.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";

export const SAMPLE_CODES = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"] as const;

/** One line of a run's execution log: which stage ran for which sample, in which process. */
export interface Execution {
  sample: string;
  stage: string;
  status: string;
  pid: number;
}

/** The execution log of a run folder (empty when there is none yet). */
export async function readExecutions(out: string): Promise<Execution[]> {
  return (await readFile(executionLogPath(out), "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Execution);
}

/** Copies the six bundled clips into `dir` once per copy name, as `<copy>_<CODE>.flv`. */
export async function copySampleClips(dir: string, copies: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const copy of copies) {
    for (const code of SAMPLE_CODES) await copyFile(projectPath("data", "sample", `1001_DFA_${code}_XX.flv`), path.join(dir, `${copy}_${code}.flv`));
  }
}
