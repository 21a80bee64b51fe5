import { copyFile, mkdir, readdir, readFile } from "node:fs/promises";
import { expect } from "vitest";
import path from "node:path";
import { projectPath } from "../../src/core/paths.ts";
import { isCommittedJson } from "../../src/core/fs.ts";
import { readStageRecord } from "../../src/core/records.ts";
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

/**
 * The fault tests' verdict: every stage of every sample ran exactly once (none lost, none duplicated) and
 * finished done. Returns the log for further checks.
 *
 * `killed`: a process was killed with SIGKILL. A stage it finished has its record written before its log
 * line, so a kill between the two leaves a done record (reused by the surviving worker, not run again)
 * without a line. Then "none lost" is judged on the records (every stage of every sample done), "none
 * duplicated" still on the log, and the lines may fall short only by the killed process's stages in
 * flight (`inFlight`).
 */
export async function expectEachStageRanOnce(
  out: string,
  samples: number,
  stagesPerSample: number,
  killed?: { inFlight: number },
): Promise<Execution[]> {
  const all = await readExecutions(out);
  const keys = all.map((e) => `${e.sample}/${e.stage}`);
  expect(new Set(keys).size).toBe(keys.length); // none duplicated
  expect(all.every((e) => e.status === "done")).toBe(true);
  if (!killed) {
    expect(keys).toHaveLength(samples * stagesPerSample); // none lost
    return all;
  }
  const ids = await readdir(path.join(out, "samples"));
  expect(ids).toHaveLength(samples);
  let done = 0;
  for (const id of ids) {
    for (const stage of (await readdir(path.join(out, "samples", id, "stages"))).filter(isCommittedJson)) {
      const record = await readStageRecord(out, id, stage.replace(/\.json$/, ""));
      if (record?.status === "done") done++;
    }
  }
  expect(done).toBe(samples * stagesPerSample); // none lost
  expect(keys.length).toBeGreaterThanOrEqual(samples * stagesPerSample - killed.inFlight);
  return all;
}

/** Polls `check` every 50 ms until it holds, or fails after `ms` naming what it waited for. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
