import { lstat } from "node:fs/promises";
import path from "node:path";
import type { CheckResult } from "./check.ts";
import { listFiles, readExportLedger } from "./export-folder.ts";
import { ALL_DATA_FILES, EXPORT_LAYOUT } from "./layout.ts";

const present = (file: string): Promise<boolean> => lstat(file).then(() => true, () => false);

/**
 * Compares the folder with its `export-report.json` (nothing to compare without one: a folder merr did not
 * write is checked against the loader contract only):
 *
 * - an unfinished report (`complete: false`): an export was stopped half-way, violation `export-incomplete`;
 * - a data file of any format (what a trainer reads: `dataset_info.json`, `merr.jsonl`...) that the latest
 *   export did not write: violation `stale-file`, since LLaMA-Factory or a JSONL reader would train on it;
 * - any other file the report does not list (a video, a feature, your notes): warning `untracked-file`.
 *   Features produced elsewhere and put here are a documented way to complete an export, and an unlisted
 *   video or feature is read by no trainer unless a data file names it, so these do not fail the check.
 */
export async function checkExportFolder(dir: string, out: CheckResult): Promise<void> {
  const ledger = await readExportLedger(dir);
  if (ledger === undefined) return;
  const report = EXPORT_LAYOUT.report;
  if ("problem" in ledger) {
    out.warnings.push({ kind: "parse-error", file: report, message: `${ledger.problem}: stale files cannot be told`, fix: "export again into a new folder" });
    return;
  }
  if (ledger.complete === false) {
    out.violations.push({
      kind: "export-incomplete",
      file: report,
      message: "an export into this folder did not finish (stopped half-way?): its files may be partial, or from two exports",
      fix: "run the same merr export again",
    });
    return;
  }
  const files = new Set(ledger.files);
  for (const file of ALL_DATA_FILES) {
    if (files.has(file) || !(await present(path.join(dir, file)))) continue;
    out.violations.push({
      kind: "stale-file",
      file,
      message: `${file} is not part of the latest export (${report} does not list it): a trainer reading it gets an earlier export's data, or data merr did not write`,
      fix: "delete it; merr export removes what its previous export wrote from then on",
    });
  }
  if (ledger.written === undefined) return; // a report of merr before it recorded every file: only data files are known
  const written = new Set(ledger.written);
  const dataFiles = new Set(ALL_DATA_FILES);
  for (const file of await listFiles(dir)) {
    if (written.has(file) || file === report || dataFiles.has(file)) continue;
    out.warnings.push({ kind: "untracked-file", file, message: `${file} was not written by the latest export`, fix: "delete it unless you put it there" });
  }
}
